using Herald.Core.Messaging;
using Herald.Storage.Records;

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
    public async Task Lease_WorkerCrashes_MessageReturnsAfterTheLease_AndIsResentWithTheSameId()
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
        Assert.Equal(0, await db.Queue.RecoverExpiredLeasesAsync(Ct));
        Assert.Empty(await db.Queue.ClaimAsync(10, "node-b", lease, Ct));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await db.Queue.RecoverExpiredLeasesAsync(Ct));
        Assert.Equal(0, await db.Queue.RecoverExpiredLeasesAsync(Ct));
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
