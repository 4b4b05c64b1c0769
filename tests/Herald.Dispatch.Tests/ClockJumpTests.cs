using Herald.Core.Messaging;
using Herald.Dispatch.Tests.Infrastructure;

namespace Herald.Dispatch.Tests;

/// <summary>
/// Issue 14 §3: the wall clock jumping (an NTP step, a VM resumed) under the real dispatcher and queue.
/// <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider.AdjustTime"/> moves the clock without firing timers, as a
/// real jump does; <c>Advance</c> then lets time pass. Each test records its row of docs/reliability.md.
/// </summary>
public sealed class ClockJumpTests
{
    private static readonly DateTimeOffset T0 = DispatchHarness.T0;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClockJumpsForwardPastValidity_WhileARetryWaits_TheMessageExpiresUnsent()
    {
        await using var harness = await DispatchHarness.CreateAsync(_ => new SendOutcome.Transient("HTTP 503"),
            settings: [("RetryJitter", "0"), ("CircuitBreakerThreshold", "1000")]);
        await harness.StartAsync();
        var id = (await harness.EnqueueAsync(MessageTypes.Otp, validity: TimeSpan.FromMinutes(10)))[0];
        await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "transient-failure"), "the first failure");

        harness.Time.AdjustTime(T0 + TimeSpan.FromHours(1));
        harness.Time.Advance(TimeSpan.FromSeconds(6));

        await harness.TimelineWhenAsync(id, e => e[^1].State == DeliveryState.Expired, "expired");
        Assert.Single(harness.Sender.Calls);
        Record("clock jumps forward 1 h while an OTP (validity 10 min) waits for its retry",
            "expired at the next look, never sent after its validity", lost: 0, duplicates: 0, "", "immediate");
    }

    [Fact]
    public async Task ClockJumpsBack_WhileARetryWaits_TheMessageIsSentOnceWhenItsTimeComesAgain()
    {
        var calls = 0;
        await using var harness = await DispatchHarness.CreateAsync(
            _ => Interlocked.Increment(ref calls) == 1 ? new SendOutcome.Transient("HTTP 503") : new SendOutcome.Accepted("p-1"),
            settings: [("RetryJitter", "0"), ("CircuitBreakerThreshold", "1000")]);
        await harness.StartAsync();
        var id = (await harness.EnqueueAsync(MessageTypes.Transactional, validity: TimeSpan.FromHours(24)))[0];
        await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "transient-failure"), "the first failure");

        harness.Time.AdjustTime(T0 - TimeSpan.FromHours(1)); // the retry was due at T0 + 5 s: now an hour away
        harness.Time.Advance(TimeSpan.FromSeconds(10));
        await Task.Delay(300, Ct);
        var early = harness.Sender.Calls.Count;
        harness.Time.Advance(TimeSpan.FromHours(1));

        await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "accepted"), "the retry to be accepted");
        Assert.Equal(1, early);
        Assert.Equal(2, harness.Sender.Calls.Count);
        Record("clock jumps back 1 h while a message waits for its retry",
            "the retry waits until its due time comes again (the queue keeps wall-clock due times); sent once, accepted",
            lost: 0, duplicates: 0, "", "delayed by the size of the jump (1 h)");
    }

    [Fact]
    public async Task ClockJumpsForwardPastTheLease_DuringASend_NothingLostAndAtMostOneResend()
    {
        using var release = new ManualResetEventSlim();
        var calls = 0;
        await using var harness = await DispatchHarness.CreateAsync(message =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                release.Wait(TimeSpan.FromSeconds(20)); // the provider is slow to answer the first send
            }
            return new SendOutcome.Accepted($"p-{calls}");
        }, settings: [("Lease", "00:02:00"), ("LeaseSweepInterval", "00:00:15")]);
        await harness.StartAsync();
        var id = (await harness.EnqueueAsync(MessageTypes.Transactional, validity: TimeSpan.FromHours(24)))[0];
        await DispatchHarness.EventuallyAsync(() => Task.FromResult<object?>(!harness.Sender.Calls.IsEmpty ? true : null), "the first send");

        harness.Time.AdjustTime(T0 + TimeSpan.FromMinutes(10)); // the lease (2 min) now looks long expired
        for (var i = 0; i < 8; i++)
        {
            harness.Time.Advance(TimeSpan.FromSeconds(15)); // the sweep runs
            await Task.Delay(100, Ct);
        }
        var whileInFlight = harness.Sender.Calls.Count;
        release.Set();

        await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "accepted") && harness.Sender.Calls.Count == whileInFlight,
            "the answer to be recorded");
        await Task.Delay(500, Ct);
        var message = (await harness.Messages.GetAsync(id, Ct))!;
        Assert.True(message.Status is DeliveryState.Accepted, $"status {message.Status}");
        Assert.InRange(harness.Sender.Calls.Count, 1, 2);
        Record("clock jumps forward 10 min (past the 2 min lease) while a send is in flight",
            whileInFlight > 1
                ? "the sweep took the claim for a crashed node's and sent it again; the first answer, when it came, was recorded too"
                : "the in-flight send kept its claim",
            lost: 0, duplicates: harness.Sender.Calls.Count - 1,
            "lease expiry is judged on the wall clock: a forward jump larger than the lease looks like a crash (at-least-once)",
            "immediate");
    }

    private static void Record(string fault, string did, int lost, int duplicates, string why, string recovery)
    {
        var row = $"| {fault} | {did} | 1 | {lost} | {duplicates}{(duplicates > 0 ? $" ({why})" : "")} | {recovery} |";
        TestContext.Current.SendDiagnosticMessage(row);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "i14-hostile-faults.txt"), row + Environment.NewLine);
    }
}
