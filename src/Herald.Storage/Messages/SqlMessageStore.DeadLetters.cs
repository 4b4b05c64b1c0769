using System.Text;
using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using static Herald.Storage.Messages.MessageSql;

namespace Herald.Storage.Messages;

/// <summary>Dead letters: failed and expired messages, and requeueing them.</summary>
internal sealed partial class SqlMessageStore
{
    private const string DeadStates = "('failed', 'expired')";

    public async Task<Page<DeadLetter>> ListDeadLettersAsync(DeadLetterQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 1000);
        var sql = new StringBuilder($"""
            SELECT {MessageColumns},
                (SELECT e.note FROM message_events e WHERE e.message_id = m.id AND e.applied = 1 AND e.state = m.status
                 ORDER BY e.id DESC LIMIT 1) AS Reason
            FROM messages m WHERE status IN {DeadStates}
            """);
        var parameters = new DynamicParameters();
        Filter(sql, parameters, "status = @status", "status", query.Status?.ToWire());
        Filter(sql, parameters, "provider_id = @provider", "provider", query.ProviderId);
        Filter(sql, parameters, "updated_at >= @since", "since", query.Since?.ToUnixTimeMilliseconds());
        Filter(sql, parameters, "id < @after", "after", query.After);
        sql.Append(" ORDER BY id DESC LIMIT @limit");
        parameters.Add("limit", limit + 1);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<DeadLetterRow>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? rows[limit - 1].Id : null;
        return new Page<DeadLetter>(rows.Take(limit).Select(r => new DeadLetter(r.ToRecord(), StoredNote.Expand(r.Reason))).ToList(), next);
    }

    public async Task<IReadOnlyList<string>> RequeueAsync(IReadOnlyList<string> messageIds, Requeue requeue, CancellationToken cancellationToken)
    {
        if (messageIds.Count == 0)
        {
            return [];
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var dead = (await connection.QueryAsync<TimelineHead>(new CommandDefinition(
            // A message whose content retention blanked (Herald:Retention:Content) has nothing left to send.
            $"SELECT {TimelineHeadColumns} FROM messages WHERE {database.Dialect.InList("id", "ids")} AND status IN {DeadStates} AND content_purged_at IS NULL {database.Dialect.ForUpdate}",
            new { ids = messageIds.Distinct().ToArray() }, transaction, cancellationToken: cancellationToken))).ToList();
        if (dead.Count == 0)
        {
            return [];
        }
        var now = requeue.Now.ToUnixTimeMilliseconds();
        // A success the row implies keeps its notes as they read before the provider id is cleared (MessageSql.FrozenAccepted).
        var frozen = dead.Select(d => (d.Id, Owner: FrozenAccepted(d))).Where(d => d.Owner is not null).Select(d => new { d.Id, d.Owner }).ToList();
        if (frozen.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE messages SET accepted_owner = @Owner WHERE id = @Id", frozen, transaction,
                cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE messages SET status = 'queued', next_attempt_at = @now,
                valid_until = CASE WHEN type = 'otp' THEN @otpUntil ELSE @until END,
                attempts = 0, provider_message_id = NULL, lease_until = NULL, lease_owner = NULL, resend = 0, updated_at = @now
            WHERE {database.Dialect.InList("id", "ids")} AND status IN {DeadStates}
            """, new
        {
            ids = dead.Select(d => d.Id).ToArray(), now, otpUntil = requeue.OtpValidUntil.ToUnixTimeMilliseconds(),
            until = requeue.ValidUntil.ToUnixTimeMilliseconds(),
        }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO message_events (message_id, id, at, source, event, state, applied, note, detail)
            VALUES (@Id, {database.Dialect.NextEventId("@Id")}, @At, @Source, 'requeued', 'queued', 1, @Note, NULL)
            """, dead.Select(d => new
        {
            d.Id, At = now, requeue.Source,
            Note = $"requeued after it ended {d.Status} ({d.Attempts} attempt(s)): a new attempt with the same message id and fresh validity",
        }), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return dead.Select(d => d.Id).ToList();
    }

    private static void Filter(StringBuilder sql, DynamicParameters parameters, string condition, string name, object? value)
    {
        if (value is not null)
        {
            sql.Append(" AND ").Append(condition);
            parameters.Add(name, value);
        }
    }

    private sealed class DeadLetterRow : MessageRow
    {
        public string? Reason { get; set; }
    }
}
