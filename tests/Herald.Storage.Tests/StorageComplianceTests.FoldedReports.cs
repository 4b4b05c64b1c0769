using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Sql;

namespace Herald.Storage.Tests;

/// <summary>
/// Plain "sent" and "delivered" reports (no raw callback kept) go on the message row instead of a timeline row: read back, the timeline is the
/// same as when they were rows, in the same order among the rows around them.
/// </summary>
public abstract partial class StorageComplianceTests
{
    private static readonly DateTimeOffset SentReportedAt = new(2026, 12, 7, 18, 1, 8, TimeSpan.Zero);

    private async Task DlrAsync(HeraldDatabase db, params (string Id, StateChange Change)[] changes)
    {
        await using var batch = await db.DlrInbox.BeginBatchAsync(Ct);
        await batch.TransitionAsync(changes, Ct);
        await batch.CommitAsync(Ct);
    }

    private static StateChange SentReport(string? detail = null) =>
        Change(DeliveryState.Sent) with { Note = "code 0: SENT", ReportedAt = SentReportedAt, Detail = detail };

    private static List<(DateTimeOffset At, string Source, string Event, DeliveryState? State, bool Applied, string? Note)> Plain(IEnumerable<MessageEventRecord> events) =>
        [.. events.Select(e => (e.Event == "queued" ? default : e.At, e.Source, e.Event, e.State, e.Applied, e.Note))];

    [Fact]
    public async Task GetEventsAsync_PlainSentReportOnTheRow_ReadsLikeAStoredRow()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);
        var folded = await EnqueueAsync(db, "otp", 0);
        var kept = await EnqueueAsync(db, "otp", 0);
        Time.Advance(TimeSpan.FromMilliseconds(300));

        // The same reports, once plain and once with its raw callback kept (sampled): the kept one stays a row with its detail.
        await DlrAsync(db, (folded, SentReport()), (kept, SentReport("""{"stat":"SENT"}""")));
        Time.Advance(TimeSpan.FromMilliseconds(300));
        await DlrAsync(db, (folded, Change(DeliveryState.Delivered)), (kept, Change(DeliveryState.Delivered)));
        Time.Advance(TimeSpan.FromMilliseconds(300));
        // A late duplicate is not applied: its note says why, as a row's would.
        await DlrAsync(db, (folded, SentReport()), (kept, SentReport("""{"stat":"SENT"}""")));

        var expected = await db.Messages.GetEventsAsync(kept, Ct);
        var actual = await db.Messages.GetEventsAsync(folded, Ct);
        Assert.Equal(["queued", "sent", "delivered", "sent"], actual.Select(e => e.Event));
        Assert.Equal(Plain(expected), Plain(actual));
        Assert.Equal("code 0: SENT (reported at 2026-12-07T18:01:08.0000000+00:00)", actual[1].Note);
        Assert.False(actual[3].Applied);
        Assert.Equal([null, null, null, null], actual.Select(e => e.Detail));
        Assert.Equal("""{"stat":"SENT"}""", expected[1].Detail);
        Assert.Equal(0, await StoredRowsAsync(connectionString, folded, "sent"));
        Assert.Equal(2, await StoredRowsAsync(connectionString, kept, "sent"));
        Assert.Equal(0, await StoredRowsAsync(connectionString, folded, "delivered"));
    }

    [Fact]
    public async Task GetEventsAsync_FoldedReportsAmongRetryAndReportRows_InTheOrderTheyHappened()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);
        var id = await EnqueueAsync(db, "otp", 0);
        var lease = TimeSpan.FromMinutes(2);
        Assert.Single(await db.Queue.ClaimAsync(10, "node-a/1", lease, Ct));
        await db.Queue.CompleteAsync([new DispatchCompletion(id,
            new StateChange { Proposed = DeliveryState.Queued, Source = "provider-response", Event = "transient-failure", Note = "busy" }, Time.GetUtcNow())], Ct);
        Time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Single(await db.Queue.ClaimAsync(10, "node-a/1", lease, Ct));
        await db.Queue.CompleteAsync([new DispatchCompletion(id, Accepted("pm-1") with { Summary = Exchange })], Ct);
        Time.Advance(TimeSpan.FromMilliseconds(5));
        await DlrAsync(db, (id, SentReport()));
        Time.Advance(TimeSpan.FromMilliseconds(5));
        await DlrAsync(db, (id, Change(DeliveryState.Delivered) with { Detail = """{"stat":"DELIVRD"}""" }));
        Time.Advance(TimeSpan.FromMilliseconds(5));
        // In one batch: a folded report before a row is stored as a row (the batch writes its rows at one place), one after it folds.
        await DlrAsync(db, (id, SentReport()), (id, Change(DeliveryState.Delivered) with { Note = "again", Detail = """{"stat":"DELIVRD"}""" }), (id, SentReport() with { Note = "last" }));

        var events = await db.Messages.GetEventsAsync(id, Ct);
        Assert.Equal(["queued", "dispatching", "transient-failure", "dispatching", "accepted", "sent", "delivered", "sent", "delivered", "sent"],
            events.Select(e => e.Event));
        Assert.Equal([true, true, false], events.Skip(5).Take(3).Select(e => e.Applied));
        Assert.False(events[^1].Applied);
        Assert.StartsWith("last", events[^1].Note, StringComparison.Ordinal);
        Assert.Equal(events.Select(e => e.At).Order(), events.Select(e => e.At));
        Assert.Equal(1, await StoredRowsAsync(connectionString, id, "sent"));
    }

    [Fact]
    public async Task MigrateAsync_SentRowsStoredBeforeTheColumn_KeptAndLaterReportsFoldAfterThem()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        await using (var connection = Fixture.RawConnection(connectionString))
        {
            await connection.OpenAsync(Ct);
            await SchemaBeforeAsync(connection, connectionString, 380);
            await connection.ExecuteAsync("""
                INSERT INTO messages (id, to_number, type, source, status, provider_id, provider_nickname, provider_message_id, attempts, created_at, updated_at,
                    segments, encoding, queued_implied)
                VALUES ('m1', '+919812345678', 'otp', 'api', 'sent', 'prv_default', 'default', 'pm-1', 1, 1000, 1300, 1, 'gsm7', 1)
                """);
            var (first, second) = Fixture.Provider == "sqlite" ? ("1", "2") : ("DEFAULT", "DEFAULT");
            await connection.ExecuteAsync($"""
                INSERT INTO message_events (message_id, id, at, source, event, state, applied, note) VALUES
                    ('m1', {first}, 1100, 'provider-response', 'accepted', 'accepted', 1, 'provider message id pm-1'),
                    ('m1', {second}, 1300, 'dlr', 'sent', 'sent', 1, 'SENT')
                """);
        }
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);

        Assert.Equal([(1000L, "queued"), (1100L, "accepted"), (1300L, "sent")],
            (await db.Messages.GetEventsAsync("m1", Ct)).Select(e => (e.At.ToUnixTimeMilliseconds(), e.Event)));
        await DlrAsync(db, ("m1", SentReport()));
        var events = await db.Messages.GetEventsAsync("m1", Ct);
        Assert.Equal(["queued", "accepted", "sent", "sent"], events.Select(e => e.Event));
        Assert.StartsWith("code 0: SENT (reported at 2026-12-07T18:01:08.0000000+00:00); ", events[^1].Note, StringComparison.Ordinal); // already sent
        Assert.Equal(1, await StoredRowsAsync(connectionString, "m1", "sent"));
    }
}
