using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Sql;

namespace Herald.Storage.Tests;

/// <summary>
/// The timeline as read: the entries the message row implies instead of storing them (the usual queued entry, the usual
/// success) read exactly like the rows they replace, and every other path still stores its rows.
/// </summary>
public abstract partial class StorageComplianceTests
{
    private static StateChange Accepted(string providerMessageId) => new()
    {
        Proposed = DeliveryState.Accepted, Source = "provider-response", Event = "accepted", ProviderMessageId = providerMessageId,
        Note = $"provider message id {providerMessageId}",
    };

    private static readonly ExchangeSummary Exchange = new("POST", "https://sms.example.com/v1/****/sms?x=1&y='2'", 202, 41);

    private const string ExchangeJson =
        """{"request":{"method":"POST","url":"https://sms.example.com/v1/****/sms?x=1&y='2'"},"response":{"status":202},"elapsedMs":41,"bodiesKept":false}""";

    // The two messages were created a millisecond apart: their queued entries differ only there.
    private static List<(DateTimeOffset At, string Source, string Event, DeliveryState? State, bool Applied, string? Note, string? Detail)> Entries(
        IEnumerable<MessageEventRecord> events, string providerMessageId) =>
        [.. events.Select(e => (e.Event == "queued" ? default : e.At, e.Source, e.Event, e.State, e.Applied, e.Note?.Replace(providerMessageId, "{pmid}", StringComparison.Ordinal), e.Detail))];

    private async Task<long> StoredRowsAsync(string connectionString, string id, string @event)
    {
        await using var connection = Fixture.RawConnection(connectionString);
        await connection.OpenAsync(Ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM message_events WHERE message_id = @id AND event = @event", new { id, @event }, cancellationToken: Ct));
    }

    [Fact]
    public async Task GetEventsAsync_UsualSuccessOnTheRow_ReadsLikeTheStoredEntry()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);
        var folded = await EnqueueAsync(db, "otp", 0);
        var stored = await EnqueueAsync(db, "otp", 0);
        Assert.Equal(2, (await db.Queue.ClaimAsync(10, "node-a/1", TimeSpan.FromMinutes(2), Ct)).Count);
        Time.Advance(TimeSpan.FromMilliseconds(40));

        // The same success, once as the dispatcher hands it over (its summary) and once as a detail given in full.
        await db.Queue.CompleteAsync([
            new DispatchCompletion(folded, Accepted("pm-folded") with { Summary = Exchange }),
            new DispatchCompletion(stored, Accepted("pm-stored") with { Detail = ExchangeJson })], Ct);
        Time.Advance(TimeSpan.FromMilliseconds(300));
        await ReportAsync(db, folded, DeliveryState.Delivered);
        await ReportAsync(db, stored, DeliveryState.Delivered);

        var expected = Entries(await db.Messages.GetEventsAsync(stored, Ct), "pm-stored");
        var actual = Entries(await db.Messages.GetEventsAsync(folded, Ct), "pm-folded");
        Assert.Equal(["queued", "dispatching", "accepted", "delivered"], actual.Select(e => e.Event));
        Assert.Equal(expected, actual);
        Assert.Equal(ExchangeJson, actual[2].Detail);
        Assert.Equal("attempt 1 through default by node-a/1", actual[1].Note);
        Assert.Equal(0, await StoredRowsAsync(connectionString, folded, "accepted"));
        Assert.Equal(1, await StoredRowsAsync(connectionString, stored, "accepted"));
    }

    [Fact]
    public async Task GetEventsAsync_ReportWithItsTime_NoteReadsWithTheTimeSpeltOut()
    {
        var message = await InsertMessageAsync();
        var reportedAt = new DateTimeOffset(2026, 12, 7, 18, 1, 8, TimeSpan.Zero);
        await using (var batch = await Db.DlrInbox.BeginBatchAsync(Ct))
        {
            await batch.TransitionAsync([
                (message.Id, Change(DeliveryState.Sent) with { Note = "SENT", ReportedAt = reportedAt }),
                (message.Id, Change(DeliveryState.Queued) with { Note = "LATE", ReportedAt = reportedAt })], Ct);
            await batch.CommitAsync(Ct);
        }

        var events = await Db.Messages.GetEventsAsync(message.Id, Ct);

        Assert.Equal("SENT (reported at 2026-12-07T18:01:08.0000000+00:00)", events[1].Note);
        // Not applied: the reason follows the note, which is stored as it reads.
        Assert.StartsWith("LATE (reported at 2026-12-07T18:01:08.0000000+00:00); ", events[2].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteAsync_RetriedFailedOrResent_StoresRows()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);
        var retried = await EnqueueAsync(db, "otp", 0);
        var failed = await EnqueueAsync(db, "otp", 0);
        var lease = TimeSpan.FromMinutes(2);
        Assert.Equal(2, (await db.Queue.ClaimAsync(10, "node-a/1", lease, Ct)).Count);

        // A transient failure, then success on the second attempt: both stay rows, in order.
        await db.Queue.CompleteAsync([
            new DispatchCompletion(retried, new StateChange { Proposed = DeliveryState.Queued, Source = "provider-response", Event = "transient-failure", Note = "busy" },
                Time.GetUtcNow()),
            new DispatchCompletion(failed, new StateChange { Proposed = DeliveryState.Failed, Source = "provider-response", Event = "permanent-failure", Note = "no" })], Ct);
        Time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Single(await db.Queue.ClaimAsync(10, "node-a/1", lease, Ct));
        await db.Queue.CompleteAsync([new DispatchCompletion(retried, Accepted("pm-2") with { Summary = Exchange })], Ct);

        var events = await db.Messages.GetEventsAsync(retried, Ct);
        Assert.Equal(["queued", "dispatching", "transient-failure", "dispatching", "accepted"], events.Select(e => e.Event));
        Assert.Equal("attempt 2 through default by node-a/1", events[3].Note);
        Assert.Equal(ExchangeJson, events[4].Detail);
        Assert.Equal(1, await StoredRowsAsync(connectionString, retried, "accepted"));
        Assert.Equal(1, await StoredRowsAsync(connectionString, failed, "permanent-failure"));

        // A dead letter that was accepted once (on its row) and is sent again: the first success keeps its notes, the second is a row.
        var once = await EnqueueAsync(db, "otp", 0);
        Assert.Single(await db.Queue.ClaimAsync(10, "node-a/1", lease, Ct));
        await db.Queue.CompleteAsync([new DispatchCompletion(once, Accepted("pm-first") with { Summary = Exchange })], Ct);
        await ReportAsync(db, once, DeliveryState.Failed);
        await db.DeadLetters.RequeueAsync([once], new Requeue(Time.GetUtcNow(), Time.GetUtcNow().AddHours(1), Time.GetUtcNow().AddHours(1), "api"), Ct);
        Time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Single(await db.Queue.ClaimAsync(10, "node-b/2", lease, Ct));
        await db.Queue.CompleteAsync([new DispatchCompletion(once, Accepted("pm-second") with { Summary = Exchange })], Ct);

        var again = await db.Messages.GetEventsAsync(once, Ct);
        Assert.Equal(["queued", "dispatching", "accepted", "failed", "requeued", "dispatching", "accepted"], again.Select(e => e.Event));
        Assert.Equal(["attempt 1 through default by node-a/1", "provider message id pm-first", "attempt 1 through default by node-b/2", "provider message id pm-second"],
            new[] { again[1].Note!, again[2].Note!, again[5].Note!, again[6].Note! });
        Assert.Equal(1, await StoredRowsAsync(connectionString, once, "accepted"));
    }

    /// <summary>Applies the migrations before <paramref name="version"/> to a new database, as an older Herald left it.</summary>
    private async Task SchemaBeforeAsync(System.Data.Common.DbConnection connection, string connectionString, int version)
    {
        ISqlDialect dialect = Fixture.Provider == "sqlite" ? new SqliteDialect(connectionString, "FULL") : new PostgresDialect(connectionString);
        await connection.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        foreach (var (step, name, sql) in Migrations.All.Where(m => m.Version < version))
        {
            await connection.ExecuteAsync(sql(dialect));
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, 0)", new { version = step, name });
        }
        await ((IAsyncDisposable)dialect).DisposeAsync();
    }

    [Fact]
    public async Task MigrateAsync_TimelineStoredByTheSchemaBefore_ReadsTheSameAndGrows()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        await using (var connection = Fixture.RawConnection(connectionString))
        {
            await connection.OpenAsync(Ct);
            await SchemaBeforeAsync(connection, connectionString, 360);
            // Two messages' timelines as that schema stored them: the ids are one sequence over both, interleaved.
            await connection.ExecuteAsync("""
                INSERT INTO messages (id, to_number, type, source, status, provider_id, provider_nickname, provider_message_id, attempts, created_at, updated_at,
                    segments, encoding, queued_implied)
                VALUES ('m1', '+919812345678', 'otp', 'api', 'delivered', 'prv_default', 'default', 'pm-1', 1, 1000, 1300, 1, 'gsm7', 1),
                       ('m2', '+919812345679', 'otp', 'api', 'accepted', 'prv_default', 'default', 'pm-2', 1, 1001, 1200, 1, 'gsm7', 1)
                """);
            await connection.ExecuteAsync("""
                INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail, attempt_at, attempt_note) VALUES
                    ('m1', 1100, 'provider-response', 'accepted', 'accepted', 1, 'provider message id pm-1', @summary, 1050, 'attempt 1 through default by node-a/1'),
                    ('m2', 1200, 'provider-response', 'accepted', 'accepted', 1, 'provider message id pm-2', NULL, 1060, 'attempt 1 through default by node-a/1'),
                    ('m1', 1300, 'dlr', 'delivered', 'delivered', 1, 'DELIVERED', '{"stat":"DELIVRD"}', NULL, NULL)
                """, new { summary = "\u001Fa\u001FPOST\u001Fhttps://x/\u001F200\u001F9" });
        }
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);

        var m1 = await db.Messages.GetEventsAsync("m1", Ct);
        Assert.Equal(
            [(1000L, "queued", "1 segment(s), gsm7", (string?)null), (1050L, "dispatching", "attempt 1 through default by node-a/1", null),
             (1100L, "accepted", "provider message id pm-1", """{"request":{"method":"POST","url":"https://x/"},"response":{"status":200},"elapsedMs":9,"bodiesKept":false}"""),
             (1300L, "delivered", "DELIVERED", """{"stat":"DELIVRD"}""")],
            m1.Select(e => (e.At.ToUnixTimeMilliseconds(), e.Event, e.Note, e.Detail)));
        Assert.Equal(["queued", "dispatching", "accepted"], (await db.Messages.GetEventsAsync("m2", Ct)).Select(e => e.Event));

        // A new entry after the upgrade goes after the ones copied.
        await ReportAsync(db, "m2", DeliveryState.Delivered);
        Assert.Equal(["queued", "dispatching", "accepted", "delivered"], (await db.Messages.GetEventsAsync("m2", Ct)).Select(e => e.Event));
    }
}
