using System.Text;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;

namespace Herald.Storage;

/// <summary>The webhook outbox over the <c>outbox</c> table.</summary>
internal sealed class SqlOutboxStore(SqlDatabase database) : IOutboxStore
{
    private const string Columns = """
        id AS Id, key AS Key, topic AS Topic, url AS Url, payload AS Payload, message_id AS MessageId, status AS Status,
        attempts AS Attempts, next_attempt_at AS NextAttemptAt, valid_until AS ValidUntil, last_error AS LastError,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Insert-or-ignore on the key; shared with the delivery-report batch, which queues relays in its own transaction.</summary>
    internal const string InsertSql = """
        INSERT INTO outbox (key, topic, url, payload, message_id, status, attempts, next_attempt_at, valid_until, created_at, updated_at)
        VALUES (@Key, @Topic, @Url, @Payload, @MessageId, 'pending', 0, @NextAttemptAt, @ValidUntil, @Now, @Now)
        ON CONFLICT (key) DO NOTHING
        """;

    internal static object[] InsertRows(IReadOnlyList<OutboxItem> items, DateTimeOffset now) => [.. items.Select(i => new
    {
        i.Key, i.Topic, i.Url, i.Payload, i.MessageId, NextAttemptAt = i.NextAttemptAt.ToUnixTimeMilliseconds(),
        ValidUntil = i.ValidUntil?.ToUnixTimeMilliseconds(), Now = now.ToUnixTimeMilliseconds(),
    })];

    public async Task<int> EnqueueAsync(IReadOnlyList<OutboxItem> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return 0;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var added = await connection.ExecuteAsync(new CommandDefinition(InsertSql, InsertRows(items, database.Clock.GetUtcNow()), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<IReadOnlyList<OutboxRecord>> ClaimAsync(string owner, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            LeaseClaim.Sql(database.Dialect, "outbox", "lease_until = @until, lease_owner = @owner",
                "status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)", "next_attempt_at, id", Columns),
            new { now = now.ToUnixTimeMilliseconds(), until = (now + lease).ToUnixTimeMilliseconds(), owner, limit = Math.Max(1, limit) },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord()).OrderBy(r => r.NextAttemptAt).ThenBy(r => r.Id)];
    }

    public async Task CompleteAsync(IReadOnlyList<OutboxCompletion> completions, CancellationToken cancellationToken)
    {
        if (completions.Count == 0)
        {
            return;
        }
        var at = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE outbox SET status = @Status, attempts = attempts + 1, next_attempt_at = COALESCE(@Next, next_attempt_at),
                lease_until = NULL, lease_owner = NULL, last_error = @Error, updated_at = @At
            WHERE id = @Id
            """, completions.Select(c => new
        {
            c.Id, Status = Name(c.Status), Next = c.NextAttemptAt?.ToUnixTimeMilliseconds(), c.Error, At = at,
        }), transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO message_events (message_id, id, at, source, event, state, applied, note, detail)
            VALUES (@MessageId, {database.Dialect.NextEventId("@MessageId")}, @At, 'relay', @Event, NULL, 0, @Note, @Detail)
            """, completions.Where(c => c.MessageId is not null).Select(c => new { c.MessageId, At = at, c.Event, c.Note, c.Detail }),
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task ReleaseAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE outbox SET lease_until = NULL, lease_owner = NULL WHERE {database.Dialect.InList("id", "ids")} AND status = 'pending'",
            new { ids = ids.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task<Page<OutboxRecord>> ListAsync(OutboxQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 500);
        var sql = new StringBuilder($"SELECT {Columns} FROM outbox WHERE 1 = 1");
        var parameters = new DynamicParameters();
        if (query.Status is { } status)
        {
            sql.Append(" AND status = @status");
            parameters.Add("status", Name(status));
        }
        if (query.Topic is { } topic)
        {
            sql.Append(" AND topic = @topic");
            parameters.Add("topic", topic);
        }
        if (query.MessageId is { } messageId)
        {
            sql.Append(" AND message_id = @messageId");
            parameters.Add("messageId", messageId);
        }
        return await NewestFirstPage.ReadAsync<Row, OutboxRecord>(database, sql, parameters, query.Before, limit, r => r.Id, r => r.ToRecord(), cancellationToken);
    }

    public async Task<bool> RetryAsync(long id, DateTimeOffset? validUntil, CancellationToken cancellationToken)
    {
        var now = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE outbox SET status = 'pending', next_attempt_at = @now, valid_until = @validUntil, attempts = 0, updated_at = @now
            WHERE id = @id AND status = 'dead'
            """, new { id, now, validUntil = validUntil?.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)) == 1;
    }

    internal static string Name(OutboxStatus status) => status switch
    {
        OutboxStatus.Pending => "pending",
        OutboxStatus.Sent => "sent",
        _ => "dead",
    };

    private sealed class Row
    {
        public long Id { get; set; }
        public string Key { get; set; } = "";
        public string Topic { get; set; } = "";
        public string Url { get; set; } = "";
        public string Payload { get; set; } = "";
        public string? MessageId { get; set; }
        public string Status { get; set; } = "";
        public long Attempts { get; set; }
        public long NextAttemptAt { get; set; }
        public long? ValidUntil { get; set; }
        public string? LastError { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public OutboxRecord ToRecord() => new()
        {
            Id = Id, Key = Key, Topic = Topic, Url = Url, Payload = Payload, MessageId = MessageId,
            Status = Status switch { "pending" => OutboxStatus.Pending, "sent" => OutboxStatus.Sent, _ => OutboxStatus.Dead },
            Attempts = (int)Attempts, NextAttemptAt = DateTimeOffset.FromUnixTimeMilliseconds(NextAttemptAt),
            ValidUntil = ValidUntil is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null, LastError = LastError,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt),
        };
    }
}
