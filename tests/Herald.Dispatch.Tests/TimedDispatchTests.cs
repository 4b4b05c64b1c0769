using Herald.Core.Messaging;
using Herald.Dispatch.Tests.Infrastructure;
using Herald.Storage.Records;

namespace Herald.Dispatch.Tests;

/// <summary>
/// The real dispatcher and queue on a fake clock: retries land exactly on the backoff schedule, validity ends in
/// <c>expired</c>, a crashed worker's lease expires into a resend, and an OTP overtakes a campaign under a rate limit.
/// Real time only bounds how long a test waits for the dispatcher to catch up; no assertion depends on it.
/// </summary>
public sealed class TimedDispatchTests
{
    private static readonly DateTimeOffset T0 = DispatchHarness.T0;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SendOutcome Accept(Herald.Core.Providers.OutboundMessage message) => new SendOutcome.Accepted($"p-{message.MessageId}");

    private static double[] SecondsOf(IEnumerable<MessageEventRecord> events, string name) =>
        events.Where(e => e.Event == name).Select(e => (e.At - T0).TotalSeconds).ToArray();

    [Fact]
    public async Task OtpToAProviderThatKeepsFailing_RetriesOnTheBackoffSchedule_ThenExpiresWithItsValidity()
    {
        await using var harness = await DispatchHarness.CreateAsync(_ => new SendOutcome.Transient("HTTP 503"),
            settings: [("RetryJitter", "0"), ("CircuitBreakerThreshold", "1000")]); // the breaker is tested on its own
        await harness.StartAsync();
        var id = (await harness.EnqueueAsync(MessageTypes.Otp, validity: TimeSpan.FromMinutes(10)))[0];

        for (var failures = 1; ; failures++)
        {
            var events = await harness.TimelineWhenAsync(id, e => e.Count(x => x.Event == "transient-failure") >= failures, $"failure {failures}");
            if (events[^1].State == DeliveryState.Expired)
            {
                break;
            }
            Assert.True(failures < 20, "the message never expired");
            // Move the clock exactly to the retry the dispatcher scheduled.
            harness.Time.SetUtcNow((await harness.Queue.NextDueAsync(Ct))!.Value);
        }

        var timeline = await harness.Messages.GetEventsAsync(id, Ct);
        // 5 s doubling: attempts at 0, 5, 15, 35, 75, 155, 315 s; the next would be at 315 + 320 = 635 s, past the 600 s validity.
        double[] schedule = [0, 5, 15, 35, 75, 155, 315];
        Assert.Equal(schedule, SecondsOf(timeline, "dispatching"));
        Assert.Equal(schedule, SecondsOf(timeline, "transient-failure"));
        Assert.Equal(schedule, harness.Sender.Calls.Select(c => (c.At - T0).TotalSeconds));
        var last = timeline[^1];
        Assert.Equal(DeliveryState.Expired, last.State);
        Assert.Contains("no retry", last.Note, StringComparison.Ordinal);
        Assert.Equal(DeliveryState.Expired, (await harness.Messages.GetAsync(id, Ct))!.Status);
        Assert.Contains(timeline, e => e.Note?.Contains($"attempt 7 at {T0.AddSeconds(315):O}", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task WorkerCrashesHoldingAMessage_NoReportDuringTheInDoubtHold_TheMessageIsResentWithTheSameIdWhenTheHoldEnds()
    {
        await using var harness = await DispatchHarness.CreateAsync(Accept, settings: [("Lease", "00:02:00"), ("InDoubtHold", "00:01:00")]);
        var id = (await harness.EnqueueAsync(MessageTypes.Transactional, validity: TimeSpan.FromHours(1)))[0];
        // Another node claims it and dies before recording an answer.
        var held = Assert.Single(await harness.Queue.ClaimAsync(10, "crashed-node", TimeSpan.FromMinutes(2), Ct));
        Assert.False(held.ResentAfterCrash);
        await harness.StartAsync();

        harness.Time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromMilliseconds(1));
        await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "lease-expired"), "the lease to expire");
        // Held in doubt: a report may still say the crashed node's send reached the provider.
        harness.Time.Advance(TimeSpan.FromSeconds(59));
        await Task.Delay(300, Ct);
        Assert.Empty(harness.Sender.Calls);
        harness.Time.Advance(TimeSpan.FromSeconds(1));

        var timeline = await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "accepted"), "the resend to be accepted");
        Assert.Equal(["queued", "dispatching", "lease-expired", "dispatching", "accepted"], timeline.Select(e => e.Event));
        Assert.Equal([0, 0, 120.001, 180.001, 180.001], timeline.Select(e => (e.At - T0).TotalSeconds));
        Assert.Contains($"holding for reports until {T0.AddSeconds(180.001):O}", timeline[2].Note, StringComparison.Ordinal);
        Assert.Contains("resent-after-crash", timeline[3].Note, StringComparison.Ordinal);
        Assert.Contains($"no report named it by {T0.AddSeconds(180.001):O}", timeline[3].Note, StringComparison.Ordinal);
        Assert.Contains("attempt 2", timeline[3].Note, StringComparison.Ordinal);
        var call = Assert.Single(harness.Sender.Calls);
        Assert.Equal((id, T0.AddSeconds(180.001)), (call.MessageId, call.At));
        var message = (await harness.Messages.GetAsync(id, Ct))!;
        Assert.Equal((DeliveryState.Accepted, 2, $"p-{id}"), (message.Status, message.Attempts, message.ProviderMessageId));
    }

    private static StateChange Delivered => new() { Proposed = DeliveryState.Delivered, Source = "dlr", Event = "delivered", Note = "Delivered to handset" };

    [Fact]
    public async Task WorkerCrashesHoldingAMessage_ReportArrivesDuringTheInDoubtHold_ItIsSettledAndNeverResent()
    {
        await using var harness = await DispatchHarness.CreateAsync(Accept, settings: [("Lease", "00:02:00"), ("InDoubtHold", "00:01:00")]);
        var id = (await harness.EnqueueAsync(MessageTypes.Transactional, validity: TimeSpan.FromHours(1)))[0];
        Assert.Single(await harness.Queue.ClaimAsync(10, "crashed-node", TimeSpan.FromMinutes(2), Ct));
        await harness.StartAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromMilliseconds(1));
        await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "lease-expired"), "the lease to expire");

        // The provider retries the report it could not deliver while the node was down.
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        await harness.Messages.TransitionAsync(id, Delivered, Ct);
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(500, Ct);

        Assert.Empty(harness.Sender.Calls);
        var timeline = await harness.Messages.GetEventsAsync(id, Ct);
        Assert.Equal(["queued", "dispatching", "lease-expired", "delivered"], timeline.Select(e => e.Event));
        Assert.Contains("settled by a report while in doubt after a crash", timeline[3].Note, StringComparison.Ordinal);
        Assert.Equal(DeliveryState.Delivered, (await harness.Messages.GetAsync(id, Ct))!.Status);
    }

    [Fact]
    public async Task InDoubtMessage_ReportArrivesJustAfterTheResendIsClaimed_ItIsNotSent()
    {
        var policy = new ReportingPolicy();
        await using var harness = await DispatchHarness.CreateAsync(Accept, policy: policy, settings: [("Lease", "00:02:00"), ("InDoubtHold", "00:01:00")]);
        var id = (await harness.EnqueueAsync(MessageTypes.Transactional, validity: TimeSpan.FromHours(1)))[0];
        Assert.Single(await harness.Queue.ClaimAsync(10, "crashed-node", TimeSpan.FromMinutes(2), Ct));
        // The report commits between the resend's claim and its send (the dispatcher checks the policy in between).
        policy.AfterClaim = () => harness.Messages.TransitionAsync(id, Delivered, Ct);
        await harness.StartAsync();

        harness.Time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromMilliseconds(1));
        await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "lease-expired"), "the lease to expire");
        harness.Time.Advance(TimeSpan.FromMinutes(1));

        var timeline = await harness.TimelineWhenAsync(id, e => e.Any(x => x.Event == "not-resent"), "the resend to be dropped");
        Assert.Empty(harness.Sender.Calls);
        // The claim and the report happened at the same instant: the timeline shows the report, then the attempt it ended.
        Assert.Equal(["queued", "dispatching", "lease-expired", "delivered", "dispatching", "not-resent"], timeline.Select(e => e.Event));
        Assert.Contains("a report settled it while it was claimed for its resend", timeline[^1].Note, StringComparison.Ordinal);
        Assert.Equal(DeliveryState.Delivered, (await harness.Messages.GetAsync(id, Ct))!.Status);
    }

    /// <summary>Allows every message; the first time it sees a resend after a crash, runs <see cref="AfterClaim"/> (a report arriving).</summary>
    private sealed class ReportingPolicy : Herald.Dispatch.Intake.ISendPolicy
    {
        public Func<Task<TransitionResult>>? AfterClaim { get; set; }

        public async Task<IReadOnlyList<Herald.Dispatch.Intake.PolicyDecision>> CheckAsync(IReadOnlyList<Herald.Dispatch.Intake.PolicyCheck> messages,
            Herald.Dispatch.Intake.PolicyStage stage, CancellationToken cancellationToken)
        {
            if (messages.Any(m => m.Message.Attempts > 1) && Interlocked.Exchange(ref _ran, 1) == 0 && AfterClaim is { } report)
            {
                await report();
            }
            return messages.Select(_ => Herald.Dispatch.Intake.PolicyDecision.Allowed).ToList();
        }

        private int _ran;
    }

    /// <summary>
    /// Waits for the send a token just allowed. A sender that computed its wait before the clock moved but starts its
    /// timer after would wait a second 10 ms that the test never gives (a race of the fake clock, not of the dispatcher),
    /// so when nothing is sent for a while the clock moves on by 1 ms: extra time only makes the rate check stricter.
    /// </summary>
    private static async Task NextSendAsync(DispatchHarness harness, int seen)
    {
        for (var nudges = 0; ; nudges++)
        {
            try
            {
                await DispatchHarness.EventuallyAsync(() => Task.FromResult<object?>(harness.Sender.Calls.Count > seen ? true : null), "the next send",
                    TimeSpan.FromMilliseconds(500));
                return;
            }
            catch (Exception) when (nudges < 20)
            {
                harness.Time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }
    }

    [Fact]
    public async Task OtpQueuedBehindACampaign_UnderARateLimit_GoesWithinOneClaimWindow()
    {
        const int rate = 100; // one message every 10 ms after the bucket's first 5
        const int workers = 4;
        await using var harness = await DispatchHarness.CreateAsync(Accept, rateLimit: rate,
            settings: [("ClaimBatchSize", "200"), ("Workers", $"{workers}"), ("ClaimWindow", "00:00:00.1")]);
        await harness.EnqueueAsync(MessageTypes.Marketing, 1000, TimeSpan.FromHours(24));
        await harness.StartAsync();
        await DispatchHarness.EventuallyAsync(() => Task.FromResult<object?>(harness.Sender.Calls.Count >= 5 ? true : null), "the first burst");
        Assert.Equal(5, harness.Sender.Calls.Count); // the rest of what was claimed waits for tokens
        await SendUntilAsync(harness, () => harness.Sender.Calls.Count >= 100); // the campaign in full flow

        var otp = (await harness.EnqueueAsync(MessageTypes.Otp, validity: TimeSpan.FromMinutes(10)))[0];
        var queuedAt = harness.Time.GetUtcNow();
        var campaignBefore = harness.Sender.Calls.Count;
        await SendUntilAsync(harness, () => harness.Sender.Calls.Any(c => c.MessageId == otp));

        var calls = harness.Sender.Calls.ToList();
        var otpIndex = calls.FindIndex(c => c.MessageId == otp);
        // Each worker claims what the provider takes in its share of the 100 ms claim window (ceil(100 × 0.1 / 4) = 3),
        // so the OTP waits for at most the campaign messages the workers already hold and the bucket's burst,
        // i.e. about one claim window at the provider's pace, not for the 1,000-message campaign or a 200-message claim.
        var heldAhead = (workers * 3) + 5;
        Assert.InRange(otpIndex - campaignBefore, 0, heldAhead);
        Assert.True(calls[otpIndex].At - queuedAt <= TimeSpan.FromMilliseconds(10 * (heldAhead + 1)), $"the OTP went {calls[otpIndex].At - queuedAt} after it was queued");
        // Rate check along the way: every send after the first burst used one 10 ms token.
        Assert.True(calls[^1].At - T0 >= TimeSpan.FromMilliseconds(10 * (calls.Count - 5)), "more than the rate went out");
    }

    /// <summary>Gives the provider one token (10 ms) at a time until <paramref name="done"/>.</summary>
    private static async Task SendUntilAsync(DispatchHarness harness, Func<bool> done)
    {
        while (!done())
        {
            var seen = harness.Sender.Calls.Count;
            harness.Time.Advance(TimeSpan.FromMilliseconds(10)); // one token
            await NextSendAsync(harness, seen);
            Assert.True(harness.Sender.Calls.Count < 400, "the OTP waited behind the campaign");
        }
    }
}
