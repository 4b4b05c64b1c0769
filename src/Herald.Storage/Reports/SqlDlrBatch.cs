using System.Data.Common;
using Dapper;
using Herald.Storage.Messages;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Reports;

/// <summary>
/// Many delivery reports in one transaction (<see cref="IDlrInbox.BeginBatchAsync"/>): it holds the connection, the transaction and,
/// on SQLite, the writer turn from <see cref="SqlReportStore.BeginBatchAsync"/> until it is disposed.
/// </summary>
internal sealed class SqlDlrBatch(SqlDatabase database, DbConnection connection, DbTransaction transaction, IDisposable turn) : IDlrBatch
{
    private readonly List<(string ProviderId, string ProviderMessageId)> _parked = [];

    public async Task<IReadOnlyList<long>> StoreAsync(IReadOnlyList<DlrInboxItem> items, CancellationToken cancellationToken)
    {
        var ids = new List<long>(items.Count);
        foreach (var item in items)
        {
            ids.Add(await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO dlr_inbox (provider_id, message_id, received_at, method, content_type, body, query)
                VALUES (@ProviderId, @MessageId, @ReceivedAt, @Method, @ContentType, @Body, @Query) RETURNING id
                """, new
            {
                item.ProviderId, item.MessageId, ReceivedAt = item.ReceivedAt.ToUnixTimeMilliseconds(), item.Method, item.ContentType, item.Body, item.Query,
            }, transaction, cancellationToken: cancellationToken)));
        }
        return ids;
    }

    // One INSERT … SELECT FROM unnest per batch of callbacks on PostgreSQL, one prepared execution per callback on SQLite.
    // The id is the one reserved for the report (ReserveIdsAsync), so the timeline entries written before it can refer to it.
    private static readonly Statement InsertProcessed = new("""
        INSERT INTO dlr_inbox (id, provider_id, message_id, received_at, method, content_type, body, query, processed_at, result)
        SELECT r.id, r.provider_id, r.message_id, r.received_at, r.method, r.content_type, r.body, r.query, r.processed_at, r.result FROM {rows}
        """, "id bigint", "provider_id text", "message_id text", "received_at bigint", "method text", "content_type text", "body text", "query text", "processed_at bigint",
        "result text")
    {
        SqliteRow = """
            INSERT INTO dlr_inbox (id, provider_id, message_id, received_at, method, content_type, body, query, processed_at, result)
            VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)
            """,
    };

    public async Task<IReadOnlyList<long>> ReserveIdsAsync(int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return [];
        }
        if (database.Dialect.Name == "postgres")
        {
            var ids = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT nextval(pg_get_serial_sequence('dlr_inbox', 'id')) FROM generate_series(1, @count)", new { count }, transaction,
                cancellationToken: cancellationToken))).ToList();
            ids.Sort();
            return ids;
        }
        // SQLite: this batch holds the one writer turn, so the ids after the highest ever given (AUTOINCREMENT's sequence) are its own.
        var last = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(n) FROM (SELECT seq AS n FROM sqlite_sequence WHERE name = 'dlr_inbox' UNION ALL SELECT MAX(id) FROM dlr_inbox) x", transaction: transaction,
            cancellationToken: cancellationToken)) ?? 0;
        var reserved = new long[count];
        for (var i = 0; i < count; i++)
        {
            reserved[i] = last + 1 + i;
        }
        return reserved;
    }

    private static readonly Statement MarkProcessed = new("""
        UPDATE dlr_inbox SET processed_at = r.processed_at, result = r.result FROM {rows} WHERE dlr_inbox.id = r.id AND dlr_inbox.id {in_keys}
        """, "id bigint", "processed_at bigint", "result text")
    {
        SqliteRow = "UPDATE dlr_inbox SET processed_at = @p1, result = @p2 WHERE id = @p0",
        KeyedByFirstColumn = true,
    };

    public async Task StoreProcessedAsync(IReadOnlyList<(DlrInboxItem Item, string Result)> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return;
        }
        var at = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var batch = new StatementBatch(connection, transaction);
        foreach (var (item, result) in items)
        {
            batch.Add(InsertProcessed, item.Id, item.ProviderId, item.MessageId, item.ReceivedAt.ToUnixTimeMilliseconds(), item.Method, item.ContentType, item.Body,
                item.Query, at, StoredAnswer.Compact(result));
        }
        await batch.FlushAsync(cancellationToken);
    }

    // The type comes with the row each lookup reads anyway (the id is not in the lookup's index): no extra read.
    public async Task<IReadOnlyDictionary<string, ReportedMessage>> ProvidersOfAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ReportedMessage>(StringComparer.Ordinal);
        foreach (var chunk in messageIds.Distinct().Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string Id, string? ProviderId, string Type)>(new CommandDefinition(
                $"SELECT id, provider_id, type FROM messages WHERE {database.Dialect.InList("id", "ids")}", new { ids = chunk }, transaction,
                cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                found[row.Id] = new ReportedMessage(row.Id, row.ProviderId, row.Type);
            }
        }
        return found;
    }

    public async Task<IReadOnlyDictionary<string, ReportedMessage>> FindByProviderMessageIdsAsync(string providerId, IReadOnlyCollection<string> providerMessageIds,
        CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ReportedMessage>(StringComparer.Ordinal);
        foreach (var chunk in providerMessageIds.Distinct().Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string ProviderMessageId, string Id, string Type)>(new CommandDefinition(
                $"SELECT provider_message_id, id, type FROM messages WHERE provider_id = @providerId AND {database.Dialect.InList("provider_message_id", "ids")}",
                new { providerId, ids = chunk }, transaction, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                found.TryAdd(row.ProviderMessageId, new ReportedMessage(row.Id, providerId, row.Type));
            }
        }
        return found;
    }

    public Task<IReadOnlyList<TransitionResult>> TransitionAsync(IReadOnlyList<(string MessageId, StateChange Change)> changes,
        CancellationToken cancellationToken) =>
        changes.Count == 0 ? Task.FromResult<IReadOnlyList<TransitionResult>>([]) : MessageSql.TransitionManyAsync(database, connection, transaction, changes, cancellationToken);

    public async Task ParkAsync(IReadOnlyList<PendingReport> reports, CancellationToken cancellationToken)
    {
        if (reports.Count > 0)
        {
            _parked.AddRange(reports.Select(r => (r.ProviderId, r.ProviderMessageId)));
            await Exec(connection, transaction, """
                INSERT INTO pending_reports (provider_id, provider_message_id, report, received_at, message_id)
                VALUES (@ProviderId, @ProviderMessageId, @Report, @ReceivedAt, (
                    SELECT id FROM messages WHERE provider_id = @ProviderId AND provider_message_id = @ProviderMessageId ORDER BY id LIMIT 1))
                """, reports.Select(r => new { r.ProviderId, r.ProviderMessageId, r.Report, ReceivedAt = r.ReceivedAt.ToUnixTimeMilliseconds() }),
                cancellationToken);
        }
    }

    public async Task RemoveParkedAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        foreach (var chunk in ids.Chunk(ListChunk))
        {
            await Exec(connection, transaction, $"DELETE FROM pending_reports WHERE {database.Dialect.InList("id", "ids")}", new { ids = chunk }, cancellationToken);
        }
    }

    public async Task EnqueueOutboxAsync(IReadOnlyList<OutboxItem> items, CancellationToken cancellationToken)
    {
        if (items.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(SqlOutboxStore.InsertSql, SqlOutboxStore.InsertRows(items, database.Clock.GetUtcNow()), transaction,
                cancellationToken: cancellationToken));
        }
    }

    public async Task MarkProcessedAsync(IReadOnlyList<(long Id, string Result)> results, CancellationToken cancellationToken)
    {
        if (results.Count > 0)
        {
            var at = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            await using var batch = new StatementBatch(connection, transaction);
            foreach (var (id, result) in results)
            {
                batch.Add(MarkProcessed, id, at, StoredAnswer.Compact(result));
            }
            await batch.FlushAsync(cancellationToken);
        }
    }

    // One DELETE … WHERE id = ANY(array) per batch on PostgreSQL, one prepared execution per report on SQLite: the same cost as the
    // UPDATE that marks a report processed, which it replaces for a report that is not kept.
    private static readonly Statement DeleteApplied = new("DELETE FROM dlr_inbox WHERE dlr_inbox.id {in_keys}", "id bigint")
    {
        SqliteRow = "DELETE FROM dlr_inbox WHERE id = @p0",
    };

    public async Task DeleteAppliedAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count > 0)
        {
            await using var batch = new StatementBatch(connection, transaction);
            foreach (var id in ids)
            {
                batch.Add(DeleteApplied, id);
            }
            await batch.FlushAsync(cancellationToken);
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await transaction.CommitAsync(cancellationToken);
        await MessageSql.MarkAfterCommitAsync(database, connection, [], _parked, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
        finally
        {
            turn.Dispose();
        }
    }
}
