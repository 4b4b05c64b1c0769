using System.Globalization;
using Dapper;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Retention;

/// <summary>
/// Retention of the message aggregate: blanks the content of old messages, and counts old messages into
/// <c>message_daily</c> before removing them with their timelines. Messages are found through their primary key: ids are
/// UUIDv7 (hex), so every message created before a time has an id below the one that time would get, and the oldest come first.
/// </summary>
internal sealed class SqlMessageRetention(SqlDatabase database)
{
    private const string ContentMark = "message-content";

    // Still needed to send (queued, or claimed by a worker): never blanked nor removed.
    private const string Sending = "('queued', 'dispatching')";

    /// <summary>
    /// Blanks the text, template variables and dynamic fields of up to <paramref name="limit"/> messages created before
    /// <paramref name="before"/>, and the raw detail (requests, answers, reports) of their timelines; answers how many
    /// messages it looked at. Resumes where the last batch stopped (<c>retention_marks</c>).
    /// </summary>
    public async Task<int> BlankContentAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var mark = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT mark FROM retention_marks WHERE name = @name", new { name = ContentMark }, cancellationToken: cancellationToken)) ?? "";
        var ids = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM messages WHERE id > @mark AND id < @boundary ORDER BY id LIMIT @limit",
            new { mark, boundary = Boundary(before), limit }, cancellationToken: cancellationToken))).ToArray();
        if (ids.Length == 0)
        {
            return 0;
        }
        var now = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var list = database.Dialect.InList("id", "ids");
        await Exec(connection, transaction, $"""
            UPDATE messages SET body = NULL, template_variables = NULL, dynamic_fields = NULL, accepted_detail = NULL, content_purged_at = @now
            WHERE {list} AND created_at < @before AND status NOT IN {Sending} AND content_purged_at IS NULL
            """, new { ids, now, before = before.ToUnixTimeMilliseconds() }, cancellationToken);
        await Exec(connection, transaction, $"""
            UPDATE message_events SET detail = NULL WHERE {database.Dialect.InList("message_id", "ids")} AND detail IS NOT NULL
            AND message_id IN (SELECT id FROM messages WHERE {list} AND content_purged_at IS NOT NULL)
            """, new { ids }, cancellationToken);
        await Exec(connection, transaction, """
            INSERT INTO retention_marks (name, mark, updated_at) VALUES (@name, @mark, @now)
            ON CONFLICT (name) DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at WHERE excluded.mark > retention_marks.mark
            """, new { name = ContentMark, mark = ids[^1], now }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ids.Length;
    }

    /// <summary>
    /// Counts up to <paramref name="limit"/> messages created before <paramref name="before"/> into <c>message_daily</c> and
    /// removes them, their timelines, idempotency keys and finished outbox rows, in one transaction; answers how many it removed.
    /// </summary>
    public async Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Locked, so two nodes on one PostgreSQL database never count the same message twice.
        var ids = (await connection.QueryAsync<string>(new CommandDefinition($"""
            SELECT id FROM messages WHERE id < @boundary AND created_at < @before AND status NOT IN {Sending}
            ORDER BY id LIMIT @limit {database.Dialect.SkipLocked}
            """, new { boundary = Boundary(before), before = before.ToUnixTimeMilliseconds(), limit }, transaction,
            cancellationToken: cancellationToken))).ToArray();
        if (ids.Length == 0)
        {
            return 0;
        }
        var list = database.Dialect.InList("id", "ids");
        var byMessage = database.Dialect.InList("message_id", "ids");
        // WHERE before ON CONFLICT: SQLite would otherwise read ON as a join's.
        await Exec(connection, transaction, $"""
            INSERT INTO message_daily (day, provider_id, campaign_id, status, messages)
            SELECT created_at / 86400000, COALESCE(provider_id, ''), COALESCE(campaign_id, ''), status, COUNT(*)
            FROM messages WHERE {list}
            GROUP BY created_at / 86400000, COALESCE(provider_id, ''), COALESCE(campaign_id, ''), status
            ON CONFLICT (day, provider_id, campaign_id, status) DO UPDATE SET messages = message_daily.messages + excluded.messages
            """, new { ids }, cancellationToken);
        await Exec(connection, transaction, $"DELETE FROM message_events WHERE {byMessage}", new { ids }, cancellationToken);
        await Exec(connection, transaction, $"DELETE FROM outbox WHERE {byMessage} AND status <> 'pending'", new { ids }, cancellationToken);
        var removed = await Exec(connection, transaction, $"DELETE FROM messages WHERE {list}", new { ids }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    /// <summary>The smallest message id a message created at <paramref name="time"/> or later can have (UUIDv7: 48 bits of Unix ms first).</summary>
    internal static string Boundary(DateTimeOffset time) =>
        Math.Max(0, time.ToUnixTimeMilliseconds()).ToString("x12", CultureInfo.InvariantCulture) + new string('0', 20);
}

/// <summary>Blanks old messages' content (<see cref="RetentionOptions.Content"/>).</summary>
internal sealed class MessageContentRetention(SqlMessageRetention store, Microsoft.Extensions.Options.IOptions<RetentionOptions> options) : IRetentionStep
{
    public string Name => "message content";
    public TimeSpan? Interval => options.Value.Content is null ? null : options.Value.Interval;
    public int BatchSize => options.Value.BatchSize;

    public Task<int> RunBatchAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        store.BlankContentAsync(now - options.Value.Content!.Value, BatchSize, cancellationToken);
}

/// <summary>Counts and removes old messages (<see cref="RetentionOptions.Messages"/>).</summary>
internal sealed class MessageRetention(SqlMessageRetention store, Microsoft.Extensions.Options.IOptions<RetentionOptions> options) : IRetentionStep
{
    public string Name => "messages";
    public TimeSpan? Interval => options.Value.Messages is null ? null : options.Value.Interval;
    public int BatchSize => options.Value.BatchSize;

    public Task<int> RunBatchAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        store.PurgeAsync(now - options.Value.Messages!.Value, BatchSize, cancellationToken);
}
