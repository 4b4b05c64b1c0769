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
    public async Task EnqueueAsync(IReadOnlyList<(MessageRecord Message, DispatchInfo Dispatch)> messages, IdempotencyRecord? idempotency, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
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
        "status = 'dispatching', lease_until = @leaseUntil, lease_owner = @owner, attempts = attempts + 1, provider_attempts = provider_attempts + 1, updated_at = @now",
        "status = 'queued' AND next_attempt_at <= @now AND lane <= @maxLane", "lane, next_attempt_at",
        $"{MessageColumns}, valid_until AS ValidUntil, resend AS Resend, lane AS Lane");

    private string? _claimSql;

    public Task<IReadOnlyList<ClaimedMessage>> ClaimAsync(int limit, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        ClaimAsync(limit, int.MaxValue, owner, lease, cancellationToken);

    public async Task<IReadOnlyList<ClaimedMessage>> ClaimAsync(int limit, int maxLane, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ClaimRow>(new CommandDefinition(ClaimSql, new { now = now.ToUnixTimeMilliseconds(), leaseUntil = (now + lease).ToUnixTimeMilliseconds(), owner, limit, maxLane },
            transaction, cancellationToken: cancellationToken))).ToList();
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
                VALUES (@Id, @At, 'dispatch', 'dispatching', 'dispatching', 1, @Note, NULL)
                """, rows.Select(r => new
            {
                r.Id, At = now.ToUnixTimeMilliseconds(),
                Note = r.Resend != 0 ? $"attempt {r.Attempts} through {Through(r)} by {owner}: resent-after-crash (the previous attempt's lease expired; same message id)"
                    : $"attempt {r.Attempts} through {Through(r)} by {owner}",
            }), transaction, cancellationToken: cancellationToken));
        }
        var routes = await SqlProviderGroupStore.RoutesAsync(database, connection, transaction, rows.Where(r => r.ProviderGroupId is not null).Select(r => r.ProviderGroupId!).Distinct().ToList(),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // RETURNING gives rows in no particular order: hand them over lane first, so an OTP in a claim is sent first.
        return rows.OrderBy(r => r.Lane).Select(r => new ClaimedMessage(r.ToRecord(), r.ValidUntil is { } v ? Time(v) : null, r.Resend != 0,
            r.ProviderGroupId is { } group ? routes.GetValueOrDefault(group) : null)).ToList();
    }

    /// <summary>Which provider an attempt goes through, for the timeline: the nickname and, for messages of a group, the id.</summary>
    private static string Through(MessageRow row) =>
        row.ProviderGroupId is null ? $"{row.ProviderNickname}" : $"{row.ProviderNickname} ({row.ProviderId})";

    public async Task CompleteAsync(IReadOnlyList<DispatchCompletion> completions, CancellationToken cancellationToken)
    {
        if (completions.Count == 0)
        {
            return;
        }
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = completions.Select(c => c.MessageId).Distinct().ToList();
        var current = (await connection.QueryAsync<(string Id, string Status)>(new CommandDefinition(
            // Locked in id order, like the delivery-report batches: two transactions never wait on each other crosswise.
            $"SELECT id, status FROM messages WHERE {database.Dialect.InList("id", "ids")} ORDER BY id {database.Dialect.ForUpdate}", new { ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Id, r => DeliveryStates.Parse(r.Status));
        var updates = new List<object>(completions.Count);
        var events = new List<object>(completions.Count);
        foreach (var completion in completions)
        {
            if (!current.TryGetValue(completion.MessageId, out var state))
            {
                continue;
            }
            var change = completion.Change;
            bool applied;
            string? note = change.Note;
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
            updates.Add(new
            {
                Id = completion.MessageId, Status = next.ToWire(), change.ProviderMessageId, NextAttemptAt = nextAttempt,
                Now = now.ToUnixTimeMilliseconds(), SwitchProviderId = switchTo?.ProviderId, SwitchNickname = switchTo?.ProviderNickname,
                Switched = switchTo is null ? 0 : 1,
            });
            events.Add(new
            {
                Id = completion.MessageId, At = now.ToUnixTimeMilliseconds(), change.Source, change.Event,
                State = (completion.RetryAt is not null ? DeliveryState.Queued : change.Proposed)?.ToWire(), Applied = applied ? 1 : 0,
                Note = note, change.Detail,
            });
            if (switchTo?.Note is { } switchNote)
            {
                events.Add(new
                {
                    Id = completion.MessageId, At = now.ToUnixTimeMilliseconds(), Source = "dispatch", Event = "failover",
                    State = (string?)null, Applied = 0, Note = switchNote, Detail = (string?)null,
                });
            }
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE messages SET status = @Status, provider_message_id = COALESCE(provider_message_id, @ProviderMessageId),
                next_attempt_at = COALESCE(@NextAttemptAt, next_attempt_at), lease_until = NULL, lease_owner = NULL, resend = 0, updated_at = @Now,
                provider_id = COALESCE(@SwitchProviderId, provider_id), provider_nickname = COALESCE(@SwitchNickname, provider_nickname),
                provider_attempts = CASE WHEN @Switched = 1 THEN 0 ELSE provider_attempts END
            WHERE id = @Id
            """, updates, transaction, cancellationToken: cancellationToken));
        List<string> identified = [.. completions.Where(c => c.Change.ProviderMessageId is not null).Select(c => c.MessageId)];
        await MessageSql.MarkParkedReportsAsync(connection, transaction, identified, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
            VALUES (@Id, @At, @Source, @Event, @State, @Applied, @Note, @Detail)
            """, events, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        await MessageSql.MarkAfterCommitAsync(database, connection, identified, [], cancellationToken);
    }

    public async Task<int> RecoverExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var now = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = (await connection.QueryAsync<string>(new CommandDefinition("""
            UPDATE messages SET status = 'queued', next_attempt_at = @now, lease_until = NULL, lease_owner = NULL, resend = 1, updated_at = @now
            WHERE status = 'dispatching' AND lease_until < @now
            RETURNING id
            """, new { now }, transaction, cancellationToken: cancellationToken))).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
            VALUES (@Id, @At, 'dispatch', 'lease-expired', 'queued', 1, 'the worker holding it stopped before recording the answer; it will be resent with the same message id', NULL)
            """, ids.Select(id => new { Id = id, At = now }), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return ids.Count;
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
        var released = (await connection.QueryAsync<string>(new CommandDefinition($"""
            UPDATE messages SET status = 'queued', lease_until = NULL, lease_owner = NULL, attempts = attempts - 1,
                provider_attempts = provider_attempts - 1, updated_at = @now
            WHERE {database.Dialect.InList("id", "messageIds")} AND status = 'dispatching'
            RETURNING id
            """, new { messageIds = messageIds.ToArray(), now }, transaction, cancellationToken: cancellationToken))).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
            VALUES (@Id, @At, 'dispatch', 'released', 'queued', 1, 'returned to the queue unsent: Herald is shutting down', NULL)
            """, released.Select(id => new { Id = id, At = now }), transaction, cancellationToken: cancellationToken));
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
