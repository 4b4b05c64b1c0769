using Dapper;
using Herald.Storage.Sql;
using Herald.Core.Messaging;
using Herald.Storage.ProviderGroups;
using Herald.Storage.Records;
using static Herald.Storage.Messages.MessageSql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Messages;

/// <summary>The dispatch queue over the messages table.</summary>
internal sealed partial class SqlMessageStore
{
    /// <summary>The OTP lane: its writes take the urgent writer turn.</summary>
    private const int UrgentLane = 0;

    public async Task EnqueueAsync(IReadOnlyList<(MessageRecord Message, DispatchInfo Dispatch)> messages, IdempotencyRecord? idempotency, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // OTPs are stored ahead of a campaign's chunks waiting to be stored.
        using var turn = await database.WriteTurnAsync(messages.All(m => m.Dispatch.Lane == UrgentLane), cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (idempotency is not null)
        {
            await InsertIdempotencyKeys(connection, transaction, [idempotency], cancellationToken);
        }
        await InsertQueued(connection, transaction, messages, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IdempotencyRecord?> FindIdempotencyAsync(string key, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(string Key, string RequestHash, string MessageId, long CreatedAt, string? Response, long? ResponseStatus)>(
            new CommandDefinition(
                "SELECT key, request_hash, message_id, created_at, response, response_status FROM idempotency_keys WHERE key = @key AND created_at >= @since",
                new { key, since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return row.Key is null ? null : new IdempotencyRecord(row.Key, row.RequestHash, row.MessageId, Time(row.CreatedAt))
        {
            Response = row.Response, ResponseStatus = row.ResponseStatus is { } status ? (int)status : null,
        };
    }

    private string ClaimSql => _claimSql ??= LeaseClaim.Sql(database.Dialect, "messages",
        "status = 'dispatching', lease_until = @leaseUntil, lease_owner = @owner, attempts = attempts + 1, provider_attempts = provider_attempts + 1, updated_at = @now, claimed_at = @now",
        "status = 'queued' AND next_attempt_at <= @now AND lane <= @maxLane", "lane, next_attempt_at",
        $"{MessageColumns}, valid_until AS ValidUntil, resend AS Resend, lane AS Lane");

    private string? _claimSql;

    public Task<IReadOnlyList<ClaimedMessage>> ClaimAsync(int limit, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        ClaimAsync(limit, int.MaxValue, owner, lease, cancellationToken);

    public async Task<IReadOnlyList<ClaimedMessage>> ClaimAsync(int limit, int maxLane, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        // A claim of OTPs only (the express worker's) goes ahead of the bulk writes waiting.
        using var turn = await database.WriteTurnAsync(maxLane <= UrgentLane, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ClaimRow>(new CommandDefinition(ClaimSql, new { now = now.ToUnixTimeMilliseconds(), leaseUntil = (now + lease).ToUnixTimeMilliseconds(), owner, limit, maxLane },
            transaction, cancellationToken: cancellationToken))).ToList();
        // No timeline row for the claim: the row keeps claimed_at, and the row that ends the attempt carries it (see WithAttempts).
        var routes = await SqlProviderGroupStore.RoutesAsync(database, connection, transaction, rows.Where(r => r.ProviderGroupId is not null).Select(r => r.ProviderGroupId!).Distinct().ToList(),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // RETURNING gives rows in no particular order: hand them over lane first, so an OTP in a claim is sent first.
        return rows.OrderBy(r => r.Lane).Select(r => new ClaimedMessage(r.ToRecord(), r.ValidUntil is { } v ? Time(v) : null, r.Resend != 0,
            r.ProviderGroupId is { } group ? routes.GetValueOrDefault(group) : null)).ToList();
    }

    public Task CompleteAsync(IReadOnlyList<DispatchCompletion> completions, CancellationToken cancellationToken) =>
        CompleteAsync(completions, false, cancellationToken);

    public async Task CompleteAsync(IReadOnlyList<DispatchCompletion> completions, bool urgent, CancellationToken cancellationToken)
    {
        if (completions.Count == 0)
        {
            return;
        }
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(urgent, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = completions.Select(c => c.MessageId).Distinct().ToList();
        var claims = new Dictionary<string, ClaimState>(ids.Count, StringComparer.Ordinal);
        var current = new Dictionary<string, DeliveryState>(ids.Count, StringComparer.Ordinal);
        foreach (var row in await connection.QueryAsync<ClaimState>(new CommandDefinition(
            // Locked in id order, like the delivery-report batches: two transactions never wait on each other crosswise.
            $"SELECT {ClaimStateColumns} FROM messages WHERE {database.Dialect.InList("id", "ids")} ORDER BY id {database.Dialect.ForUpdate}", new { ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken)))
        {
            claims[row.Id] = row;
            current[row.Id] = DeliveryStates.Parse(row.Status);
        }
        var at = now.ToUnixTimeMilliseconds();
        await using var batch = new StatementBatch(connection, transaction);
        List<string>? identified = null;
        foreach (var completion in completions)
        {
            if (!current.TryGetValue(completion.MessageId, out var state))
            {
                continue;
            }
            var change = completion.Change;
            bool applied;
            string? note = StoredNote.Full(change.Note, change.ReportedAt);
            DeliveryState next;
            long? nextAttempt = null;
            if (completion.RetryAt is { } retryAt && DeliveryStateMachine.CanRequeue(state))
            {
                next = DeliveryState.Queued;
                nextAttempt = retryAt.ToUnixTimeMilliseconds();
                applied = true;
            }
            else
            {
                var proposed = completion.RetryAt is not null ? DeliveryState.Queued : change.Proposed;
                var decision = proposed is { } p ? DeliveryStateMachine.Decide(state, p) : StateDecision.Ignored("timeline only");
                applied = decision.Apply;
                next = applied ? proposed!.Value : state;
                if (!applied && proposed is not null)
                {
                    note = note is null ? decision.Reason : $"{note}; {decision.Reason}";
                }
            }
            current[completion.MessageId] = next;
            var switchTo = applied && next == DeliveryState.Queued ? completion.SwitchTo : null;
            var claim = claims[completion.MessageId];
            // The usual success (the first attempt accepted, nothing unusual) goes on the row, not on the timeline (AcceptedImplied).
            var folded = applied && next == DeliveryState.Accepted && completion.RetryAt is null && AcceptedImplied(claim, change);
            batch.Add(UpdateCompleted, completion.MessageId, next.ToWire(), change.ProviderMessageId, nextAttempt, at, switchTo?.ProviderId, switchTo?.ProviderNickname,
                switchTo is null ? 0 : 1, folded ? at : null, folded ? claim.ClaimedAt : null, folded ? claim.LeaseOwner : null,
                folded ? StoredDetail.Compact(change.Summary!.Value) : null);
            if (!folded)
            {
                AddEvent(batch, completion.MessageId, at, change.Source, change.Event, (completion.RetryAt is not null ? DeliveryState.Queued : change.Proposed)?.ToWire(),
                    applied, note, StoredDetail.Of(change), claim.TakeAttempt());
            }
            if (switchTo?.Note is { } switchNote)
            {
                AddEvent(batch, completion.MessageId, at, "dispatch", "failover", null, false, switchNote, null);
            }
            if (change.ProviderMessageId is not null)
            {
                (identified ??= []).Add(completion.MessageId);
            }
        }
        await batch.FlushAsync(cancellationToken);
        identified ??= [];
        await MessageSql.MarkParkedReportsAsync(connection, transaction, identified, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await MessageSql.MarkAfterCommitAsync(database, connection, identified, [], cancellationToken);
    }

    // One UPDATE … FROM unnest per flush on PostgreSQL, one prepared execution per message on SQLite. A success folded into the
    // row (accepted_at not null) records its entry's place among the message's stored rows: after the last one so far (accepted_seq).
    private static readonly Statement UpdateCompleted = new("""
        UPDATE messages SET status = r.new_status, provider_message_id = COALESCE(messages.provider_message_id, r.new_provider_message_id),
            next_attempt_at = COALESCE(r.retry_at, messages.next_attempt_at), lease_until = NULL, lease_owner = NULL, resend = 0, claimed_at = NULL,
            updated_at = r.at, provider_id = COALESCE(r.switch_provider_id, messages.provider_id),
            provider_nickname = COALESCE(r.switch_provider_nickname, messages.provider_nickname),
            provider_attempts = CASE WHEN r.switched = 1 THEN 0 ELSE messages.provider_attempts END,
            accepted_at = COALESCE(r.accepted_at, messages.accepted_at), accepted_attempt_at = COALESCE(r.attempt_at, messages.accepted_attempt_at),
            accepted_owner = COALESCE(r.attempt_owner, messages.accepted_owner), accepted_detail = COALESCE(r.accepted_detail, messages.accepted_detail),
            accepted_seq = CASE WHEN r.accepted_at IS NULL THEN messages.accepted_seq
                ELSE (SELECT COALESCE(MAX(n.id), 0) FROM message_events n WHERE n.message_id = r.id) END
        FROM {rows} WHERE messages.id = r.id AND messages.id {in_keys}
        """, "id text", "new_status text", "new_provider_message_id text", "retry_at bigint", "at bigint", "switch_provider_id text", "switch_provider_nickname text",
        "switched bigint", "accepted_at bigint", "attempt_at bigint", "attempt_owner text", "accepted_detail text")
    {
        SqliteRow = """
            UPDATE messages SET status = @p1, provider_message_id = COALESCE(provider_message_id, @p2),
                next_attempt_at = COALESCE(@p3, next_attempt_at), lease_until = NULL, lease_owner = NULL, resend = 0, claimed_at = NULL, updated_at = @p4,
                provider_id = COALESCE(@p5, provider_id), provider_nickname = COALESCE(@p6, provider_nickname),
                provider_attempts = CASE WHEN @p7 = 1 THEN 0 ELSE provider_attempts END,
                accepted_at = COALESCE(@p8, accepted_at), accepted_attempt_at = COALESCE(@p9, accepted_attempt_at),
                accepted_owner = COALESCE(@p10, accepted_owner), accepted_detail = COALESCE(@p11, accepted_detail),
                accepted_seq = CASE WHEN @p8 IS NULL THEN accepted_seq
                    ELSE (SELECT COALESCE(MAX(n.id), 0) FROM message_events n WHERE n.message_id = @p0) END
            WHERE id = @p0
            """,
        KeyedByFirstColumn = true,
    };

    public async Task<int> RecoverExpiredLeasesAsync(TimeSpan inDoubtHold, CancellationToken cancellationToken)
    {
        var now = database.Clock.GetUtcNow();
        var at = now.ToUnixTimeMilliseconds();
        // In doubt: the send may have reached the provider. It waits for a report naming it (which settles it, see
        // MessageSql.TransitionManyAsync) until the hold ends, counted from now: after a crash that is the restart, when the
        // provider's retried callbacks can reach Herald again.
        var heldUntil = now + inDoubtHold;
        var dueAt = heldUntil.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Read first (locked): the attempt that ended goes on the timeline as it was claimed.
        var expired = (await connection.QueryAsync<ClaimState>(new CommandDefinition(
            $"SELECT {ClaimStateColumns} FROM messages WHERE status = 'dispatching' AND lease_until < @now ORDER BY id {database.Dialect.ForUpdate}",
            new { now = at }, transaction, cancellationToken: cancellationToken))).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var ids = new List<string>(expired.Count);
        foreach (var chunk in expired.Keys.Chunk(ListChunk))
        {
            ids.AddRange(await connection.QueryAsync<string>(new CommandDefinition($"""
                UPDATE messages SET status = 'queued', next_attempt_at = @dueAt, lease_until = NULL, lease_owner = NULL, resend = 1, claimed_at = NULL, updated_at = @now
                WHERE {database.Dialect.InList("id", "ids")} AND status = 'dispatching' AND lease_until < @now
                RETURNING id
                """, new { now = at, dueAt, ids = chunk }, transaction, cancellationToken: cancellationToken)));
        }
        var note = inDoubtHold > TimeSpan.Zero
            ? $"in doubt after a crash: the worker holding it stopped before recording the provider's answer; holding for reports until {heldUntil:O} (a report settles it), then resent with the same message id"
            : "the worker holding it stopped before recording the answer; it will be resent with the same message id";
        await using var batch = new StatementBatch(connection, transaction);
        foreach (var id in ids)
        {
            AddEvent(batch, id, at, "dispatch", "lease-expired", "queued", true, note, null, expired[id].TakeAttempt());
        }
        await batch.FlushAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ids.Count;
    }

    public async Task<IReadOnlyList<string>> SettledAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var settled = new List<string>();
        if (messageIds.Count == 0)
        {
            return settled;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in messageIds.Chunk(ListChunk))
        {
            settled.AddRange(await connection.QueryAsync<string>(new CommandDefinition(
                $"SELECT id FROM messages WHERE {database.Dialect.InList("id", "ids")} AND status NOT IN ('queued', 'dispatching')",
                new { ids = chunk }, cancellationToken: cancellationToken)));
        }
        return settled;
    }

    public async Task ReleaseAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        if (messageIds.Count == 0)
        {
            return;
        }
        var now = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var held = (await connection.QueryAsync<ClaimState>(new CommandDefinition(
            $"SELECT {ClaimStateColumns} FROM messages WHERE {database.Dialect.InList("id", "messageIds")} AND status = 'dispatching' ORDER BY id {database.Dialect.ForUpdate}",
            new { messageIds = messageIds.ToArray() }, transaction, cancellationToken: cancellationToken))).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var released = (await connection.QueryAsync<string>(new CommandDefinition($"""
            UPDATE messages SET status = 'queued', lease_until = NULL, lease_owner = NULL, attempts = attempts - 1,
                provider_attempts = provider_attempts - 1, claimed_at = NULL, updated_at = @now
            WHERE {database.Dialect.InList("id", "messageIds")} AND status = 'dispatching'
            RETURNING id
            """, new { messageIds = messageIds.ToArray(), now }, transaction, cancellationToken: cancellationToken))).ToList();
        await using var batch = new StatementBatch(connection, transaction);
        foreach (var id in released)
        {
            AddEvent(batch, id, now, "dispatch", "released", "queued", true, "returned to the queue unsent: Herald is shutting down", null,
                held.TryGetValue(id, out var claim) ? claim.TakeAttempt() : null);
        }
        await batch.FlushAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<QueueDepth> DepthAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var lanes = await connection.QueryAsync<(long Lane, long Count)>(new CommandDefinition(
            "SELECT lane, COUNT(*) FROM messages WHERE status = 'queued' GROUP BY lane", cancellationToken: cancellationToken));
        var dispatching = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM messages WHERE status = 'dispatching'", cancellationToken: cancellationToken));
        return new QueueDepth(lanes.ToDictionary(l => (int)l.Lane, l => l.Count), dispatching);
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MIN(next_attempt_at) FROM messages WHERE status = 'queued'", cancellationToken: cancellationToken));
        return next is { } n ? Time(n) : null;
    }

    private sealed class ClaimRow : MessageRow
    {
        public long? ValidUntil { get; set; }
        public long Resend { get; set; }
        public long Lane { get; set; }
    }
}
