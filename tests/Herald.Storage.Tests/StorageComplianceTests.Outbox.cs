using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    /// <summary>A message with one pending outbox entry about it, in <paramref name="db"/>; returns the entry's id.</summary>
    private async Task<long> EnqueueWebhookAsync(HeraldDatabase db, string url = "https://in1.api.clevertap.com/dlr", DateTimeOffset? due = null, string? key = null)
    {
        var message = NewMessage(m => m with { ProviderId = null, ProviderNickname = "connector:kaleyra", Source = "connector" });
        await db.Queue.EnqueueAsync([(message, new DispatchInfo(2, null, null, "gsm7", 1))], null, Ct);
        key ??= $"k-{Unique()}";
        Assert.Equal(1, await db.Outbox.EnqueueAsync([new OutboxItem
        {
            Key = key, Topic = "clevertap", Url = url, MessageId = message.Id, NextAttemptAt = due ?? Time.GetUtcNow(),
            Payload = $$$"""{"event":"delivered","data":{"ts":1654512921,"meta":"{{{message.Id}}}","description":"Delivered ✓"}}""",
        }], Ct));
        return (await db.Outbox.ListAsync(new OutboxQuery { MessageId = message.Id }, Ct)).Items.Single().Id;
    }

    private async Task<HeraldDatabase> FreshDatabaseAsync()
    {
        var database = Fixture.Open(await Fixture.NewDatabaseAsync(Ct));
        await database.Database.MigrateAsync(Ct);
        return database;
    }

    [Fact]
    public async Task OutboxEnqueueAsync_SameKeyTwice_StoresOneEntry()
    {
        var db = await FreshDatabaseAsync();
        await EnqueueWebhookAsync(db, key: "same");

        var added = await db.Outbox.EnqueueAsync([new OutboxItem
        {
            Key = "same", Topic = "clevertap", Url = "https://other.example/", Payload = "{}", NextAttemptAt = Time.GetUtcNow(),
        }], Ct);

        Assert.Equal(0, added);
        Assert.Single((await db.Outbox.ListAsync(new OutboxQuery(), Ct)).Items);
    }

    [Fact]
    public async Task OutboxClaimAsync_DueAndFutureEntries_ClaimsOnlyDueOnesOldestFirstWithinLimit()
    {
        var db = await FreshDatabaseAsync();
        var now = Time.GetUtcNow();
        var a = await EnqueueWebhookAsync(db, due: now.AddSeconds(-3));
        var b = await EnqueueWebhookAsync(db, due: now.AddSeconds(-2));
        var c = await EnqueueWebhookAsync(db, due: now.AddSeconds(-1));
        var future = await EnqueueWebhookAsync(db, due: now.AddMinutes(5));

        var firstTwo = await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(30), 2, Ct);
        var rest = await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(30), 10, Ct);

        Assert.Equal([a, b], firstTwo.Select(r => r.Id));
        Assert.Equal([c], rest.Select(r => r.Id));
        Assert.Empty(await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(1), 10, Ct));
        Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal([future], (await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(1), 10, Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task OutboxClaimAsync_LeaseRunsOut_EntryIsClaimableAgain()
    {
        var db = await FreshDatabaseAsync();
        var id = await EnqueueWebhookAsync(db);

        Assert.Single(await db.Outbox.ClaimAsync("n1", TimeSpan.FromSeconds(30), 10, Ct));
        Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(await db.Outbox.ClaimAsync("n2", TimeSpan.FromSeconds(30), 10, Ct));
        Time.Advance(TimeSpan.FromSeconds(2));

        var reclaimed = Assert.Single(await db.Outbox.ClaimAsync("n2", TimeSpan.FromSeconds(30), 10, Ct));
        Assert.Equal((id, 0), (reclaimed.Id, reclaimed.Attempts));
    }

    [Fact]
    public async Task OutboxReleaseAsync_ClaimedEntry_IsClaimableAtOnceWithoutAnAttempt()
    {
        var db = await FreshDatabaseAsync();
        var id = await EnqueueWebhookAsync(db);
        Assert.Single(await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(5), 10, Ct));

        await db.Outbox.ReleaseAsync([id], Ct);

        Assert.Equal(0, Assert.Single(await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(5), 10, Ct)).Attempts);
    }

    [Fact]
    public async Task OutboxCompleteAsync_SentRetryDead_UpdatesRowsAndTimelines()
    {
        var db = await FreshDatabaseAsync();
        var now = Time.GetUtcNow();
        var sent = await EnqueueWebhookAsync(db);
        var retry = await EnqueueWebhookAsync(db);
        var dead = await EnqueueWebhookAsync(db);
        var claimed = await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(5), 10, Ct);
        string MessageOf(long id) => claimed.Single(r => r.Id == id).MessageId!;
        Time.Advance(TimeSpan.FromSeconds(1));

        await db.Outbox.CompleteAsync(
        [
            new OutboxCompletion { Id = sent, MessageId = MessageOf(sent), Status = OutboxStatus.Sent, Event = "relayed", Note = "HTTP 200", Detail = """{"status":200}""" },
            new OutboxCompletion { Id = retry, MessageId = MessageOf(retry), Status = OutboxStatus.Pending, NextAttemptAt = now.AddMinutes(10), Error = "HTTP 503", Event = "relay-retry" },
            new OutboxCompletion { Id = dead, MessageId = MessageOf(dead), Status = OutboxStatus.Dead, Error = "HTTP 400", Event = "relay-dead" },
        ], Ct);

        async Task<OutboxRecord> Row(long id) => (await db.Outbox.ListAsync(new OutboxQuery { MessageId = MessageOf(id) }, Ct)).Items.Single();
        var sentRow = await Row(sent);
        Assert.Equal((OutboxStatus.Sent, 1, (string?)null), (sentRow.Status, sentRow.Attempts, sentRow.LastError));
        Assert.Equal(Time.GetUtcNow(), sentRow.UpdatedAt);
        var retryRow = await Row(retry);
        Assert.Equal((OutboxStatus.Pending, 1, now.AddMinutes(10), "HTTP 503"), (retryRow.Status, retryRow.Attempts, retryRow.NextAttemptAt, retryRow.LastError));
        Assert.Equal((OutboxStatus.Dead, 1), ((await Row(dead)).Status, (await Row(dead)).Attempts));
        Assert.Equal([dead], (await db.Outbox.ListAsync(new OutboxQuery { Status = OutboxStatus.Dead }, Ct)).Items.Select(r => r.Id));

        var relayEvent = (await db.Messages.GetEventsAsync(MessageOf(sent), Ct))[^1];
        Assert.Equal(("relay", "relayed", "HTTP 200", """{"status":200}""", (DeliveryState?)null, false),
            (relayEvent.Source, relayEvent.Event, relayEvent.Note, relayEvent.Detail, relayEvent.State, relayEvent.Applied));

        // Only the retry comes back, and only when due.
        Time.Advance(TimeSpan.FromMinutes(8));
        Assert.Empty(await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(5), 10, Ct));
        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([retry], (await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(5), 10, Ct)).Select(r => r.Id));

        // A dead entry goes back to the queue on request, with its attempts reset.
        Assert.True(await db.Outbox.RetryAsync(dead, null, Ct));
        Assert.False(await db.Outbox.RetryAsync(sent, null, Ct));
        var again = Assert.Single(await db.Outbox.ClaimAsync("n1", TimeSpan.FromMinutes(5), 10, Ct));
        Assert.Equal((dead, 0), (again.Id, again.Attempts));
    }

    [Fact]
    public async Task OutboxClaimAsync_SeveralNodesAtOnce_ClaimEachEntryOnce()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);
        var ids = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await EnqueueWebhookAsync(db));
        }
        // Separately opened databases on the same data: what several Herald nodes are.
        var nodes = Enumerable.Range(0, 4).Select(_ => Fixture.Open(connectionString)).ToList();

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => nodes[i % nodes.Count].Outbox.ClaimAsync($"n{i}", TimeSpan.FromMinutes(1), 7, Ct), Ct)));

        var claimed = claims.SelectMany(c => c.Select(r => r.Id)).ToList();
        Assert.Equal(claimed.Count, claimed.Distinct().Count());
        var rest = (await db.Outbox.ClaimAsync("n9", TimeSpan.FromMinutes(1), 100, Ct)).Select(r => r.Id);
        Assert.Equal(ids.Order(), claimed.Concat(rest).Order());
    }
}
