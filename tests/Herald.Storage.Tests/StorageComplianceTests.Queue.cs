using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Tests.Infrastructure;

namespace Herald.Storage.Tests;

/// <summary>The dispatch queue on the fake clock: leases, crash recovery and lanes. Each test has its own database (a claim takes any due message).</summary>
public abstract partial class StorageComplianceTests
{
    private async Task<HeraldDatabase> QueueDatabaseAsync()
    {
        var database = Fixture.Open(await Fixture.NewDatabaseAsync(Ct));
        await database.Database.MigrateAsync(Ct);
        return database;
    }

    private async Task<string> EnqueueAsync(HeraldDatabase database, string type, int lane, TimeSpan? validity = null)
    {
        var message = NewMessage(m => m with { Type = type });
        var now = Time.GetUtcNow();
        await database.Queue.EnqueueAsync([(message, new DispatchInfo(lane, now, validity is { } v ? now + v : null, "gsm7", 1))], null, Ct);
        return message.Id;
    }

    [Fact]
    public async Task Lease_WorkerCrashesWithoutAHold_MessageReturnsAfterTheLease_AndIsResentWithTheSameId()
    {
        var db = await QueueDatabaseAsync();
        var id = await EnqueueAsync(db, "otp", 0, TimeSpan.FromMinutes(10));
        var lease = TimeSpan.FromMinutes(2);

        var first = Assert.Single(await db.Queue.ClaimAsync(10, "node-a", lease, Ct));
        var claimedAt = Time.GetUtcNow();
        Assert.Equal((id, 1, false), (first.Message.Id, first.Message.Attempts, first.ResentAfterCrash));
        Assert.Empty(await db.Queue.ClaimAsync(10, "node-b", lease, Ct)); // held

        // node-a dies without completing. Up to the lease's last instant nothing is recovered.
        Time.Advance(lease);
        Assert.Equal(0, await db.Queue.RecoverExpiredLeasesAsync(TimeSpan.Zero, Ct));
        Assert.Empty(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await db.Queue.RecoverExpiredLeasesAsync(TimeSpan.Zero, Ct));
        Assert.Equal(0, await db.Queue.RecoverExpiredLeasesAsync(TimeSpan.Zero, Ct));
        Assert.Equal(DeliveryState.Queued, (await db.Messages.GetAsync(id, Ct))!.Status);

        var resend = Assert.Single(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        Assert.Equal((id, 2, true), (resend.Message.Id, resend.Message.Attempts, resend.ResentAfterCrash));
        var events = await db.Messages.GetEventsAsync(id, Ct);
        Assert.Equal(["queued", "dispatching", "lease-expired", "dispatching"], events.Select(e => e.Event));
        Assert.Equal([claimedAt, claimedAt, claimedAt + lease + TimeSpan.FromMilliseconds(1), claimedAt + lease + TimeSpan.FromMilliseconds(1)], events.Select(e => e.At));
        Assert.Contains("resent-after-crash", events[3].Note, StringComparison.Ordinal);
        Assert.DoesNotContain("resent-after-crash", events[1].Note, StringComparison.Ordinal);

        // Once an answer is recorded the resend mark is gone: a retry after a transient failure is an ordinary attempt.
        var retryAt = Time.GetUtcNow() + TimeSpan.FromSeconds(5);
        await db.Queue.CompleteAsync([new DispatchCompletion(id, new StateChange { Proposed = DeliveryState.Queued, Source = "provider-response", Event = "transient-failure" }, retryAt)], Ct);
        Assert.Equal(retryAt, await db.Queue.NextDueAsync(Ct));
        Assert.Empty(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        Time.Advance(TimeSpan.FromSeconds(5));
        var retry = Assert.Single(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        Assert.Equal((3, false), (retry.Message.Attempts, retry.ResentAfterCrash));
    }

    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(60);

    /// <summary>A delivery report for <paramref name="id"/> through the report write path (as a callback naming it by Herald's id).</summary>
    private async Task ReportAsync(HeraldDatabase database, string id, DeliveryState state)
    {
        await using var batch = await database.DlrInbox.BeginBatchAsync(Ct);
        await batch.TransitionAsync([(id, new StateChange { Proposed = state, Source = "dlr", Event = state.ToWire(), Note = "Delivered to handset" })], Ct);
        await batch.CommitAsync(Ct);
    }

    /// <summary>Claims a message and lets its worker die: after the lease it is held in doubt for <see cref="Hold"/>.</summary>
    private async Task<(HeraldDatabase Db, string Id, TimeSpan Lease)> InDoubtAsync()
    {
        var db = await QueueDatabaseAsync();
        var id = await EnqueueAsync(db, "mkt", 3, TimeSpan.FromHours(1));
        var lease = TimeSpan.FromMinutes(2);
        Assert.Single(await db.Queue.ClaimAsync(10, "node-a", lease, Ct));
        Time.Advance(lease + TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await db.Queue.RecoverExpiredLeasesAsync(Hold, Ct));
        return (db, id, lease);
    }

    [Fact]
    public async Task Lease_ExpiresWithAnInDoubtHold_MessageWaitsTheHoldForAReport()
    {
        var (db, id, lease) = await InDoubtAsync();
        var expiredAt = Time.GetUtcNow();

        Assert.Equal(DeliveryState.Queued, (await db.Messages.GetAsync(id, Ct))!.Status);
        Assert.Equal(expiredAt + Hold, await db.Queue.NextDueAsync(Ct));
        Assert.Empty(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        var expired = (await db.Messages.GetEventsAsync(id, Ct)).Single(e => e.Event == "lease-expired");
        Assert.Contains($"in doubt after a crash", expired.Note, StringComparison.Ordinal);
        Assert.Contains($"holding for reports until {expiredAt + Hold:O}", expired.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lease_ReportArrivesDuringTheInDoubtHold_SettlesTheMessage_AndItIsNeverResent()
    {
        var (db, id, lease) = await InDoubtAsync();
        Time.Advance(TimeSpan.FromSeconds(20));

        await ReportAsync(db, id, DeliveryState.Delivered);

        Assert.Equal(DeliveryState.Delivered, (await db.Messages.GetAsync(id, Ct))!.Status);
        Time.Advance(Hold);
        Assert.Empty(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        Assert.Null(await db.Queue.NextDueAsync(Ct));
        Assert.Equal(0, await db.Queue.RecoverExpiredLeasesAsync(Hold, Ct));
        var events = await db.Messages.GetEventsAsync(id, Ct);
        Assert.Equal(["queued", "dispatching", "lease-expired", "delivered"], events.Select(e => e.Event));
        Assert.Contains("settled by a report while in doubt after a crash", events[^1].Note, StringComparison.Ordinal);
        Assert.True(events[^1].Applied);
    }

    [Fact]
    public async Task Lease_NoReportDuringTheInDoubtHold_MessageIsResentWhenTheHoldEnds()
    {
        var (db, id, lease) = await InDoubtAsync();
        var heldUntil = Time.GetUtcNow() + Hold;

        Time.Advance(Hold - TimeSpan.FromMilliseconds(1));
        Assert.Empty(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var resend = Assert.Single(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));

        Assert.Equal((id, 2, true), (resend.Message.Id, resend.Message.Attempts, resend.ResentAfterCrash));
        Assert.Empty(await db.Queue.SettledAsync([id], Ct));
        var attempt = (await db.Messages.GetEventsAsync(id, Ct)).Last(e => e.Event == "dispatching");
        Assert.Contains($"resent-after-crash (the previous attempt's lease expired and no report named it by {heldUntil:O}; same message id)", attempt.Note,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lease_ReportRacesTheClaimAtTheEndOfTheHold_NoMessageIsBothClaimedAndLeftToSend()
    {
        var db = await QueueDatabaseAsync();
        var lease = TimeSpan.FromMinutes(2);
        var now = Time.GetUtcNow();
        var messages = Enumerable.Range(0, 60).Select(_ => (NewMessage(), new DispatchInfo(3, now, null, "gsm7", 1))).ToList();
        await db.Queue.EnqueueAsync(messages, null, Ct);
        Assert.Equal(60, (await db.Queue.ClaimAsync(100, "crashed", lease, Ct)).Count);
        Time.Advance(lease + TimeSpan.FromMilliseconds(1));
        Assert.Equal(60, await db.Queue.RecoverExpiredLeasesAsync(Hold, Ct));
        Time.Advance(Hold); // the hold ends just as every report arrives
        var ids = messages.Select(m => m.Item1.Id).ToList();

        // Reports one by one (each its own transaction) while claimers take the same messages.
        var reports = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await ReportAsync(db, id, DeliveryState.Delivered);
            }
        }, Ct);
        var claims = Enumerable.Range(0, 3).Select(n => Task.Run(async () =>
        {
            var mine = new List<ClaimedMessage>();
            while (!reports.IsCompleted)
            {
                mine.AddRange(await db.Queue.ClaimAsync(2, $"node-{n}", lease, Ct));
            }
            return mine;
        }, Ct)).ToList();
        await reports;
        var claimed = (await Task.WhenAll(claims)).SelectMany(c => c).ToList();

        // Whichever committed first: a message claimed before its report is seen as settled by the look before the resend;
        // one reported first was never claimed. Either way nothing is sent again, and every report applied.
        Assert.All(claimed, c => Assert.True(c.ResentAfterCrash));
        Assert.Equal(claimed.Select(c => c.Message.Id).Order(), (await db.Queue.SettledAsync(claimed.Select(c => c.Message.Id).ToList(), Ct)).Order());
        // A claim never took a message its report had settled (it would have moved it back to dispatching).
        var settledInDoubt = 0;
        foreach (var id in ids)
        {
            Assert.Equal(DeliveryState.Delivered, (await db.Messages.GetAsync(id, Ct))!.Status);
            var report = (await db.Messages.GetEventsAsync(id, Ct)).Single(e => e.Source == "dlr");
            settledInDoubt += report.Note!.Contains("settled by a report while in doubt", StringComparison.Ordinal) ? 1 : 0;
        }
        Assert.Equal(ids.Count, settledInDoubt + claimed.Count);
        TestContext.Current.SendDiagnosticMessage($"{claimed.Count} of {ids.Count} claimed before their report");
    }

    [Fact]
    public async Task Claim_OtpQueuedAfterACampaign_IsClaimedFirst()
    {
        var db = await QueueDatabaseAsync();
        for (var i = 0; i < 5; i++)
        {
            await EnqueueAsync(db, "mkt", 3);
        }
        var otp = await EnqueueAsync(db, "otp", 0);

        var claimed = await db.Queue.ClaimAsync(2, "node-a", TimeSpan.FromMinutes(2), Ct);

        // The claim takes the OTP ahead of every older campaign message (the rows come back in no particular order).
        Assert.Equal(["mkt", "otp"], claimed.Select(c => c.Message.Type).Order());
        Assert.Contains(claimed, c => c.Message.Id == otp);
        Assert.Equal(4, (await db.Queue.DepthAsync(Ct)).ByLane[3]);
    }
}
