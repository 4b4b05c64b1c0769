using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Retention;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Herald.Storage.Tests;

// Retention (issue 11 §8): every test opens its own database, because a purge takes every old row there is.
public abstract partial class StorageComplianceTests
{
    private static readonly DateTimeOffset RetentionStart = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Retention_MessagesPast180Days_RemovedNewKeptAndCountsUnchanged()
    {
        var db = await RetentionDatabaseAsync();
        var campaign = $"cmp_{Unique()}";
        var old = new List<MessageRecord>();
        for (var i = 0; i < 23; i++)
        {
            old.Add(await InsertAtAsync(db, i % 3 == 0 ? DeliveryState.Failed : DeliveryState.Delivered, i % 2 == 0 ? campaign : null,
                i % 4 == 0 ? "prv_b" : "prv_a"));
        }
        var stillQueued = await InsertAtAsync(db, DeliveryState.Queued, null, "prv_a");
        Time.Advance(TimeSpan.FromDays(181));
        var fresh = new List<MessageRecord>();
        for (var i = 0; i < 5; i++)
        {
            fresh.Add(await InsertAtAsync(db, DeliveryState.Delivered, campaign, "prv_a"));
        }
        var before = await CountsAsync(db, campaign);

        var handled = await NewLoop(db, batch: 7).RunAllAsync(Ct);
        var after = await CountsAsync(db, campaign);
        await NewLoop(db, batch: 7).RunAllAsync(Ct); // nothing left: counted once, not twice
        var again = await CountsAsync(db, campaign);

        Assert.True(handled >= 23);
        foreach (var message in old)
        {
            Assert.Null(await db.Messages.GetAsync(message.Id, Ct));
            Assert.Empty(await db.Messages.GetEventsAsync(message.Id, Ct));
        }
        Assert.NotNull(await db.Messages.GetAsync(stillQueued.Id, Ct));
        foreach (var message in fresh)
        {
            Assert.Equal("Your OTP is 123456", (await db.Messages.GetAsync(message.Id, Ct))!.Body);
        }
        Assert.Equal(before, after);
        Assert.Equal(before, again);
        Assert.Equal(28, before.All["delivered"] + before.All["failed"]);
    }

    [Fact]
    public async Task Retention_After30Days_ContentBlankedMessageKeptUntil180Days()
    {
        var db = await RetentionDatabaseAsync();
        var old = await InsertAtAsync(db, DeliveryState.Delivered, null, "prv_a");
        var queued = await InsertAtAsync(db, DeliveryState.Queued, null, "prv_a");
        Time.Advance(TimeSpan.FromDays(20));
        var younger = await InsertAtAsync(db, DeliveryState.Delivered, null, "prv_a");
        Time.Advance(TimeSpan.FromDays(11)); // old: 31 days, younger: 11 days

        await NewLoop(db, batch: 1).RunAllAsync(Ct);

        var blanked = await db.Messages.GetAsync(old.Id, Ct);
        Assert.NotNull(blanked);
        Assert.Equal(DeliveryState.Delivered, blanked.Status);
        Assert.Null(blanked.Body);
        Assert.Null(blanked.DynamicFields);
        var timeline = await db.Messages.GetEventsAsync(old.Id, Ct);
        Assert.NotEmpty(timeline);
        Assert.All(timeline, e => Assert.Null(e.Detail));
        Assert.Equal("Your OTP is 123456", (await db.Messages.GetAsync(queued.Id, Ct))!.Body);
        Assert.Equal("Your OTP is 123456", (await db.Messages.GetAsync(younger.Id, Ct))!.Body);
        Assert.NotNull((await db.Messages.GetEventsAsync(younger.Id, Ct))[0].Detail);

        Time.Advance(TimeSpan.FromDays(150)); // old: 181 days, younger: 161 days
        await NewLoop(db, batch: 1).RunAllAsync(Ct);

        Assert.Null(await db.Messages.GetAsync(old.Id, Ct));
        Assert.Null((await db.Messages.GetAsync(younger.Id, Ct))!.Body);
        Assert.Equal(2, (await db.Stats.CountByStatusAsync("prv_a", null, Ct))["delivered"]); // the purged one as counted, the younger live
    }

    [Fact]
    public async Task RequeueAsync_DeadLetterWhoseContentWasBlanked_IsNotRequeued()
    {
        var db = await RetentionDatabaseAsync();
        var blanked = await InsertAtAsync(db, DeliveryState.Failed, null, "prv_a");
        Time.Advance(TimeSpan.FromDays(31));
        var recent = await InsertAtAsync(db, DeliveryState.Failed, null, "prv_a");
        await NewLoop(db, batch: 10).RunAllAsync(Ct);

        var now = Time.GetUtcNow();
        var requeued = await db.DeadLetters.RequeueAsync([blanked.Id, recent.Id], new Requeue(now, now.AddMinutes(10), now.AddHours(24), "api"), Ct);

        Assert.Equal([recent.Id], requeued);
        Assert.Equal(DeliveryState.Failed, (await db.Messages.GetAsync(blanked.Id, Ct))!.Status);
    }

    [Fact]
    public async Task RetentionLoop_InTheBackground_PurgesAtStartAndEveryInterval()
    {
        var db = await RetentionDatabaseAsync();
        var first = await InsertAtAsync(db, DeliveryState.Delivered, null, "prv_a");
        Time.Advance(TimeSpan.FromDays(181));
        var loop = NewLoop(db, batch: 100);
        await loop.StartAsync(Ct);
        try
        {
            await EventuallyAsync(async () => await db.Messages.GetAsync(first.Id, Ct) is null);
            var second = await InsertAtAsync(db, DeliveryState.Delivered, null, "prv_a");
            Time.Advance(TimeSpan.FromDays(181)); // past retention, and past the loop's next run (interval 1 h)
            await EventuallyAsync(async () => await db.Messages.GetAsync(second.Id, Ct) is null);
            Assert.Equal(2, (await db.Stats.CountByStatusAsync("prv_a", null, Ct))["delivered"]);
        }
        finally
        {
            await loop.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void RetentionOptions_ShorterThanTheFloorsOrContentLongerThanMessages_FailWithTheSettingToFix()
    {
        var validator = new RetentionOptionsValidator();
        Assert.True(validator.Validate(null, new RetentionOptions()).Succeeded);
        Assert.True(validator.Validate(null, new RetentionOptions { Content = null, Messages = null }).Succeeded);
        var failed = validator.Validate(null, new RetentionOptions { Content = TimeSpan.FromDays(200), Messages = TimeSpan.FromDays(2), BatchSize = 0 });
        Assert.True(failed.Failed);
        Assert.Contains("Herald:Retention:Messages must be at least 7 days", failed.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Herald:Retention:Content must not be longer", failed.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Herald:Retention:BatchSize", failed.FailureMessage, StringComparison.Ordinal);
    }

    private sealed record RetentionCounts(IReadOnlyDictionary<string, long> All, IReadOnlyDictionary<string, long> ProviderA,
        IReadOnlyDictionary<string, long> Campaign, IReadOnlyDictionary<string, long> CampaignReport, long CampaignChart, string ByState)
    {
        public bool Equals(RetentionCounts? other) => other is not null && ToString() == other.ToString();

        public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

        public override string ToString() => string.Join("; ", new[] { All, ProviderA, Campaign, CampaignReport }
            .Select(d => string.Join(",", d.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")))) + $"; chart={CampaignChart}; {ByState}";
    }

    private async Task<RetentionCounts> CountsAsync(HeraldDatabase db, string campaign) => new(
        await db.Stats.CountByStatusAsync(null, null, Ct),
        await db.Stats.CountByStatusAsync("prv_a", null, Ct),
        await db.Stats.CountByStatusAsync(null, campaign, Ct),
        (await db.Campaigns.CountsAsync(campaign, Ct)).Messages,
        (await db.Campaigns.MinutesAsync(campaign, Ct)).Sum(m => m.Sent + m.Delivered + m.Failed),
        string.Join(",", (await db.Stats.CountByStateAsync(null, RetentionStart.AddDays(-1), Ct))
            .OrderBy(c => c.ProviderId, StringComparer.Ordinal).ThenBy(c => c.State).Select(c => $"{c.ProviderId}/{c.State}={c.Count}")));

    private async Task<HeraldDatabase> RetentionDatabaseAsync()
    {
        if (Time.GetUtcNow() < RetentionStart)
        {
            Time.SetUtcNow(RetentionStart);
        }
        var db = Fixture.Open(await Fixture.NewDatabaseAsync(Ct));
        await db.Database.MigrateAsync(Ct);
        return db;
    }

    private async Task<MessageRecord> InsertAtAsync(HeraldDatabase db, DeliveryState status, string? campaign, string provider)
    {
        var message = NewMessage(m => m with { Status = status, CampaignId = campaign, ProviderId = provider, DynamicFields = """{"code":"123456"}""" });
        await db.Messages.InsertAsync(message, QueuedEvent(message), Ct);
        return message;
    }

    private RetentionLoop NewLoop(HeraldDatabase db, int batch)
    {
        var options = Options.Create(new RetentionOptions { BatchSize = batch, BatchPause = TimeSpan.Zero });
        return new RetentionLoop([new MessageContentRetention(db.Retention, options), new MessageRetention(db.Retention, options)], options, Time,
            NullLogger<RetentionLoop>.Instance);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the retention loop did not get there in 20 s");
            await Task.Delay(20, Ct);
        }
    }
}
