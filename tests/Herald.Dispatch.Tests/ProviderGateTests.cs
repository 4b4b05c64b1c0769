using Herald.Core.Messaging;

namespace Herald.Dispatch.Tests;

/// <summary>The per-provider circuit breaker and Retry-After pause, at explicit instants.</summary>
public sealed class ProviderGateTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly SendOutcome Failure = new SendOutcome.Transient("503");
    private static readonly SendOutcome Success = new SendOutcome.Accepted("p-1");

    private static DispatchOptions Options() => new()
    {
        CircuitBreakerThreshold = 3, CircuitBreakDuration = TimeSpan.FromSeconds(30), CircuitProbeInterval = TimeSpan.FromSeconds(1),
    };

    private static ProviderGate OpenGate(DispatchOptions options, DateTimeOffset at)
    {
        var gate = new ProviderGate(options);
        for (var i = 0; i < options.CircuitBreakerThreshold; i++)
        {
            gate.Record(Failure, at);
        }
        return gate;
    }

    [Fact]
    public void OpensAfterThresholdTransientFailuresInARow()
    {
        var gate = new ProviderGate(Options());
        gate.Record(Failure, T0);
        gate.Record(Failure, T0);
        Assert.Equal("closed", gate.State(T0));
        Assert.Equal((10, null, null), gate.Admit(10, T0));

        gate.Record(Failure, T0);

        Assert.Equal("open", gate.State(T0));
        var (allowed, waitUntil, reason) = gate.Admit(10, T0);
        Assert.Equal(0, allowed);
        Assert.Equal(T0.AddSeconds(30), waitUntil);
        Assert.Contains("circuit open", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ASuccessOrPermanentFailure_ResetsTheCount()
    {
        var gate = new ProviderGate(Options());
        gate.Record(Failure, T0);
        gate.Record(Failure, T0);
        gate.Record(new SendOutcome.Permanent("bad number"), T0);
        gate.Record(Failure, T0);
        gate.Record(Failure, T0);

        Assert.Equal("closed", gate.State(T0));
        Assert.Equal(5, gate.Admit(5, T0).Allowed);
    }

    [Fact]
    public void RefusesUntilTheBreakDurationHasPassed()
    {
        var gate = OpenGate(Options(), T0);

        Assert.Equal(0, gate.Admit(1, T0.AddSeconds(29.999)).Allowed);
        Assert.Equal("open", gate.State(T0.AddSeconds(29.999)));
        Assert.Equal("half-open", gate.State(T0.AddSeconds(30)));
    }

    [Fact]
    public void HalfOpen_LetsExactlyOneProbeThrough_ThenASuccessCloses()
    {
        var gate = OpenGate(Options(), T0);
        var at = T0.AddSeconds(30);

        Assert.Equal((1, at.AddSeconds(1), "circuit half-open: one probe goes first"), gate.Admit(10, at));
        for (var s = 0; s < 20; s++)
        {
            var (allowed, waitUntil, reason) = gate.Admit(10, at.AddSeconds(s));
            Assert.Equal(0, allowed);
            Assert.Equal(at.AddSeconds(s + 1), waitUntil);
            Assert.Contains("waiting for the probe", reason, StringComparison.Ordinal);
        }

        gate.Record(Success, at.AddSeconds(20));

        Assert.Equal("closed", gate.State(at.AddSeconds(20)));
        Assert.Equal((10, null, null), gate.Admit(10, at.AddSeconds(20)));
    }

    [Fact]
    public void HalfOpen_AFailedProbe_OpensTheCircuitForAnotherBreak()
    {
        var gate = OpenGate(Options(), T0);
        var probeAt = T0.AddSeconds(30);
        Assert.Equal(1, gate.Admit(10, probeAt).Allowed);

        gate.Record(Failure, probeAt.AddSeconds(2));

        Assert.Equal("open", gate.State(probeAt.AddSeconds(2)));
        Assert.Equal((0, probeAt.AddSeconds(32)), Take2(gate.Admit(10, probeAt.AddSeconds(2))));
        Assert.Equal(0, gate.Admit(10, probeAt.AddSeconds(31.999)).Allowed);
        Assert.Equal(1, gate.Admit(10, probeAt.AddSeconds(32)).Allowed); // the next probe
    }

    [Fact]
    public void HalfOpen_AProbeThatNeverAnswers_DoesNotHoldTheCircuitForEver()
    {
        var gate = OpenGate(Options(), T0);
        var probeAt = T0.AddSeconds(30);
        Assert.Equal(1, gate.Admit(10, probeAt).Allowed); // its send is lost: no Record

        Assert.Equal(0, gate.Admit(10, probeAt.AddSeconds(29.999)).Allowed);
        Assert.Equal(1, gate.Admit(10, probeAt.AddSeconds(30)).Allowed);
        Assert.Equal(0, gate.Admit(10, probeAt.AddSeconds(30)).Allowed);
    }

    [Fact]
    public void RetryAfter_PausesTheProviderUntilItEnds()
    {
        var gate = new ProviderGate(Options());

        gate.Record(new SendOutcome.Transient("429", TimeSpan.FromSeconds(7)), T0);

        var (allowed, waitUntil, reason) = gate.Admit(4, T0.AddSeconds(6.999));
        Assert.Equal((0, T0.AddSeconds(7)), (allowed, waitUntil));
        Assert.Contains("429", reason, StringComparison.Ordinal);
        Assert.Equal(4, gate.Admit(4, T0.AddSeconds(7)).Allowed);
    }

    private static (int Allowed, DateTimeOffset? WaitUntil) Take2((int Allowed, DateTimeOffset? WaitUntil, string? Reason) admit) => (admit.Allowed, admit.WaitUntil);
}
