using System.Data.Common;
using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Messages;

/// <summary>
/// The SQL of the message aggregate (<c>messages</c> and <c>message_events</c>) that more than one store runs inside its own
/// transaction: the message store and the queue, the delivery-report batch and the connector all move messages through
/// <see cref="TransitionManyAsync"/>, so the state machine is applied in one place.
/// </summary>
internal static class MessageSql
{
    public const string MessageColumns = """
        id AS Id, provider_id AS ProviderId, provider_nickname AS ProviderNickname, to_number AS ToNumber, body AS Body,
        template_id AS TemplateId, template_variables AS TemplateVariables, campaign_id AS CampaignId, sender AS Sender,
        type AS Type, source AS Source, dynamic_fields AS DynamicFields, status AS Status, provider_message_id AS ProviderMessageId,
        attempts AS Attempts, created_at AS CreatedAt, updated_at AS UpdatedAt,
        provider_group_id AS ProviderGroupId, provider_attempts AS ProviderAttempts, meta AS Meta, api_key_id AS ApiKeyId
        """;

    /// <summary>Idempotency keys; a key taken meanwhile fails the transaction with a unique violation.</summary>
    public static Task<int> InsertIdempotencyKeys(DbConnection connection, DbTransaction transaction, IReadOnlyList<IdempotencyRecord> keys, CancellationToken cancellationToken) =>
        Exec(connection, transaction, """
            INSERT INTO idempotency_keys (key, request_hash, message_id, created_at, response, response_status)
            VALUES (@Key, @RequestHash, @MessageId, @CreatedAt, @Response, @ResponseStatus)
            """, keys.Select(k => new
        {
            k.Key, k.RequestHash, k.MessageId, CreatedAt = k.CreatedAt.ToUnixTimeMilliseconds(), k.Response, k.ResponseStatus,
        }).ToList(), cancellationToken);

    /// <summary>New messages with their first timeline entry: the intake's write, shared by every path that stores messages in its own transaction.</summary>
    public static async Task InsertQueued(DbConnection connection, DbTransaction transaction, IReadOnlyList<(MessageRecord Message, DispatchInfo Dispatch)> messages,
        CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }
        var rows = messages.Select(m => new
        {
            m.Message.Id, m.Message.ProviderId, m.Message.ProviderNickname, m.Message.To, m.Message.Body, m.Message.TemplateId,
            m.Message.TemplateVariables, m.Message.CampaignId, m.Message.Sender, m.Message.Type, m.Message.Source, m.Message.DynamicFields,
            // Queued, or rejected when the send-path policy skipped it (then it is never due).
            Status = (m.Message.Status == DeliveryState.Rejected ? DeliveryState.Rejected : DeliveryState.Queued).ToWire(), CreatedAt = m.Message.CreatedAt.ToUnixTimeMilliseconds(),
            m.Dispatch.Lane, NextAttemptAt = m.Dispatch.NextAttemptAt?.ToUnixTimeMilliseconds(),
            ValidUntil = m.Dispatch.ValidUntil?.ToUnixTimeMilliseconds(), m.Dispatch.Encoding, m.Dispatch.Segments,
            m.Message.ProviderGroupId, m.Message.Meta, m.Message.ApiKeyId, EventSource = m.Dispatch.Source ?? m.Message.Source, m.Dispatch.Event, m.Dispatch.Note, m.Dispatch.Detail,
        }).ToList();
        await Exec(connection, transaction, """
            INSERT INTO messages (id, provider_id, provider_nickname, to_number, body, template_id, template_variables, campaign_id,
                sender, type, source, dynamic_fields, status, attempts, created_at, updated_at, lane, next_attempt_at, valid_until, encoding, segments,
                provider_group_id, meta, api_key_id)
            VALUES (@Id, @ProviderId, @ProviderNickname, @To, @Body, @TemplateId, @TemplateVariables, @CampaignId,
                @Sender, @Type, @Source, @DynamicFields, @Status, 0, @CreatedAt, @CreatedAt, @Lane, @NextAttemptAt, @ValidUntil, @Encoding, @Segments,
                @ProviderGroupId, @Meta, @ApiKeyId)
            """, rows, cancellationToken);
        await Exec(connection, transaction, """
            INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
            VALUES (@Id, @CreatedAt, @EventSource, @Event, @Status, 1, @Note, @Detail)
            """, rows, cancellationToken);
    }

    public static Task<int> InsertMessageRow(DbConnection connection, DbTransaction transaction, MessageRecord message, CancellationToken cancellationToken) =>
        Exec(connection, transaction, """
            INSERT INTO messages (id, provider_id, provider_nickname, to_number, body, template_id, template_variables, campaign_id,
                sender, type, source, dynamic_fields, status, provider_message_id, attempts, created_at, updated_at, api_key_id)
            VALUES (@Id, @ProviderId, @ProviderNickname, @To, @Body, @TemplateId, @TemplateVariables, @CampaignId,
                @Sender, @Type, @Source, @DynamicFields, @Status, @ProviderMessageId, @Attempts, @CreatedAt, @UpdatedAt, @ApiKeyId)
            """, new
        {
            message.Id, message.ProviderId, message.ProviderNickname, message.To, message.Body, message.TemplateId,
            message.TemplateVariables, message.CampaignId, message.Sender, message.Type, message.Source, message.DynamicFields,
            Status = message.Status.ToWire(), message.ProviderMessageId, message.Attempts, message.ApiKeyId,
            CreatedAt = message.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = message.UpdatedAt.ToUnixTimeMilliseconds(),
        }, cancellationToken);

    public static Task<int> InsertEvent(DbConnection connection, DbTransaction transaction, MessageEventRecord e, CancellationToken cancellationToken) =>
        Exec(connection, transaction, """
            INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
            VALUES (@MessageId, @At, @Source, @Event, @State, @Applied, @Note, @Detail)
            """, new
        {
            e.MessageId, At = e.At.ToUnixTimeMilliseconds(), e.Source, e.Event, State = e.State?.ToWire(), Applied = e.Applied ? 1 : 0,
            e.Note, e.Detail,
        }, cancellationToken);

    /// <summary>The body of <see cref="IMessageStore.TransitionAsync"/> inside a caller's transaction (not committed here).</summary>
    public static async Task<TransitionResult> TransitionAsync(SqlDatabase database, DbConnection connection, DbTransaction transaction, string messageId, StateChange change,
        CancellationToken cancellationToken) =>
        (await TransitionManyAsync(database, connection, transaction, [(messageId, change)], cancellationToken))[0];

    /// <summary>
    /// Applies changes in order inside a caller's transaction: reads (and on PostgreSQL locks, in id order) the messages
    /// once, runs the state machine over each change in memory, then writes every update and timeline entry.
    /// </summary>
    public static async Task<IReadOnlyList<TransitionResult>> TransitionManyAsync(SqlDatabase database, DbConnection connection, DbTransaction transaction,
        IReadOnlyList<(string MessageId, StateChange Change)> changes, CancellationToken cancellationToken)
    {
        var current = new Dictionary<string, DeliveryState>(StringComparer.Ordinal);
        foreach (var chunk in changes.Select(c => c.MessageId).Distinct().Order(StringComparer.Ordinal).Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string Id, string Status)>(new CommandDefinition(
                $"SELECT id, status FROM messages WHERE {database.Dialect.InList("id", "ids")} ORDER BY id {database.Dialect.ForUpdate}", new { ids = chunk },
                transaction, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                current[row.Id] = DeliveryStates.Parse(row.Status);
            }
        }
        var at = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
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
            await MarkParkedReportsAsync(connection, transaction, [.. changes.Where(c => c.Change.ProviderMessageId is not null).Select(c => c.MessageId)], cancellationToken);
            await Exec(connection, transaction, """
                INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
                VALUES (@MessageId, @At, @Source, @Event, @State, @Applied, @Note, @Detail)
                """, events, cancellationToken);
        }
        return results;
    }

    /// <summary>
    /// Marks the parked reports that wait for these messages, which have just been given their provider message id: a lookup
    /// on the pending reports' (provider, provider message id) index per message, usually finding nothing.
    /// </summary>
    public static Task<int> MarkParkedReportsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> messageIds,
        CancellationToken cancellationToken) =>
        messageIds.Count == 0 ? Task.FromResult(0) : Exec(connection, transaction, """
            UPDATE pending_reports SET message_id = @id
            WHERE message_id IS NULL
                AND provider_id = (SELECT provider_id FROM messages WHERE id = @id)
                AND provider_message_id = (SELECT provider_message_id FROM messages WHERE id = @id)
            """, messageIds.Distinct().Select(id => new { id }).ToList(), cancellationToken);

    /// <summary>
    /// On PostgreSQL, after the commit of a transaction that recorded provider ids or parked reports: two such transactions
    /// at once (read committed) see neither the other's id nor its report, so whichever commits last marks again here, on
    /// its own connection outside its transaction, and then sees both. SQLite has one writer at a time and needs no second look.
    /// </summary>
    public static async Task MarkAfterCommitAsync(SqlDatabase database, DbConnection connection, IReadOnlyCollection<string> messageIds,
        IReadOnlyCollection<(string ProviderId, string ProviderMessageId)> parked, CancellationToken cancellationToken)
    {
        if (database.Dialect.Name != "postgres")
        {
            return;
        }
        if (messageIds.Count > 0)
        {
            await Exec(connection, null, """
                UPDATE pending_reports p SET message_id = m.id FROM messages m
                WHERE m.id = ANY(@ids) AND p.message_id IS NULL AND p.provider_id = m.provider_id AND p.provider_message_id = m.provider_message_id
                """, new { ids = messageIds.Distinct().ToArray() }, cancellationToken);
        }
        if (parked.Count > 0)
        {
            await Exec(connection, null, """
                UPDATE pending_reports p SET message_id = m.id FROM messages m
                WHERE p.message_id IS NULL AND p.provider_id = @ProviderId AND p.provider_message_id = @ProviderMessageId
                    AND m.provider_id = p.provider_id AND m.provider_message_id = p.provider_message_id
                """, parked.Distinct().Select(p => new { p.ProviderId, p.ProviderMessageId }).ToList(), cancellationToken);
        }
    }

    private static string? Join(string? a, string? b) => a is null ? b : b is null ? a : $"{a}; {b}";

    /// <summary>A <c>messages</c> row as read with <see cref="MessageColumns"/>; the queue and dead letters read more columns in subclasses.</summary>
    public class MessageRow
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
        public string? Meta { get; set; }
        public string? ApiKeyId { get; set; }

        public MessageRecord ToRecord() => new()
        {
            Id = Id, ProviderId = ProviderId, ProviderNickname = ProviderNickname, To = ToNumber, Body = Body, TemplateId = TemplateId,
            TemplateVariables = TemplateVariables, CampaignId = CampaignId, Sender = Sender, Type = Type, Source = Source,
            DynamicFields = DynamicFields, Status = DeliveryStates.Parse(Status), ProviderMessageId = ProviderMessageId,
            Attempts = (int)Attempts, CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
            ProviderGroupId = ProviderGroupId, ProviderAttempts = (int)ProviderAttempts, Meta = Meta, ApiKeyId = ApiKeyId,
        };
    }

    /// <summary>A <c>message_events</c> row.</summary>
    public sealed class EventRow
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
}
