using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    private async Task<(MessageRecord Message, ConnectorMessageRecord Connector)> InsertConnectorMessageAsync(HeraldDatabase? db = null,
        string? externalId = null, string callbackUrl = "https://in1.api.clevertap.com/a1/sms/dlr/kaleyra?token=x")
    {
        var message = NewMessage(m => m with { ProviderId = null, ProviderNickname = "connector:kaleyra", Source = "connector" });
        var connector = new ConnectorMessageRecord
        {
            MessageId = message.Id,
            Connector = "kaleyra",
            ExternalId = externalId ?? $"ct-{Unique()}",
            CallbackUrl = callbackUrl,
            CallbackToken = $"tok_{Unique()}",
            Host = "api.in.kaleyra.io",
            Sid = "HXIN1234567890",
            CreatedAt = message.CreatedAt,
        };
        await (db ?? Db).Connector.InsertMessageAsync(message, QueuedEvent(message), connector, Ct);
        return (message, connector);
    }

    private RelayRecord NewRelay(string messageId, string callbackUrl = "https://in1.api.clevertap.com/dlr", DateTimeOffset? due = null) => new()
    {
        MessageId = messageId,
        CallbackUrl = callbackUrl,
        Event = "delivered",
        Payload = $$"""{"ts":1654512921,"meta":"{{messageId}}","description":"Delivered ✓"}""",
        NextAttemptAt = due ?? Time.GetUtcNow(),
        CreatedAt = Time.GetUtcNow(),
        UpdatedAt = Time.GetUtcNow(),
    };

    /// <summary>A message with one pending relay, in <paramref name="db"/>; returns the relay id.</summary>
    private async Task<long> EnqueueRelayAsync(HeraldDatabase db, string callbackUrl = "https://in1.api.clevertap.com/dlr", DateTimeOffset? due = null)
    {
        var (message, _) = await InsertConnectorMessageAsync(db);
        var (transition, relayId) = await db.Connector.ApplyReportAsync(message.Id, Change(DeliveryState.Delivered), NewRelay(message.Id, callbackUrl, due), Ct);
        Assert.True(transition.Applied);
        return relayId!.Value;
    }

    private async Task<HeraldDatabase> FreshDatabaseAsync()
    {
        var database = Fixture.Open(await Fixture.NewDatabaseAsync(Ct));
        await database.Database.MigrateAsync(Ct);
        return database;
    }

    [Fact]
    public async Task ConnectorInsertMessageAsync_MessageAndConnectorRow_RoundTripTogether()
    {
        var (message, connector) = await InsertConnectorMessageAsync();

        Assert.Equal(connector, await Db.Connector.GetMessageAsync(message.Id, Ct));
        Assert.Equal(message, await Db.Messages.GetAsync(message.Id, Ct));
        Assert.Equal("queued", Assert.Single(await Db.Messages.GetEventsAsync(message.Id, Ct)).Event);
        Assert.Null(await Db.Connector.GetMessageAsync($"m_{Unique()}", Ct));
    }

    [Fact]
    public async Task ConnectorInsertMessageAsync_FailsHalfway_StoresNothing()
    {
        var (existing, _) = await InsertConnectorMessageAsync();
        var message = NewMessage(m => m with { Source = "connector" });
        var clash = new ConnectorMessageRecord
        {
            MessageId = message.Id, Connector = "kaleyra", ExternalId = "x", CallbackUrl = "https://a.clevertap.com/", CallbackToken = "t",
            Host = "api.in.kaleyra.io", Sid = "S", CreatedAt = message.CreatedAt,
        };
        // The message row goes in first; a duplicate message id makes the transaction fail as a whole.
        await Assert.ThrowsAnyAsync<Exception>(() => Db.Connector.InsertMessageAsync(message with { Id = existing.Id }, QueuedEvent(message) with { MessageId = existing.Id },
            clash with { MessageId = existing.Id }, Ct));

        Assert.Single(await Db.Messages.GetEventsAsync(existing.Id, Ct));
        Assert.NotEqual("x", (await Db.Connector.GetMessageAsync(existing.Id, Ct))!.ExternalId);
    }

    [Fact]
    public async Task ConnectorFindByExternalIdAsync_SameIdTwice_ReturnsTheNewestForThatCallbackUrl()
    {
        var externalId = $"ct-{Unique()}";
        var (first, _) = await InsertConnectorMessageAsync(externalId: externalId);
        var (second, _) = await InsertConnectorMessageAsync(externalId: externalId);
        var (other, _) = await InsertConnectorMessageAsync(externalId: externalId, callbackUrl: "https://eu1.api.clevertap.com/other");

        Assert.Equal(second.Id, (await Db.Connector.FindByExternalIdAsync("kaleyra", externalId, "https://in1.api.clevertap.com/a1/sms/dlr/kaleyra?token=x", Ct))!.MessageId);
        Assert.Equal(other.Id, (await Db.Connector.FindByExternalIdAsync("kaleyra", externalId, "https://eu1.api.clevertap.com/other", Ct))!.MessageId);
        Assert.Null(await Db.Connector.FindByExternalIdAsync("kaleyra", $"ct-{Unique()}", "https://eu1.api.clevertap.com/other", Ct));
        Assert.Null(await Db.Connector.FindByExternalIdAsync("other", externalId, "https://eu1.api.clevertap.com/other", Ct));
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task ConnectorCallbacks_StoredPendingUntilProcessed_ListedNewestFirstPerMessage()
    {
        var (message, _) = await InsertConnectorMessageAsync();
        var item = new ConnectorCallbackItem
        {
            MessageId = message.Id,
            ReceivedAt = new DateTimeOffset(2025, 6, 7, 8, 9, 10, 456, TimeSpan.Zero),
            Method = "POST",
            ContentType = "application/x-www-form-urlencoded",
            Body = "id=kid1:1&status=Delivered&status_details=DELIVERED&note=ünï ✓",
            Query = "",
        };
        var first = await Db.Connector.StoreCallbackAsync(item, Ct);
        var second = await Db.Connector.StoreCallbackAsync(item with { Method = "GET", ContentType = null, Body = "", Query = "?id=kid1:1&status=Sent" }, Ct);

        Assert.True(second > first);
        Assert.Equal([first, second], (await Db.Connector.PendingCallbacksAsync(10_000, Ct)).Where(c => c.MessageId == message.Id).Select(c => c.Id));

        Time.Advance(TimeSpan.FromSeconds(2));
        await Db.Connector.MarkCallbackProcessedAsync(first, """{"status":"success","processed":1}""", Ct);

        Assert.Equal([second], (await Db.Connector.PendingCallbacksAsync(10_000, Ct)).Where(c => c.MessageId == message.Id).Select(c => c.Id));
        var listed = await Db.Connector.CallbacksForMessageAsync(message.Id, 10, Ct);
        Assert.Equal([second, first], listed.Select(c => c.Id));
        Assert.Equal(item with { Id = first, ProcessedAt = Time.GetUtcNow(), Result = """{"status":"success","processed":1}""" }, listed[1]);
        Assert.Single(await Db.Connector.CallbacksForMessageAsync(message.Id, 1, Ct));
    }

    [Fact]
    public async Task ConnectorApplyReportAsync_SameFinalReportTwice_MovesAndEnqueuesOnce()
    {
        var (message, _) = await InsertConnectorMessageAsync();

        var sent = await Db.Connector.ApplyReportAsync(message.Id, Change(DeliveryState.Sent), null, Ct);
        var first = await Db.Connector.ApplyReportAsync(message.Id, Change(DeliveryState.Delivered), NewRelay(message.Id), Ct);
        var again = await Db.Connector.ApplyReportAsync(message.Id, Change(DeliveryState.Delivered), NewRelay(message.Id), Ct);
        var late = await Db.Connector.ApplyReportAsync(message.Id, Change(DeliveryState.Failed), NewRelay(message.Id) with { Event = "failed" }, Ct);

        Assert.True(sent.Transition.Applied);
        Assert.Null(sent.RelayId);
        Assert.True(first.Transition.Applied);
        Assert.NotNull(first.RelayId);
        Assert.False(again.Transition.Applied);
        Assert.Null(again.RelayId);
        Assert.False(late.Transition.Applied);
        Assert.Null(late.RelayId);
        var relay = Assert.Single(await Db.Connector.RelaysForMessageAsync(message.Id, Ct));
        Assert.Equal(NewRelay(message.Id) with { Id = first.RelayId!.Value, CreatedAt = relay.CreatedAt, UpdatedAt = relay.UpdatedAt, NextAttemptAt = relay.NextAttemptAt }, relay);
        Assert.Equal(RelayStatus.Pending, relay.Status);
        Assert.Equal(DeliveryState.Delivered, (await Db.Messages.GetAsync(message.Id, Ct))!.Status);
        Assert.Equal(["queued", "sent", "delivered", "delivered", "failed"], (await Db.Messages.GetEventsAsync(message.Id, Ct)).Select(e => e.Event));
    }

    [Fact]
    public async Task ConnectorApplyReportAsync_UnknownMessage_IsNotFoundAndEnqueuesNothing()
    {
        var id = $"m_{Unique()}";

        var (transition, relayId) = await Db.Connector.ApplyReportAsync(id, Change(DeliveryState.Delivered), NewRelay(id), Ct);

        Assert.False(transition.Found);
        Assert.Null(relayId);
        Assert.Empty(await Db.Connector.RelaysForMessageAsync(id, Ct));
    }

    [Fact]
    public async Task RelayClaimAsync_DueAndFutureRelays_ClaimsOnlyDueOnesOldestFirstWithinLimit()
    {
        var db = await FreshDatabaseAsync();
        var now = Time.GetUtcNow();
        var a = await EnqueueRelayAsync(db, due: now.AddSeconds(-3));
        var b = await EnqueueRelayAsync(db, due: now.AddSeconds(-2));
        var c = await EnqueueRelayAsync(db, due: now.AddSeconds(-1));
        var future = await EnqueueRelayAsync(db, due: now.AddMinutes(5));

        var firstTwo = await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(30), 2, Ct);
        var rest = await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(30), 10, Ct);

        Assert.Equal([a, b], firstTwo.Select(r => r.Id));
        Assert.All(firstTwo, r => Assert.Equal(now.AddMinutes(30), r.ClaimedUntil));
        Assert.Equal([c], rest.Select(r => r.Id));
        Assert.Empty(await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(1), 10, Ct));
        Assert.Equal([future], (await db.Connector.ClaimRelaysAsync(now.AddMinutes(6), TimeSpan.FromMinutes(1), 10, Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task RelayClaimAsync_LeaseRunsOut_RelayIsClaimableAgain()
    {
        var db = await FreshDatabaseAsync();
        var now = Time.GetUtcNow();
        var id = await EnqueueRelayAsync(db, due: now);

        Assert.Single(await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromSeconds(30), 10, Ct));
        Assert.Empty(await db.Connector.ClaimRelaysAsync(now.AddSeconds(29), TimeSpan.FromSeconds(30), 10, Ct));

        var reclaimed = Assert.Single(await db.Connector.ClaimRelaysAsync(now.AddSeconds(31), TimeSpan.FromSeconds(30), 10, Ct));
        Assert.Equal(id, reclaimed.Id);
        Assert.Equal(0, reclaimed.Attempts);
    }

    [Fact]
    public async Task RelayReleaseAsync_ClaimedRelay_IsClaimableAtOnceWithoutAnAttempt()
    {
        var db = await FreshDatabaseAsync();
        var now = Time.GetUtcNow();
        var id = await EnqueueRelayAsync(db, due: now);
        Assert.Single(await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(5), 10, Ct));

        await db.Connector.ReleaseRelaysAsync([id], Ct);

        var again = Assert.Single(await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(5), 10, Ct));
        Assert.Equal(0, again.Attempts);
    }

    [Fact]
    public async Task RelayCompleteAsync_SentRetryDead_UpdatesRowsAndTimelines()
    {
        var db = await FreshDatabaseAsync();
        var now = Time.GetUtcNow();
        var sent = await EnqueueRelayAsync(db, due: now);
        var retry = await EnqueueRelayAsync(db, due: now);
        var dead = await EnqueueRelayAsync(db, due: now);
        var claimed = await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(5), 10, Ct);
        RelayRecord Claimed(long id) => claimed.Single(r => r.Id == id);
        Time.Advance(TimeSpan.FromSeconds(1));

        await db.Connector.CompleteRelaysAsync(
        [
            new RelayCompletion { Id = sent, MessageId = Claimed(sent).MessageId, Status = RelayStatus.Sent, Event = "relayed", Note = "HTTP 200", Detail = """{"status":200}""" },
            new RelayCompletion { Id = retry, MessageId = Claimed(retry).MessageId, Status = RelayStatus.Pending, NextAttemptAt = now.AddMinutes(10), Error = "HTTP 503", Event = "relay-retry" },
            new RelayCompletion { Id = dead, MessageId = Claimed(dead).MessageId, Status = RelayStatus.Dead, Error = "HTTP 400", Event = "relay-dead" },
        ], Ct);

        var sentRow = Assert.Single(await db.Connector.RelaysForMessageAsync(Claimed(sent).MessageId, Ct));
        Assert.Equal((RelayStatus.Sent, 1, (DateTimeOffset?)null, (string?)null), (sentRow.Status, sentRow.Attempts, sentRow.ClaimedUntil, sentRow.LastError));
        Assert.Equal(Time.GetUtcNow(), sentRow.UpdatedAt);
        var retryRow = Assert.Single(await db.Connector.RelaysForMessageAsync(Claimed(retry).MessageId, Ct));
        Assert.Equal((RelayStatus.Pending, 1, now.AddMinutes(10), "HTTP 503"), (retryRow.Status, retryRow.Attempts, retryRow.NextAttemptAt, retryRow.LastError));
        var deadRow = Assert.Single(await db.Connector.RelaysForMessageAsync(Claimed(dead).MessageId, Ct));
        Assert.Equal((RelayStatus.Dead, 1), (deadRow.Status, deadRow.Attempts));

        var relayEvent = (await db.Messages.GetEventsAsync(Claimed(sent).MessageId, Ct))[^1];
        Assert.Equal(("relay", "relayed", "HTTP 200", """{"status":200}""", (DeliveryState?)null, false),
            (relayEvent.Source, relayEvent.Event, relayEvent.Note, relayEvent.Detail, relayEvent.State, relayEvent.Applied));

        // Only the retry comes back, and only when due; a sent relay never moves again.
        Assert.Empty(await db.Connector.ClaimRelaysAsync(now.AddMinutes(9), TimeSpan.FromMinutes(5), 10, Ct));
        Assert.Equal([retry], (await db.Connector.ClaimRelaysAsync(now.AddMinutes(10), TimeSpan.FromMinutes(5), 10, Ct)).Select(r => r.Id));
        await db.Connector.CompleteRelaysAsync([new RelayCompletion { Id = sent, MessageId = Claimed(sent).MessageId, Status = RelayStatus.Dead, Event = "relay-dead" }], Ct);
        Assert.Equal(RelayStatus.Sent, Assert.Single(await db.Connector.RelaysForMessageAsync(Claimed(sent).MessageId, Ct)).Status);
        Assert.Equal("relayed", (await db.Messages.GetEventsAsync(Claimed(sent).MessageId, Ct))[^1].Event);
    }

    [Fact]
    public async Task RelayClaimAsync_SeveralNodesAtOnce_ClaimEachRelayOnce()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);
        var now = Time.GetUtcNow();
        var ids = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await EnqueueRelayAsync(db, due: now));
        }
        // Separately opened databases on the same data: what several Herald nodes are.
        var nodes = Enumerable.Range(0, 4).Select(_ => Fixture.Open(connectionString)).ToList();

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => nodes[i % nodes.Count].Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(1), 7, Ct), Ct)));

        var claimed = claims.SelectMany(c => c.Select(r => r.Id)).ToList();
        Assert.Equal(claimed.Count, claimed.Distinct().Count());
        var rest = (await db.Connector.ClaimRelaysAsync(now, TimeSpan.FromMinutes(1), 100, Ct)).Select(r => r.Id);
        Assert.Equal(ids.Order(), claimed.Concat(rest).Order());
    }
}
