using Microsoft.Extensions.Time.Testing;

namespace Herald.Dispatch.Tests;

/// <summary>The in-flight cap sized from rate × latency, on a fake clock: a simulated provider, millisecond by millisecond.</summary>
public sealed class AdaptiveInFlightTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Runs <paramref name="seconds"/> of traffic: every millisecond <paramref name="perMs"/> requests want to start (those the
    /// cap has no permit for are turned away), and each is answered <paramref name="latencyMs"/> later. Answers how many went.
    /// </summary>
    private static int Simulate(AdaptiveInFlight limiter, FakeTimeProvider time, int perMs, int latencyMs, double seconds)
    {
        var out_ = new Queue<(long DueMs, IDisposable Permit)>();
        var sent = 0;
        for (long ms = 0; ms < seconds * 1000; ms++)
        {
            while (out_.Count > 0 && out_.Peek().DueMs <= ms)
            {
                out_.Dequeue().Permit.Dispose();
            }
            for (var i = 0; i < perMs; i++)
            {
                if (limiter.TryAcquire() is not { } permit)
                {
                    break;
                }
                out_.Enqueue((ms + latencyMs, permit));
                sent++;
            }
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        while (out_.Count > 0)
        {
            out_.Dequeue().Permit.Dispose();
        }
        return sent;
    }

    [Theory]
    [InlineData(20, 40)]  // 1,000 requests/s answered in 20 ms need 20 in flight: the cap sits at twice that
    [InlineData(40, 80)]  // the same rate at twice the latency needs twice as many
    public void SteadyRate_CapIsRateTimesLatencyTimesHeadroom(int latencyMs, int expected)
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new AdaptiveInFlight(new InFlightSizing(16, 256, 2.0), time);

        Simulate(limiter, time, perMs: 1, latencyMs, seconds: 2);
        var sent = Simulate(limiter, time, perMs: 1, latencyMs, seconds: 3);

        Assert.InRange(limiter.Limit, expected - 4, expected + 4);
        Assert.Equal(3000, sent); // nothing turned away once the cap had grown
    }

    [Fact]
    public void CapIsTheBound_GrowsToTheMaximumWithinASecond()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new AdaptiveInFlight(new InFlightSizing(16, 256, 2.0), time);

        Simulate(limiter, time, perMs: 1000, latencyMs: 20, seconds: 1.5);

        Assert.Equal(256, limiter.Limit);
    }

    [Fact]
    public void OneRequestAtATime_CapStaysAtTheMinimum()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new AdaptiveInFlight(new InFlightSizing(16, 256, 2.0), time);
        for (var i = 0; i < 200; i++)
        {
            using (limiter.TryAcquire())
            {
                time.Advance(TimeSpan.FromMilliseconds(20));
            }
        }

        Assert.Equal(16, limiter.Limit);
    }

    [Fact]
    public void LatencyFalls_CapComesDownAndNoMoreThanItAreOut()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new AdaptiveInFlight(new InFlightSizing(4, 256, 2.0), time);
        Simulate(limiter, time, perMs: 2, latencyMs: 50, seconds: 3); // 2,000/s × 50 ms: 100 needed, cap 200
        var high = limiter.Limit;

        Simulate(limiter, time, perMs: 2, latencyMs: 5, seconds: 3); // 2,000/s × 5 ms: 10 needed, cap 20

        Assert.InRange(high, 180, 220);
        Assert.InRange(limiter.Limit, 16, 24);
        var held = new List<IDisposable>();
        while (limiter.TryAcquire() is { } permit)
        {
            held.Add(permit);
        }
        Assert.Equal(limiter.Limit, held.Count);
    }
}
