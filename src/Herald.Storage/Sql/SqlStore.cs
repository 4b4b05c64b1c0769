using System.Data.Common;
using System.Text;
using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Sql;

/// <summary>All stores over one relational database; the dialect carries the differences.</summary>
internal sealed partial class SqlStore(ISqlDialect dialect, TimeProvider time) : IDatabase, IProviderStore, IMessageStore, IDlrInbox, IApiKeyStore, IConnectorStore
{
    private const string MessageColumns = """
        id AS Id, provider_id AS ProviderId, provider_nickname AS ProviderNickname, to_number AS ToNumber, body AS Body,
        template_id AS TemplateId, template_variables AS TemplateVariables, campaign_id AS CampaignId, sender AS Sender,
        type AS Type, source AS Source, dynamic_fields AS DynamicFields, status AS Status, provider_message_id AS ProviderMessageId,
        attempts AS Attempts, created_at AS CreatedAt, updated_at AS UpdatedAt,
        provider_group_id AS ProviderGroupId, provider_attempts AS ProviderAttempts
        """;

    private const string ProviderColumns = """
        id AS Id, nickname AS Nickname, kind AS Kind, settings AS Settings, callback_token AS CallbackToken,
        created_at AS CreatedAt, updated_at AS UpdatedAt, rate_limit AS RateLimit, max_in_flight AS MaxInFlight,
        credentials_failed_at AS CredentialsFailedAt, credentials_error AS CredentialsError
        """;

    private const string InboxColumns = """
        id AS Id, provider_id AS ProviderId, received_at AS ReceivedAt, method AS Method, content_type AS ContentType,
        body AS Body, query AS Query, processed_at AS ProcessedAt, result AS Result
        """;

    public string Provider => dialect.Name;
    public string Description => dialect.Description;

    // ---------------------------------------------------------------- schema

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        using var turn = await dialect.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Exec(connection, transaction, dialect.MigrationLock, null, cancellationToken);
        await Exec(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", null, cancellationToken);
        var applied = (await connection.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations", transaction: transaction, cancellationToken: cancellationToken))).ToHashSet();
        foreach (var (version, name, sql) in Migrations.All)
        {
            if (applied.Contains(version))
            {
                continue;
            }
            await Exec(connection, transaction, sql(dialect), null, cancellationToken);
            await Exec(connection, transaction, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                new { version, name, at = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dialect.OpenAsync(cancellationToken);
            return await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)) == 1;
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- providers

    public async Task<ProviderRecord?> FindAsync(string idOrNickname, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ProviderRow>(new CommandDefinition(
            $"SELECT {ProviderColumns} FROM providers WHERE id = @key OR nickname_key = @nicknameKey ORDER BY CASE WHEN id = @key THEN 0 ELSE 1 END",
            new { key = idOrNickname, nicknameKey = NicknameKey(idOrNickname) }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<ProviderRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ProviderRow>(new CommandDefinition(
            $"SELECT {ProviderColumns} FROM providers ORDER BY nickname_key", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task InsertAsync(ProviderRecord provider, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        try
        {
            await Exec(connection, null, """
                INSERT INTO providers (id, nickname, nickname_key, kind, settings, callback_token, created_at, updated_at, rate_limit, max_in_flight)
                VALUES (@Id, @Nickname, @NicknameKey, @Kind, @Settings, @CallbackToken, @CreatedAt, @UpdatedAt, @RateLimit, @MaxInFlight)
                """, ProviderParameters(provider), cancellationToken);
        }
        catch (Exception ex) when (dialect.IsUniqueViolation(ex))
        {
            // The id is unique too: only blame the nickname when another provider really holds it.
            if (await NicknameHeldByAnotherAsync(connection, provider, cancellationToken))
            {
                throw new DuplicateNicknameException(provider.Nickname);
            }
            throw;
        }
    }

    private static async Task<bool> NicknameHeldByAnotherAsync(DbConnection connection, ProviderRecord provider, CancellationToken cancellationToken)
    {
        var holder = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT id FROM providers WHERE nickname_key = @nicknameKey", new { nicknameKey = NicknameKey(provider.Nickname) },
            cancellationToken: cancellationToken));
        return holder is not null && holder != provider.Id;
    }

    public async Task<bool> UpdateAsync(ProviderRecord provider, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        try
        {
            return await Exec(connection, null, """
                UPDATE providers SET nickname = @Nickname, nickname_key = @NicknameKey, kind = @Kind, settings = @Settings,
                    updated_at = @UpdatedAt, rate_limit = @RateLimit, max_in_flight = @MaxInFlight,
                    credentials_failed_at = NULL, credentials_error = NULL
                WHERE id = @Id
                """, ProviderParameters(provider), cancellationToken) == 1;
        }
        catch (Exception ex) when (dialect.IsUniqueViolation(ex))
        {
            throw new DuplicateNicknameException(provider.Nickname);
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await Exec(connection, null, "DELETE FROM providers WHERE id = @id", new { id }, cancellationToken) == 1;
    }

    public async Task SetCredentialsStatusAsync(string providerId, DateTimeOffset? failedAt, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await Exec(connection, null, "UPDATE providers SET credentials_failed_at = @at, credentials_error = @error WHERE id = @providerId",
            new { providerId, at = failedAt?.ToUnixTimeMilliseconds(), error }, cancellationToken);
    }

    private static object ProviderParameters(ProviderRecord p) => new
    {
        p.Id, p.Nickname, NicknameKey = NicknameKey(p.Nickname), p.Kind, p.Settings, p.CallbackToken,
        CreatedAt = p.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = p.UpdatedAt.ToUnixTimeMilliseconds(), p.RateLimit, p.MaxInFlight,
    };

    private static string NicknameKey(string nickname) => nickname.Trim().ToLowerInvariant();

    // ---------------------------------------------------------------- messages

    public async Task InsertAsync(MessageRecord message, MessageEventRecord firstEvent, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        using var turn = await dialect.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await InsertMessageRow(connection, transaction, message, cancellationToken);
        await InsertEvent(connection, transaction, firstEvent, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static Task<int> InsertMessageRow(DbConnection connection, DbTransaction transaction, MessageRecord message, CancellationToken cancellationToken) =>
        Exec(connection, transaction, """
            INSERT INTO messages (id, provider_id, provider_nickname, to_number, body, template_id, template_variables, campaign_id,
                sender, type, source, dynamic_fields, status, provider_message_id, attempts, created_at, updated_at)
            VALUES (@Id, @ProviderId, @ProviderNickname, @To, @Body, @TemplateId, @TemplateVariables, @CampaignId,
                @Sender, @Type, @Source, @DynamicFields, @Status, @ProviderMessageId, @Attempts, @CreatedAt, @UpdatedAt)
            """, new
        {
            message.Id, message.ProviderId, message.ProviderNickname, message.To, message.Body, message.TemplateId,
            message.TemplateVariables, message.CampaignId, message.Sender, message.Type, message.Source, message.DynamicFields,
            Status = message.Status.ToWire(), message.ProviderMessageId, message.Attempts,
            CreatedAt = message.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = message.UpdatedAt.ToUnixTimeMilliseconds(),
        }, cancellationToken);

    public async Task<MessageRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<MessageRow>(new CommandDefinition(
            $"SELECT {MessageColumns} FROM messages WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<MessageEventRecord>> GetEventsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition("""
            SELECT id AS Id, message_id AS MessageId, at AS At, source AS Source, event AS Event, state AS State,
                applied AS Applied, note AS Note, detail AS Detail
            FROM message_events WHERE message_id = @id ORDER BY id
            """, new { id }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
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
        if (query.After is not null)
        {
            sql.Append(" AND id < @after");
            parameters.Add("after", query.After);
        }
        sql.Append(" ORDER BY id DESC LIMIT @limit");
        parameters.Add("limit", limit + 1);
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<MessageRow>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? rows[limit - 1].Id : null;
        return new Page<MessageRecord>(rows.Take(limit).Select(r => r.ToRecord()).ToList(), next);
    }

    public async Task<TransitionResult> TransitionAsync(string messageId, StateChange change, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        using var turn = await dialect.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await TransitionAsync(connection, transaction, messageId, change, cancellationToken);
        if (result.Found)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return result;
    }

    /// <summary>The body of <see cref="TransitionAsync(string, StateChange, CancellationToken)"/> inside a caller's transaction (not committed here).</summary>
    private async Task<TransitionResult> TransitionAsync(DbConnection connection, DbTransaction transaction, string messageId, StateChange change,
        CancellationToken cancellationToken) =>
        (await TransitionManyAsync(connection, transaction, [(messageId, change)], cancellationToken))[0];

    /// <summary>
    /// Applies changes in order inside a caller's transaction: reads (and on PostgreSQL locks, in id order) the messages
    /// once, runs the state machine over each change in memory, then writes every update and timeline entry.
    /// </summary>
    private async Task<IReadOnlyList<TransitionResult>> TransitionManyAsync(DbConnection connection, DbTransaction transaction,
        IReadOnlyList<(string MessageId, StateChange Change)> changes, CancellationToken cancellationToken)
    {
        var current = new Dictionary<string, DeliveryState>(StringComparer.Ordinal);
        foreach (var chunk in changes.Select(c => c.MessageId).Distinct().Order(StringComparer.Ordinal).Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string Id, string Status)>(new CommandDefinition(
                $"SELECT id, status FROM messages WHERE {dialect.InList("id", "ids")} ORDER BY id {dialect.ForUpdate}", new { ids = chunk },
                transaction, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                current[row.Id] = DeliveryStates.Parse(row.Status);
            }
        }
        var at = time.GetUtcNow().ToUnixTimeMilliseconds();
        var results = new List<TransitionResult>(changes.Count);
        var updates = new List<object>(changes.Count);
        var events = new List<object>(changes.Count);
        foreach (var (messageId, change) in changes)
        {
            if (!current.TryGetValue(messageId, out var state))
            {
                results.Add(TransitionResult.NotFound);
                continue;
            }
            var decision = change.Proposed is { } proposed ? DeliveryStateMachine.Decide(state, proposed) : StateDecision.Ignored("timeline only");
            var newState = decision.Apply ? change.Proposed!.Value : state;
            current[messageId] = newState;
            updates.Add(new
            {
                status = newState.ToWire(), providerMessageId = change.ProviderMessageId, attempt = change.CountsAttempt ? 1 : 0, at, messageId,
            });
            events.Add(new
            {
                MessageId = messageId, At = at, change.Source, change.Event, State = change.Proposed?.ToWire(), Applied = decision.Apply ? 1 : 0,
                Note = decision.Apply ? change.Note : Join(change.Note, change.Proposed is null ? null : decision.Reason), change.Detail,
            });
            results.Add(new TransitionResult(true, decision.Apply, newState, decision.Reason));
        }
        if (updates.Count > 0)
        {
            await Exec(connection, transaction, """
                UPDATE messages SET status = @status,
                    provider_message_id = COALESCE(provider_message_id, @providerMessageId),
                    attempts = attempts + @attempt, updated_at = @at
                WHERE id = @messageId
                """, updates, cancellationToken);
            await Exec(connection, transaction, """
                INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
                VALUES (@MessageId, @At, @Source, @Event, @State, @Applied, @Note, @Detail)
                """, events, cancellationToken);
        }
        return results;
    }

    /// <summary>Ids per IN list: well under SQLite's bound on parameters in one statement.</summary>
    private const int ListChunk = 500;

    private static string? Join(string? a, string? b) => a is null ? b : b is null ? a : $"{a}; {b}";

    private Task<int> InsertEvent(DbConnection connection, DbTransaction transaction, MessageEventRecord e, CancellationToken cancellationToken) =>
        Exec(connection, transaction, """
            INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
            VALUES (@MessageId, @At, @Source, @Event, @State, @Applied, @Note, @Detail)
            """, new
        {
            e.MessageId, At = e.At.ToUnixTimeMilliseconds(), e.Source, e.Event, State = e.State?.ToWire(), Applied = e.Applied ? 1 : 0,
            e.Note, e.Detail,
        }, cancellationToken);

    // ---------------------------------------------------------------- DLR inbox

    public async Task<IReadOnlyList<DlrInboxItem>> PendingAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"SELECT {InboxColumns} FROM dlr_inbox WHERE processed_at IS NULL ORDER BY id LIMIT @limit",
            new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<DlrInboxItem>> RecentAsync(string? providerId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var filter = providerId is null ? "" : "WHERE provider_id = @providerId";
        var rows = await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"SELECT {InboxColumns} FROM dlr_inbox {filter} ORDER BY id DESC LIMIT @limit",
            new { providerId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<DlrInboxItem>> ListAfterAsync(string? providerId, long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var filter = providerId is null ? "" : "AND provider_id = @providerId";
        var rows = await connection.QueryAsync<InboxRow>(new CommandDefinition(
            $"SELECT {InboxColumns} FROM dlr_inbox WHERE id > @afterId {filter} ORDER BY id LIMIT @limit",
            new { providerId, afterId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        // Oldest first by id (ids grow with received_at): the primary key finds them without a scan of the rest.
        return await Exec(connection, null, """
            DELETE FROM dlr_inbox WHERE id IN (SELECT id FROM dlr_inbox WHERE received_at < @before ORDER BY id LIMIT @limit)
            """, new { before = before.ToUnixTimeMilliseconds(), limit }, cancellationToken);
    }

    // ---------------------------------------------------------------- API keys

    public async Task InsertAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await Exec(connection, null, """
            INSERT INTO api_keys (id, name, prefix, hash, created_at, revoked_at) VALUES (@Id, @Name, @Prefix, @Hash, @CreatedAt, @RevokedAt)
            """, new
        {
            key.Id, key.Name, key.Prefix, key.Hash, CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
            RevokedAt = key.RevokedAt?.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    public async Task<ApiKeyRecord?> FindActiveByHashAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, prefix AS Prefix, hash AS Hash, created_at AS CreatedAt, revoked_at AS RevokedAt FROM api_keys WHERE hash = @hash AND revoked_at IS NULL",
            new { hash }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    async Task<IReadOnlyList<ApiKeyRecord>> IApiKeyStore.ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, prefix AS Prefix, hash AS Hash, created_at AS CreatedAt, revoked_at AS RevokedAt FROM api_keys ORDER BY created_at DESC",
            cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL",
            new { id, at = at.ToUnixTimeMilliseconds() }, cancellationToken) == 1;
    }

    public async Task<bool> RestoreAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE api_keys SET revoked_at = NULL WHERE id = @id AND revoked_at IS NOT NULL",
            new { id }, cancellationToken) == 1;
    }

    // ---------------------------------------------------------------- helpers

    private static Task<int> Exec(DbConnection connection, DbTransaction? transaction, string sql, object? parameters, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private sealed class ProviderRow
    {
        public string Id { get; set; } = "";
        public string Nickname { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Settings { get; set; } = "";
        public string CallbackToken { get; set; } = "";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public long RateLimit { get; set; }
        public long MaxInFlight { get; set; }
        public long? CredentialsFailedAt { get; set; }
        public string? CredentialsError { get; set; }

        public ProviderRecord ToRecord() => new()
        {
            Id = Id, Nickname = Nickname, Kind = Kind, Settings = Settings, CallbackToken = CallbackToken,
            CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt), RateLimit = (int)RateLimit, MaxInFlight = (int)MaxInFlight,
            CredentialsFailedAt = CredentialsFailedAt is { } failed ? Time(failed) : null, CredentialsError = CredentialsError,
        };
    }

    private class MessageRow
    {
        public string Id { get; set; } = "";
        public string? ProviderId { get; set; }
        public string? ProviderNickname { get; set; }
        public string ToNumber { get; set; } = "";
        public string? Body { get; set; }
        public string? TemplateId { get; set; }
        public string? TemplateVariables { get; set; }
        public string? CampaignId { get; set; }
        public string? Sender { get; set; }
        public string Type { get; set; } = "";
        public string Source { get; set; } = "";
        public string? DynamicFields { get; set; }
        public string Status { get; set; } = "";
        public string? ProviderMessageId { get; set; }
        public long Attempts { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }
        public string? ProviderGroupId { get; set; }
        public long ProviderAttempts { get; set; }

        public MessageRecord ToRecord() => new()
        {
            Id = Id, ProviderId = ProviderId, ProviderNickname = ProviderNickname, To = ToNumber, Body = Body, TemplateId = TemplateId,
            TemplateVariables = TemplateVariables, CampaignId = CampaignId, Sender = Sender, Type = Type, Source = Source,
            DynamicFields = DynamicFields, Status = DeliveryStates.Parse(Status), ProviderMessageId = ProviderMessageId,
            Attempts = (int)Attempts, CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
            ProviderGroupId = ProviderGroupId, ProviderAttempts = (int)ProviderAttempts,
        };
    }

    private sealed class EventRow
    {
        public long Id { get; set; }
        public string MessageId { get; set; } = "";
        public long At { get; set; }
        public string Source { get; set; } = "";
        public string Event { get; set; } = "";
        public string? State { get; set; }
        public long Applied { get; set; }
        public string? Note { get; set; }
        public string? Detail { get; set; }

        public MessageEventRecord ToRecord() => new()
        {
            Id = Id, MessageId = MessageId, At = Time(At), Source = Source, Event = Event,
            State = State is null ? null : DeliveryStates.Parse(State), Applied = Applied != 0, Note = Note, Detail = Detail,
        };
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

        public DlrInboxItem ToRecord() => new()
        {
            Id = Id, ProviderId = ProviderId, ReceivedAt = Time(ReceivedAt), Method = Method, ContentType = ContentType, Body = Body,
            Query = Query, ProcessedAt = ProcessedAt is { } p ? Time(p) : null, Result = Result,
        };
    }

    private sealed class ApiKeyRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Prefix { get; set; } = "";
        public string Hash { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? RevokedAt { get; set; }

        public ApiKeyRecord ToRecord() => new()
        {
            Id = Id, Name = Name, Prefix = Prefix, Hash = Hash, CreatedAt = Time(CreatedAt), RevokedAt = RevokedAt is { } r ? Time(r) : null,
        };
    }
}
