using Dapper;
using Herald.Storage.Messages;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Messages.MessageSql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Connector;

/// <summary>
/// The Kaleyra connector's tables (migration 2): <c>connector_messages</c>, <c>connector_callbacks</c>, <c>connector_relays</c>.
/// Its messages and their timelines are the message aggregate's (<see cref="MessageSql"/>).
/// </summary>
internal sealed class SqlConnectorStore(SqlDatabase database) : IConnectorStore
{
    private const string ConnectorMessageColumns = """
        message_id AS MessageId, connector AS Connector, external_id AS ExternalId, callback_url AS CallbackUrl,
        callback_token AS CallbackToken, host AS Host, sid AS Sid, created_at AS CreatedAt
        """;

    private const string CallbackColumns = """
        id AS Id, message_id AS MessageId, received_at AS ReceivedAt, method AS Method, content_type AS ContentType,
        body AS Body, query AS Query, processed_at AS ProcessedAt, result AS Result
        """;

    private const string RelayColumns = """
        id AS Id, message_id AS MessageId, callback_url AS CallbackUrl, event AS Event, payload AS Payload, status AS Status,
        attempts AS Attempts, next_attempt_at AS NextAttemptAt, claimed_until AS ClaimedUntil, last_error AS LastError,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    // ---------------------------------------------------------------- connector messages

    public async Task InsertMessageAsync(MessageRecord message, MessageEventRecord firstEvent, ConnectorMessageRecord connector, CancellationToken cancellationToken)
    {
        if (connector.MessageId != message.Id)
        {
            throw new ArgumentException("The connector row must belong to the message.", nameof(connector));
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await InsertMessageRow(connection, transaction, message, cancellationToken);
        await InsertEvent(connection, transaction, firstEvent, cancellationToken);
        await Exec(connection, transaction, """
            INSERT INTO connector_messages (message_id, connector, external_id, callback_url, callback_token, host, sid, created_at)
            VALUES (@MessageId, @Connector, @ExternalId, @CallbackUrl, @CallbackToken, @Host, @Sid, @CreatedAt)
            """, new
        {
            connector.MessageId, connector.Connector, connector.ExternalId, connector.CallbackUrl, connector.CallbackToken, connector.Host,
            connector.Sid, CreatedAt = connector.CreatedAt.ToUnixTimeMilliseconds(),
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<ConnectorMessageRecord?> GetMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ConnectorMessageRow>(new CommandDefinition(
            $"SELECT {ConnectorMessageColumns} FROM connector_messages WHERE message_id = @messageId",
            new { messageId }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<ConnectorMessageRecord?> FindByExternalIdAsync(string connector, string externalId, string callbackUrl, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ConnectorMessageRow>(new CommandDefinition($"""
            SELECT {ConnectorMessageColumns} FROM connector_messages
            WHERE connector = @connector AND external_id = @externalId AND callback_url = @callbackUrl
            ORDER BY message_id DESC LIMIT 1
            """, new { connector, externalId, callbackUrl }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    // ---------------------------------------------------------------- callbacks

    public async Task<long> StoreCallbackAsync(ConnectorCallbackItem item, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO connector_callbacks (message_id, received_at, method, content_type, body, query)
            VALUES (@MessageId, @ReceivedAt, @Method, @ContentType, @Body, @Query) RETURNING id
            """, new
        {
            item.MessageId, ReceivedAt = item.ReceivedAt.ToUnixTimeMilliseconds(), item.Method, item.ContentType, item.Body, item.Query,
        }, cancellationToken: cancellationToken));
    }

    public async Task MarkCallbackProcessedAsync(long id, string result, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await Exec(connection, null, "UPDATE connector_callbacks SET processed_at = @at, result = @result WHERE id = @id",
            new { id, result, at = database.Clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken);
    }

    public async Task<IReadOnlyList<ConnectorCallbackItem>> PendingCallbacksAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<CallbackRow>(new CommandDefinition(
            $"SELECT {CallbackColumns} FROM connector_callbacks WHERE processed_at IS NULL ORDER BY id LIMIT @limit",
            new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<ConnectorCallbackItem>> CallbacksForMessageAsync(string messageId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<CallbackRow>(new CommandDefinition(
            $"SELECT {CallbackColumns} FROM connector_callbacks WHERE message_id = @messageId ORDER BY id DESC LIMIT @limit",
            new { messageId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    // ---------------------------------------------------------------- relays

    public async Task<(TransitionResult Transition, long? RelayId)> ApplyReportAsync(string messageId, StateChange change, RelayRecord? relayIfApplied,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var transition = await MessageSql.TransitionAsync(database, connection, transaction, messageId, change, cancellationToken);
        if (!transition.Found)
        {
            return (transition, null);
        }
        long? relayId = null;
        if (transition.Applied && relayIfApplied is { } relay)
        {
            relayId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO connector_relays (message_id, callback_url, event, payload, status, attempts, next_attempt_at, created_at, updated_at)
                VALUES (@MessageId, @CallbackUrl, @Event, @Payload, @Status, 0, @NextAttemptAt, @CreatedAt, @UpdatedAt) RETURNING id
                """, new
            {
                MessageId = messageId, relay.CallbackUrl, relay.Event, relay.Payload, Status = StatusName(RelayStatus.Pending),
                NextAttemptAt = relay.NextAttemptAt.ToUnixTimeMilliseconds(), CreatedAt = relay.CreatedAt.ToUnixTimeMilliseconds(),
                UpdatedAt = relay.UpdatedAt.ToUnixTimeMilliseconds(),
            }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return (transition, relayId);
    }

    public async Task<IReadOnlyList<RelayRecord>> ClaimRelaysAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        // One statement claims the rows; PostgreSQL skips rows another node is claiming at the same moment.
        // SQLite has one writer at a time, so the statement alone is enough there.
        var skipLocked = database.Dialect.ForUpdate.Length == 0 ? "" : database.Dialect.ForUpdate + " SKIP LOCKED";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RelayRow>(new CommandDefinition($"""
            UPDATE connector_relays SET claimed_until = @until
            WHERE id IN (
                SELECT id FROM connector_relays
                WHERE status = 'pending' AND next_attempt_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now)
                ORDER BY next_attempt_at, id
                LIMIT @limit {skipLocked})
            RETURNING {RelayColumns}
            """, new
        {
            now = now.ToUnixTimeMilliseconds(), until = (now + lease).ToUnixTimeMilliseconds(), limit = Math.Max(1, limit),
        }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).OrderBy(r => r.NextAttemptAt).ThenBy(r => r.Id).ToList();
    }

    public async Task CompleteRelaysAsync(IReadOnlyList<RelayCompletion> completions, CancellationToken cancellationToken)
    {
        if (completions.Count == 0)
        {
            return;
        }
        var at = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var completion in completions)
        {
            // Only a pending relay moves: one sent (by this or another node) is never touched again.
            var changed = await Exec(connection, transaction, """
                UPDATE connector_relays SET status = @status, attempts = attempts + 1,
                    next_attempt_at = COALESCE(@next, next_attempt_at), claimed_until = NULL, last_error = @error, updated_at = @at
                WHERE id = @id AND status = 'pending'
                """, new
            {
                id = completion.Id, status = StatusName(completion.Status), next = completion.NextAttemptAt?.ToUnixTimeMilliseconds(),
                error = completion.Error, at = at.ToUnixTimeMilliseconds(),
            }, cancellationToken);
            if (changed == 0)
            {
                continue;
            }
            await Exec(connection, transaction, "UPDATE messages SET updated_at = @at WHERE id = @messageId",
                new { at = at.ToUnixTimeMilliseconds(), messageId = completion.MessageId }, cancellationToken);
            await InsertEvent(connection, transaction, new MessageEventRecord
            {
                MessageId = completion.MessageId,
                At = at,
                Source = "relay",
                Event = completion.Event,
                Note = completion.Note,
                Detail = completion.Detail,
            }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task ReleaseRelaysAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var id in ids)
        {
            await Exec(connection, transaction, "UPDATE connector_relays SET claimed_until = NULL WHERE id = @id AND status = 'pending'", new { id }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RelayRecord>> RelaysForMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RelayRow>(new CommandDefinition(
            $"SELECT {RelayColumns} FROM connector_relays WHERE message_id = @messageId ORDER BY id",
            new { messageId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    private static string StatusName(RelayStatus status) => status switch
    {
        RelayStatus.Pending => "pending",
        RelayStatus.Sent => "sent",
        RelayStatus.Dead => "dead",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    private static RelayStatus ParseStatus(string status) => status switch
    {
        "pending" => RelayStatus.Pending,
        "sent" => RelayStatus.Sent,
        "dead" => RelayStatus.Dead,
        _ => throw new FormatException($"'{status}' is not a relay status."),
    };

    private sealed class ConnectorMessageRow
    {
        public string MessageId { get; set; } = "";
        public string Connector { get; set; } = "";
        public string ExternalId { get; set; } = "";
        public string CallbackUrl { get; set; } = "";
        public string CallbackToken { get; set; } = "";
        public string Host { get; set; } = "";
        public string Sid { get; set; } = "";
        public long CreatedAt { get; set; }

        public ConnectorMessageRecord ToRecord() => new()
        {
            MessageId = MessageId, Connector = Connector, ExternalId = ExternalId, CallbackUrl = CallbackUrl, CallbackToken = CallbackToken,
            Host = Host, Sid = Sid, CreatedAt = Time(CreatedAt),
        };
    }

    private sealed class CallbackRow
    {
        public long Id { get; set; }
        public string MessageId { get; set; } = "";
        public long ReceivedAt { get; set; }
        public string Method { get; set; } = "";
        public string? ContentType { get; set; }
        public string Body { get; set; } = "";
        public string Query { get; set; } = "";
        public long? ProcessedAt { get; set; }
        public string? Result { get; set; }

        public ConnectorCallbackItem ToRecord() => new()
        {
            Id = Id, MessageId = MessageId, ReceivedAt = Time(ReceivedAt), Method = Method, ContentType = ContentType, Body = Body,
            Query = Query, ProcessedAt = ProcessedAt is { } p ? Time(p) : null, Result = Result,
        };
    }

    private sealed class RelayRow
    {
        public long Id { get; set; }
        public string MessageId { get; set; } = "";
        public string CallbackUrl { get; set; } = "";
        public string Event { get; set; } = "";
        public string Payload { get; set; } = "";
        public string Status { get; set; } = "";
        public long Attempts { get; set; }
        public long NextAttemptAt { get; set; }
        public long? ClaimedUntil { get; set; }
        public string? LastError { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public RelayRecord ToRecord() => new()
        {
            Id = Id, MessageId = MessageId, CallbackUrl = CallbackUrl, Event = Event, Payload = Payload, Status = ParseStatus(Status),
            Attempts = (int)Attempts, NextAttemptAt = Time(NextAttemptAt), ClaimedUntil = ClaimedUntil is { } c ? Time(c) : null,
            LastError = LastError, CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
        };
    }
}
