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

    /// <summary>Idempotency keys, set-based (one statement for any number of keys): key, request hash, message id, created at, response, status.</summary>
    private static readonly Statement InsertIdempotencyKey = new("""
        INSERT INTO idempotency_keys (key, request_hash, message_id, created_at, response, response_status)
        SELECT r.key, r.request_hash, r.message_id, r.created_at, r.response, r.response_status FROM {rows}
        """, "key text", "request_hash text", "message_id text", "created_at bigint", "response text", "response_status bigint");

    /// <summary>Idempotency keys; a key taken meanwhile fails the transaction with a unique violation.</summary>
    public static async Task InsertIdempotencyKeys(DbConnection connection, DbTransaction transaction, IReadOnlyList<IdempotencyRecord> keys, CancellationToken cancellationToken)
    {
        await using var batch = new StatementBatch(connection, transaction);
        AddIdempotencyKeys(batch, keys);
        await batch.FlushAsync(cancellationToken);
    }

    /// <summary>Queues idempotency keys in <paramref name="batch"/> (all of them in one statement); a key taken meanwhile fails the flush with a unique violation.</summary>
    public static void AddIdempotencyKeys(StatementBatch batch, IReadOnlyList<IdempotencyRecord> keys)
    {
        foreach (var k in keys)
        {
            batch.Add(InsertIdempotencyKey, k.Key, k.RequestHash, k.MessageId, k.CreatedAt.ToUnixTimeMilliseconds(), k.Response, (long?)k.ResponseStatus);
        }
    }

    // The hot path's writes are set-based on PostgreSQL (one INSERT … SELECT FROM unnest or UPDATE … FROM unnest per kind and flush,
    // whatever the number of messages) and one prepared plain statement per row on SQLite (Statement.SqliteRow).

    /// <summary>New queued messages (<see cref="InsertQueued"/>).</summary>
    private static readonly Statement InsertQueuedMessage = new("""
        INSERT INTO messages (id, provider_id, provider_nickname, to_number, body, template_id, template_variables, campaign_id,
            sender, type, source, dynamic_fields, status, attempts, created_at, updated_at, lane, next_attempt_at, valid_until, encoding, segments,
            provider_group_id, meta, api_key_id, queued_implied)
        SELECT r.id, r.provider_id, r.provider_nickname, r.to_number, r.body, r.template_id, r.template_variables, r.campaign_id,
            r.sender, r.type, r.source, r.dynamic_fields, r.status, 0, r.created_at, r.created_at, r.lane, r.next_attempt_at, r.valid_until, r.encoding, r.segments,
            r.provider_group_id, r.meta, r.api_key_id, r.queued_implied
        FROM {rows}
        """, "id text", "provider_id text", "provider_nickname text", "to_number text", "body text", "template_id text", "template_variables text", "campaign_id text",
        "sender text", "type text", "source text", "dynamic_fields text", "status text", "created_at bigint", "lane bigint", "next_attempt_at bigint", "valid_until bigint",
        "encoding text", "segments bigint", "provider_group_id text", "meta text", "api_key_id text", "queued_implied bigint")
    {
        SqliteRow = """
            INSERT INTO messages (id, provider_id, provider_nickname, to_number, body, template_id, template_variables, campaign_id,
                sender, type, source, dynamic_fields, status, attempts, created_at, updated_at, lane, next_attempt_at, valid_until, encoding, segments,
                provider_group_id, meta, api_key_id, queued_implied)
            VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, 0, @p13, @p13, @p14, @p15, @p16, @p17, @p18, @p19, @p20, @p21, @p22)
            """,
    };

    /// <summary>Timeline entries: message id, at, source, event, state, applied, note, detail, and the attempt each ends (at, note).</summary>
    public static readonly Statement InsertEventStatement = new("""
        INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail, attempt_at, attempt_note)
        SELECT r.message_id, r.at, r.source, r.event, r.state, r.applied, r.note, r.detail, r.attempt_at, r.attempt_note FROM {rows}
        """, "message_id text", "at bigint", "source text", "event text", "state text", "applied bigint", "note text", "detail text", "attempt_at bigint", "attempt_note text")
    {
        SqliteRow = $"""
            INSERT INTO message_events (message_id, id, at, source, event, state, applied, note, detail, attempt_at, attempt_note)
            VALUES (@p0, {MessageEventIds.Sqlite("@p0")}, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)
            """,
    };

    /// <summary>
    /// Queues a timeline entry in <paramref name="batch"/>; <paramref name="storedDetail"/> is the detail as stored (<see cref="StoredDetail.Of"/>),
    /// <paramref name="attempt"/> the claim it ends, shown before it as "dispatching".
    /// </summary>
    public static void AddEvent(StatementBatch batch, string messageId, long at, string source, string @event, string? state, bool applied, string? note,
        string? storedDetail, (long At, string Note)? attempt = null) =>
        batch.Add(InsertEventStatement, messageId, at, source, @event, state, applied ? 1 : 0, note, storedDetail, attempt?.At, attempt?.Note);

    /// <summary>The "dispatching" entry's note for a claim: which attempt, through which provider, by which worker.</summary>
    /// <paramref name="heldUntil"/> is, for a resend, when its hold in doubt ended (the row's due time).
    public static string AttemptNote(long attempts, string? providerNickname, string? providerId, string? providerGroupId, string? owner, bool resend,
        long? heldUntil = null)
    {
        var through = providerGroupId is null ? $"{providerNickname}" : $"{providerNickname} ({providerId})";
        if (!resend)
        {
            return $"attempt {attempts} through {through} by {owner}";
        }
        var noReport = heldUntil is { } until ? $"no report named it by {Time(until):O}" : "no report named it";
        return $"attempt {attempts} through {through} by {owner}: resent-after-crash (the previous attempt's lease expired and {noReport}; same message id)";
    }

    /// <summary>What a held message's row says about its current claim (read before the row ends the attempt).</summary>
    public class ClaimState
    {
        public string Id { get; set; } = "";
        public string Status { get; set; } = "";
        public long Attempts { get; set; }
        public string? ProviderId { get; set; }
        public string? ProviderNickname { get; set; }
        public string? ProviderGroupId { get; set; }
        public string? LeaseOwner { get; set; }
        public long Resend { get; set; }
        public long? ClaimedAt { get; set; }
        public long? NextAttemptAt { get; set; }
        public string? ProviderMessageId { get; set; }
        public long? AcceptedAt { get; set; }

        /// <summary>The claim this row is under, once: null when there is none (or it was taken already).</summary>
        public (long At, string Note)? TakeAttempt()
        {
            if (ClaimedAt is not { } at)
            {
                return null;
            }
            ClaimedAt = null;
            return (at, AttemptNote(Attempts, ProviderNickname, ProviderId, ProviderGroupId, LeaseOwner, Resend != 0, NextAttemptAt));
        }
    }

    /// <summary>The columns of <see cref="ClaimState"/>.</summary>
    public const string ClaimStateColumns = """
        id AS Id, status AS Status, attempts AS Attempts, provider_id AS ProviderId, provider_nickname AS ProviderNickname,
        provider_group_id AS ProviderGroupId, lease_owner AS LeaseOwner, resend AS Resend, claimed_at AS ClaimedAt, next_attempt_at AS NextAttemptAt,
        provider_message_id AS ProviderMessageId, accepted_at AS AcceptedAt
        """;

    private const string AcceptedNotePrefix = "provider message id ";

    /// <summary>
    /// Whether an answer that ends <paramref name="claim"/> is the usual success, which the row can carry instead of a timeline row
    /// (issue 11 §8: the largest entry of a delivered message): the first attempt of a message never accepted before, not a resend,
    /// accepted with the provider's id as the note and the exchange kept as its summary. The row then keeps when it was accepted, when
    /// the attempt began, by which worker, the summary and the entry's place (<c>accepted_*</c>), and <see cref="ImpliedAccepted"/>
    /// puts the same two entries ("dispatching", "accepted") back when the timeline is read. Anything else stays a row.
    /// </summary>
    public static bool AcceptedImplied(ClaimState claim, StateChange change) =>
        change is { Proposed: DeliveryState.Accepted, Source: "provider-response", Event: "accepted", Summary: not null, ProviderMessageId: { } id, Note: { } note }
        && note.Length == AcceptedNotePrefix.Length + id.Length && note.StartsWith(AcceptedNotePrefix, StringComparison.Ordinal)
        && note.EndsWith(id, StringComparison.Ordinal)
        && (claim.ProviderMessageId is null || claim.ProviderMessageId == id)
        && claim is { AcceptedAt: null, ClaimedAt: not null, Resend: 0, Attempts: 1, LeaseOwner: not null };

    /// <summary>
    /// A timeline as stored, with the "dispatching" entries that the rows carry (the attempt a row ended, and the current
    /// claim of a message still held) put back where they happened: after the last entry recorded at or before the claim.
    /// </summary>
    public static List<MessageEventRecord> WithAttempts(IReadOnlyList<EventRow> rows, ClaimState? held)
    {
        var events = new List<MessageEventRecord>(rows.Count + 2);
        foreach (var row in rows)
        {
            if (row.AttemptAt is { } attemptAt)
            {
                Insert(events, Dispatching(row.MessageId, row.Id, attemptAt, row.AttemptNote), events.Count);
            }
            events.Add(row.ToRecord());
        }
        if (held?.TakeAttempt() is { } current)
        {
            Insert(events, Dispatching(held.Id, 0, current.At, current.Note), events.Count);
        }
        return events;

        static void Insert(List<MessageEventRecord> events, MessageEventRecord entry, int before)
        {
            var at = before;
            while (at > 0 && events[at - 1].At > entry.At)
            {
                at--;
            }
            events.Insert(at, entry);
        }

        static MessageEventRecord Dispatching(string messageId, long id, long at, string? note) => new()
        {
            Id = id, MessageId = messageId, At = Time(at), Source = "dispatch", Event = "dispatching", State = DeliveryState.Dispatching, Applied = true, Note = note,
        };
    }

    /// <summary>
    /// New messages with their first timeline entry: the intake's write, shared by every path that stores messages in its own transaction.
    /// Prepared once per transaction on SQLite (positional parameters, bound by index), one round trip on PostgreSQL.
    /// </summary>
    public static async Task InsertQueued(DbConnection connection, DbTransaction transaction, IReadOnlyList<(MessageRecord Message, DispatchInfo Dispatch)> messages,
        CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }
        await using var batch = new StatementBatch(connection, transaction);
        AddQueued(batch, messages);
        await batch.FlushAsync(cancellationToken);
    }

    /// <summary>Queues new messages with their first timeline entry in <paramref name="batch"/> (see <see cref="InsertQueued"/>).</summary>
    public static void AddQueued(StatementBatch batch, IReadOnlyList<(MessageRecord Message, DispatchInfo Dispatch)> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var (m, d) = messages[i];
            // Queued, or rejected when the send-path policy skipped it (then it is never due).
            var status = (m.Status == DeliveryState.Rejected ? DeliveryState.Rejected : DeliveryState.Queued).ToWire();
            var createdAt = m.CreatedAt.ToUnixTimeMilliseconds();
            batch.Add(InsertQueuedMessage, m.Id, m.ProviderId, m.ProviderNickname, m.To, m.Body, m.TemplateId, m.TemplateVariables, m.CampaignId,
                m.Sender, m.Type, m.Source, m.DynamicFields, status, createdAt, d.Lane, d.NextAttemptAt?.ToUnixTimeMilliseconds(),
                d.ValidUntil?.ToUnixTimeMilliseconds(), d.Encoding, d.Segments, m.ProviderGroupId, m.Meta, m.ApiKeyId, QueuedImplied(m, d) ? 1 : 0);
        }
        for (var i = 0; i < messages.Count; i++)
        {
            var (m, d) = messages[i];
            if (QueuedImplied(m, d))
            {
                continue; // the row says it all: ImpliedQueued puts the entry back when the timeline is read
            }
            var status = (m.Status == DeliveryState.Rejected ? DeliveryState.Rejected : DeliveryState.Queued).ToWire();
            AddEvent(batch, m.Id, m.CreatedAt.ToUnixTimeMilliseconds(), d.Source ?? m.Source, d.Event, status, true, d.Note, d.Detail);
        }
    }

    /// <summary>
    /// Whether a new message's first timeline entry is the usual one, which its row implies (queued by its own source when it
    /// was created, with its segments and encoding as the note): such a message stores no <c>message_events</c> row for it, a
    /// row and an index entry fewer per message (issue 11 §8), and <see cref="ImpliedQueued"/> shows the same entry.
    /// </summary>
    private static bool QueuedImplied(MessageRecord m, DispatchInfo d) =>
        m.Status != DeliveryState.Rejected && d.Event == "queued" && (d.Source is null || d.Source == m.Source) && d.Detail is null
        && d.Note is { } note && note == QueuedNote(d.Segments, d.Encoding);

    /// <summary>The usual first entry's note (the intake's): "1 segment(s), gsm7".</summary>
    public static string QueuedNote(long segments, string? encoding) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{segments} segment(s), {encoding}");

    /// <summary>The columns of <see cref="TimelineHead"/>.</summary>
    public const string TimelineHeadColumns = $"""
        {ClaimStateColumns}, created_at AS CreatedAt, source AS Source, segments AS Segments, encoding AS Encoding, queued_implied AS QueuedImplied,
        accepted_attempt_at AS AcceptedAttemptAt, accepted_owner AS AcceptedOwner, accepted_detail AS AcceptedDetail, accepted_seq AS AcceptedSeq,
        reports AS Reports
        """;

    /// <summary>
    /// What a message row says about its timeline, read once with it: the current claim of a message held, and the entries the row
    /// implies (the usual first one, <see cref="QueuedImplied"/>, and the usual success, <see cref="AcceptedImplied"/>).
    /// </summary>
    public sealed class TimelineHead : ClaimState
    {
        public long CreatedAt { get; set; }
        public string Source { get; set; } = "";
        public long? Segments { get; set; }
        public string? Encoding { get; set; }
        public long QueuedImplied { get; set; }
        public long? AcceptedAttemptAt { get; set; }
        public string? AcceptedOwner { get; set; }
        public string? AcceptedDetail { get; set; }
        public long? AcceptedSeq { get; set; }
        public string? Reports { get; set; }
    }

    /// <summary>The first timeline entry a row implies (null when it stored its own).</summary>
    public static MessageEventRecord? ImpliedQueued(TimelineHead head) => head is { QueuedImplied: not 0 } h
        ? new MessageEventRecord
        {
            Id = 0, MessageId = h.Id, At = Time(h.CreatedAt), Source = h.Source, Event = "queued", State = DeliveryState.Queued, Applied = true,
            Note = QueuedNote(h.Segments ?? 0, h.Encoding),
        }
        : null;

    /// <summary>
    /// The success a row implies (<see cref="AcceptedImplied"/>) as the row it would have stored, with the attempt it ended, and its
    /// place: after the message's stored rows with ids up to <c>Seq</c>. Null when the row implies none.
    /// </summary>
    public static (EventRow Row, long Seq)? ImpliedAccepted(TimelineHead head)
    {
        if (head is not { AcceptedAt: { } at, AcceptedAttemptAt: { } attemptAt })
        {
            return null;
        }
        var (attemptNote, note) = head.AcceptedOwner is [FrozenMark, ..] frozen && frozen.Split(FrozenMark) is [_, var a, var n]
            ? (a, n)
            : (AttemptNote(1, head.ProviderNickname, head.ProviderId, head.ProviderGroupId, head.AcceptedOwner, resend: false), AcceptedNotePrefix + head.ProviderMessageId);
        return (new EventRow
        {
            Id = 0, MessageId = head.Id, At = at, Source = "provider-response", Event = "accepted", State = DeliveryState.Accepted.ToWire(), Applied = 1,
            Note = note, Detail = head.AcceptedDetail, AttemptAt = attemptAt, AttemptNote = attemptNote,
        }, head.AcceptedSeq ?? 0);
    }

    private const char FrozenMark = '\u001F';

    /// <summary>
    /// What a message about to be sent again (a dead letter requeued) keeps of the success its row implies: the requeue clears the
    /// provider id and a later attempt may move it to another provider, from which the entry's notes are spelt, so the two notes
    /// are kept as they read (in <c>accepted_owner</c>, after a unit separator). Null when the row implies no success or has frozen it.
    /// </summary>
    public static string? FrozenAccepted(TimelineHead head) => head.AcceptedAt is null || head.AcceptedOwner is null or [FrozenMark, ..]
        ? null
        : ImpliedAccepted(head) is var (row, _) ? string.Concat(FrozenMark.ToString(), row.AttemptNote, FrozenMark.ToString(), row.Note) : null;

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

    public static Task<int> InsertEvent(ISqlDialect dialect, DbConnection connection, DbTransaction transaction, MessageEventRecord e, CancellationToken cancellationToken) =>
        Exec(connection, transaction, $"""
            INSERT INTO message_events (message_id, id, at, source, event, state, applied, note, detail)
            VALUES (@MessageId, {dialect.NextEventId("@MessageId")}, @At, @Source, @Event, @State, @Applied, @Note, @Detail)
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
        var created = new Dictionary<string, long>(StringComparer.Ordinal);
        HashSet<string>? inDoubt = null;
        foreach (var chunk in changes.Select(c => c.MessageId).Distinct().Order(StringComparer.Ordinal).Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string Id, string Status, long Resend, long CreatedAt)>(new CommandDefinition(
                $"SELECT id, status, resend, created_at FROM messages WHERE {database.Dialect.InList("id", "ids")} ORDER BY id {database.Dialect.ForUpdate}", new { ids = chunk },
                transaction, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                current[row.Id] = DeliveryStates.Parse(row.Status);
                created[row.Id] = row.CreatedAt;
                if (row.Resend != 0 && current[row.Id] == DeliveryState.Queued)
                {
                    (inDoubt ??= new(StringComparer.Ordinal)).Add(row.Id); // held after a crash, waiting for a report or its resend
                }
            }
        }
        var at = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var results = new List<TransitionResult>(changes.Count);
        await using var batch = new StatementBatch(connection, transaction);
        List<string>? identified = null;
        var foldable = FoldedReports.Foldable(changes, inDoubt);
        for (var index = 0; index < changes.Count; index++)
        {
            var (messageId, change) = changes[index];
            if (!current.TryGetValue(messageId, out var state))
            {
                results.Add(TransitionResult.NotFound);
                continue;
            }
            var decision = change.Proposed is { } proposed ? DeliveryStateMachine.Decide(state, proposed) : StateDecision.Ignored("timeline only");
            var newState = decision.Apply ? change.Proposed!.Value : state;
            current[messageId] = newState;
            // A report for a message held in doubt after a crash proves its send reached the provider: the report's state
            // applies and the pending resend is cancelled, in this transaction (a claim needs status 'queued', so it can no longer take it).
            var settled = decision.Apply && newState != DeliveryState.Queued && inDoubt?.Remove(messageId) == true;
            // The usual note is stored with its report's time short (StoredNote); one joined with another is stored as it reads.
            var note = decision.Apply && !settled ? StoredNote.Of(change.Note, change.ReportedAt)
                : decision.Apply ? Join(SettledNote(change.Source), StoredNote.Full(change.Note, change.ReportedAt))
                : Join(StoredNote.Full(change.Note, change.ReportedAt), change.Proposed is null ? null : decision.Reason);
            var storedDetail = StoredDetail.Of(change);
            // A plain report entry goes on the row, in the same UPDATE (FoldedReports); any other is a timeline row.
            var fold = foldable[index] ? FoldedReports.Of(at - created[messageId], change, decision.Apply, note) : null;
            var deliveredAt = fold is not null && decision.Apply && change.Proposed == DeliveryState.Delivered ? at : (long?)null;
            batch.Add(UpdateTransitioned, messageId, newState.ToWire(), change.ProviderMessageId, change.CountsAttempt ? 1 : 0, at, settled ? 1 : 0, fold, deliveredAt);
            if (fold is null)
            {
                AddEvent(batch, messageId, at, change.Source, change.Event, change.Proposed?.ToWire(), decision.Apply, note, storedDetail);
            }
            if (change.ProviderMessageId is not null)
            {
                (identified ??= []).Add(messageId);
            }
            results.Add(new TransitionResult(true, decision.Apply, newState, decision.Reason));
        }
        await batch.FlushAsync(cancellationToken);
        if (identified is not null)
        {
            await MarkParkedReportsAsync(connection, transaction, identified, cancellationToken);
        }
        return results;
    }

    /// <summary>The timeline's word when a change settles a message held in doubt after a crash (its resend is cancelled).</summary>
    internal static string SettledNote(string source) => source == "dlr"
        ? "settled by a report while in doubt after a crash: the earlier send reached the provider, so it is not resent"
        : $"settled ({source}) while in doubt after a crash: it is not resent";

    // A folded report (r.fold) is appended to the row's reports with its place among the message's stored rows: the last id so far;
    // an applied folded delivery also keeps its time in delivered_at for the SQL readers (FoldedReports).
    private static readonly Statement UpdateTransitioned = new("""
        UPDATE messages SET status = r.new_status, provider_message_id = COALESCE(messages.provider_message_id, r.new_provider_message_id),
            attempts = messages.attempts + r.counts_attempt, updated_at = r.at,
            resend = CASE WHEN r.settled = 1 THEN 0 ELSE messages.resend END,
            reports = CASE WHEN r.fold IS NULL THEN messages.reports
                ELSE COALESCE(messages.reports, '') || r.fold || CAST((SELECT COALESCE(MAX(n.id), 0) FROM message_events n WHERE n.message_id = r.id) AS TEXT) END,
            delivered_at = COALESCE(messages.delivered_at, r.delivered_at)
        FROM {rows} WHERE messages.id = r.id AND messages.id {in_keys}
        """, "id text", "new_status text", "new_provider_message_id text", "counts_attempt bigint", "at bigint", "settled bigint", "fold text", "delivered_at bigint")
    {
        SqliteRow = """
            UPDATE messages SET status = @p1, provider_message_id = COALESCE(provider_message_id, @p2), attempts = attempts + @p3, updated_at = @p4,
                resend = CASE WHEN @p5 = 1 THEN 0 ELSE resend END,
                reports = CASE WHEN @p6 IS NULL THEN reports
                    ELSE COALESCE(reports, '') || @p6 || CAST((SELECT COALESCE(MAX(n.id), 0) FROM message_events n WHERE n.message_id = @p0) AS TEXT) END,
                delivered_at = COALESCE(delivered_at, @p7)
            WHERE id = @p0
            """,
        KeyedByFirstColumn = true,
    };

    /// <summary>
    /// Marks the parked reports that wait for these messages, which have just been given their provider message id: a lookup
    /// on the pending reports' (provider, provider message id) index per message, usually finding nothing.
    /// </summary>
    public static async Task<int> MarkParkedReportsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> messageIds,
        CancellationToken cancellationToken)
    {
        // Almost always nothing waits: one look at the (small) parking lot instead of a lookup per message.
        if (messageIds.Count == 0 || await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT 1 FROM pending_reports WHERE message_id IS NULL LIMIT 1", transaction: transaction, cancellationToken: cancellationToken)) is null)
        {
            return 0;
        }
        return await Exec(connection, transaction, """
            UPDATE pending_reports SET message_id = @id
            WHERE message_id IS NULL
                AND provider_id = (SELECT provider_id FROM messages WHERE id = @id)
                AND provider_message_id = (SELECT provider_message_id FROM messages WHERE id = @id)
            """, messageIds.Distinct().Select(id => new { id }).ToList(), cancellationToken);
    }

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
        public long? AttemptAt { get; set; }
        public string? AttemptNote { get; set; }

        public MessageEventRecord ToRecord() => new()
        {
            Id = Id, MessageId = MessageId, At = Time(At), Source = Source, Event = Event,
            State = State is null ? null : DeliveryStates.Parse(State), Applied = Applied != 0, Note = StoredNote.Expand(Note), Detail = StoredDetail.Expand(Detail),
        };
    }
}
