using System.Text;
using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Messages.MessageSql;

namespace Herald.Storage.Messages;

/// <summary>
/// The message aggregate: messages and their timelines (<c>messages</c>, <c>message_events</c>), the dispatch queue over them
/// (with <c>idempotency_keys</c>) and the dead letters among them.
/// </summary>
internal sealed partial class SqlMessageStore(SqlDatabase database) : IMessageStore, IDispatchQueue, IDeadLetterStore
{
    public async Task InsertAsync(MessageRecord message, MessageEventRecord firstEvent, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await InsertMessageRow(connection, transaction, message, cancellationToken);
        await InsertEvent(database.Dialect, connection, transaction, firstEvent, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<MessageRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<MessageRow>(new CommandDefinition(
            $"SELECT {MessageColumns} FROM messages WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<MessageEventRecord>> GetEventsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<EventRow>(new CommandDefinition("""
            SELECT id AS Id, message_id AS MessageId, at AS At, source AS Source, event AS Event, state AS State,
                applied AS Applied, note AS Note, detail AS Detail, attempt_at AS AttemptAt, attempt_note AS AttemptNote
            FROM message_events WHERE message_id = @id ORDER BY id
            """, new { id }, cancellationToken: cancellationToken))).ToList();
        await ReadReportDetailsAsync(connection, rows, cancellationToken);
        // One read of the row: a message held right now has its claim on it until the attempt ends, and the usual first entry
        // the usual success and plain reports are not stored as rows (MessageSql.QueuedImplied, MessageSql.AcceptedImplied, FoldedReports).
        var head = await connection.QueryFirstOrDefaultAsync<TimelineHead>(new CommandDefinition(
            $"SELECT {TimelineHeadColumns} FROM messages WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (head is null)
        {
            return WithAttempts(rows, null);
        }
        rows = FoldedReports.Merge(rows, ImpliedAccepted(head), FoldedReports.Read(head.Id, head.CreatedAt, head.Reports));
        var events = WithAttempts(rows, head.ClaimedAt is null ? null : head);
        if (ImpliedQueued(head) is { } queued)
        {
            events.Insert(0, queued);
        }
        return events;
    }

    /// <summary>Puts back the details that entries keep as a reference into a raw report (StoredDetail.InReport), from the reports' bodies.</summary>
    private async Task ReadReportDetailsAsync(System.Data.Common.DbConnection connection, List<EventRow> rows, CancellationToken cancellationToken)
    {
        List<long>? reportIds = null;
        foreach (var row in rows)
        {
            if (StoredDetail.IsInReport(row.Detail, out var slice))
            {
                (reportIds ??= []).Add(slice.ReportId);
            }
        }
        if (reportIds is null)
        {
            return;
        }
        // One query for the message's reports (a timeline refers to a few), not one per report.
        var bodies = (await connection.QueryAsync<(long Id, string Body)>(new CommandDefinition(
                $"SELECT id, body FROM dlr_inbox WHERE {database.Dialect.InList("id", "ids")}", new { ids = reportIds.Distinct().ToArray() },
                cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Id, r => r.Body);
        foreach (var row in rows)
        {
            if (StoredDetail.IsInReport(row.Detail, out var slice))
            {
                row.Detail = StoredDetail.FromReport(slice, bodies.GetValueOrDefault(slice.ReportId));
            }
        }
    }

    public async Task<Page<MessageRecord>> ListAsync(MessageQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 500);
        var sql = new StringBuilder($"SELECT {MessageColumns} FROM messages WHERE 1 = 1");
        var parameters = new DynamicParameters();
        void Filter(string column, string name, object? value)
        {
            if (value is not null)
            {
                sql.Append($" AND {column} = @{name}");
                parameters.Add(name, value);
            }
        }
        Filter("status", "status", query.Status?.ToWire());
        Filter("provider_id", "provider", query.ProviderId);
        Filter("to_number", "to", query.To);
        Filter("type", "type", query.Type);
        Filter("campaign_id", "campaign", query.CampaignId);
        Filter("source", "source", query.Source);
        Filter("api_key_id", "apiKey", query.ApiKeyId);
        if (query.After is not null)
        {
            sql.Append(" AND id < @after");
            parameters.Add("after", query.After);
        }
        sql.Append(" ORDER BY id DESC LIMIT @limit");
        parameters.Add("limit", limit + 1);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<MessageRow>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? rows[limit - 1].Id : null;
        return new Page<MessageRecord>(rows.Take(limit).Select(r => r.ToRecord()).ToList(), next);
    }

    public async Task<TransitionResult> TransitionAsync(string messageId, StateChange change, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await MessageSql.TransitionAsync(database, connection, transaction, messageId, change, cancellationToken);
        if (result.Found)
        {
            await transaction.CommitAsync(cancellationToken);
            if (change.ProviderMessageId is not null)
            {
                await MessageSql.MarkAfterCommitAsync(database, connection, [messageId], [], cancellationToken);
            }
        }
        return result;
    }
}
