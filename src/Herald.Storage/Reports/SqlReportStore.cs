using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Reports;

/// <summary>
/// The delivery-report aggregate: raw reports as received (<c>dlr_inbox</c>), reports parked until their provider message id
/// is known (<c>pending_reports</c>), and the batch that applies many of them to their messages in one transaction.
/// </summary>
internal sealed class SqlReportStore(SqlDatabase database) : IDlrInbox, IPendingReports
{
    private const string InboxColumns = """
        id AS Id, provider_id AS ProviderId, received_at AS ReceivedAt, method AS Method, content_type AS ContentType,
        body AS Body, query AS Query, processed_at AS ProcessedAt, result AS Result, message_id AS MessageId
        """;

    // ---------------------------------------------------------------- DLR inbox

    public async Task<IReadOnlyList<DlrInboxItem>> PendingAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"SELECT {InboxColumns} FROM dlr_inbox WHERE processed_at IS NULL ORDER BY id LIMIT @limit",
            new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        // Oldest first by id (ids grow with received_at): the primary key finds them without a scan of the rest.
        return await Exec(connection, null, """
            DELETE FROM dlr_inbox WHERE id IN (SELECT id FROM dlr_inbox WHERE received_at < @before ORDER BY id LIMIT @limit)
            """, new { before = before.ToUnixTimeMilliseconds(), limit }, cancellationToken);
    }

    public async Task<IReadOnlyList<DlrInboxItem>> ForMessageAsync(string messageId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"SELECT {InboxColumns} FROM dlr_inbox WHERE message_id = @messageId ORDER BY id DESC LIMIT @limit",
            new { messageId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<Page<DlrInboxItem>> RecentAsync(DlrInboxQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 1000);
        var filter = (query.ProviderId is null ? "" : " AND provider_id = @ProviderId")
            + (query.Before is null ? "" : " AND id < @Before")
            // What was not applied in full, or not yet (see StoredAnswer).
            + (query.NotApplied ? " AND " + StoredAnswer.NotAppliedSql : "");
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"SELECT {InboxColumns} FROM dlr_inbox WHERE 1 = 1{filter} ORDER BY id DESC LIMIT @Take",
            new { query.ProviderId, query.Before, Take = limit + 1 }, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? rows[limit - 1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new Page<DlrInboxItem>([.. rows.Take(limit).Select(r => r.ToRecord())], next);
    }

    public async Task<IReadOnlyList<DlrInboxItem>> ListAfterAsync(string? providerId, long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var filter = providerId is null ? "" : "AND provider_id = @providerId";
        var rows = await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"SELECT {InboxColumns} FROM dlr_inbox WHERE id > @afterId {filter} ORDER BY id LIMIT @limit",
            new { providerId, afterId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IDlrBatch> BeginBatchAsync(CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken);
        IDisposable? turn = null;
        try
        {
            turn = await database.WriteTurnAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            return new SqlDlrBatch(database, connection, transaction, turn);
        }
        catch
        {
            turn?.Dispose();
            await connection.DisposeAsync();
            throw;
        }
    }

    // ---------------------------------------------------------------- parked reports

    public async Task<IReadOnlyList<(PendingReport Report, string MessageId)>> MatchedAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string ProviderId, string ProviderMessageId, string Report, long ReceivedAt, string MessageId)>(
            // The partial index ix_pending_reports_matched holds only marked reports: an idle server with any number parked reads nothing.
            new CommandDefinition("""
                SELECT id, provider_id, provider_message_id, report, received_at, message_id
                FROM pending_reports WHERE message_id IS NOT NULL
                ORDER BY id LIMIT @limit
                """, new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => (new PendingReport
        {
            Id = r.Id, ProviderId = r.ProviderId, ProviderMessageId = r.ProviderMessageId, Report = r.Report, ReceivedAt = Time(r.ReceivedAt),
        }, r.MessageId)).ToList();
    }

    public async Task<int> MarkLateMatchesAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, """
            UPDATE pending_reports SET message_id = (
                SELECT m.id FROM messages m
                WHERE m.provider_id = pending_reports.provider_id AND m.provider_message_id = pending_reports.provider_message_id
                ORDER BY m.id LIMIT 1)
            WHERE message_id IS NULL AND received_at >= @since AND EXISTS (
                SELECT 1 FROM messages m
                WHERE m.provider_id = pending_reports.provider_id AND m.provider_message_id = pending_reports.provider_message_id)
            """, new { since = since.ToUnixTimeMilliseconds() }, cancellationToken);
    }

    public async Task RemoveAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM pending_reports WHERE {database.Dialect.InList("id", "ids")}", new { ids = ids.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<PendingReport>> StaleAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string ProviderId, string ProviderMessageId, string Report, long ReceivedAt)>(new CommandDefinition(
            "SELECT id, provider_id, provider_message_id, report, received_at FROM pending_reports WHERE received_at < @before ORDER BY id LIMIT @limit",
            new { before = before.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new PendingReport
        {
            Id = r.Id, ProviderId = r.ProviderId, ProviderMessageId = r.ProviderMessageId, Report = r.Report, ReceivedAt = Time(r.ReceivedAt),
        }).ToList();
    }

    private sealed class InboxRow
    {
        public long Id { get; set; }
        public string ProviderId { get; set; } = "";
        public long ReceivedAt { get; set; }
        public string Method { get; set; } = "";
        public string? ContentType { get; set; }
        public string Body { get; set; } = "";
        public string Query { get; set; } = "";
        public long? ProcessedAt { get; set; }
        public string? Result { get; set; }
        public string? MessageId { get; set; }

        public DlrInboxItem ToRecord() => new()
        {
            Id = Id, ProviderId = ProviderId, ReceivedAt = Time(ReceivedAt), Method = Method, ContentType = ContentType, Body = Body,
            Query = Query, ProcessedAt = ProcessedAt is { } p ? Time(p) : null, Result = StoredAnswer.Expand(Result), MessageId = MessageId,
        };
    }
}
