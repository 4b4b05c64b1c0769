using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>How a queued message is dispatched: its lane, when it is due and until when it is worth sending.</summary>
/// <param name="Lane">0 = otp (first), 1 = txn, 2 = default, 3 = mkt.</param>
/// <param name="NextAttemptAt">When it may be sent; null when the caller sends it itself (Send Test SMS, the connector): the dispatcher never claims it.</param>
/// <param name="ValidUntil">After this it is expired instead of sent; null = no limit.</param>
/// <param name="Encoding">gsm7 or ucs2.</param>
/// <param name="Segments">How many segments an operator bills.</param>
public sealed record DispatchInfo(int Lane, DateTimeOffset? NextAttemptAt, DateTimeOffset? ValidUntil, string Encoding, int Segments)
{
    /// <summary>The first timeline entry's source; null for the message's own source.</summary>
    public string? Source { get; init; }

    /// <summary>The first timeline entry's event.</summary>
    public string Event { get; init; } = "queued";

    /// <summary>The first timeline entry's note.</summary>
    public string? Note { get; init; }

    /// <summary>The first timeline entry's detail.</summary>
    public string? Detail { get; init; }
}

/// <summary>A message a worker holds under a lease.</summary>
/// <param name="Message">The message.</param>
/// <param name="ValidUntil">Its validity.</param>
/// <param name="ResentAfterCrash">
/// A previous holder's lease expired: its send may have reached the provider, and no report named it while it was held in doubt.
/// </param>
/// <param name="Group">The provider group it may fail over in, when it was sent to a group that still exists.</param>
public sealed record ClaimedMessage(MessageRecord Message, DateTimeOffset? ValidUntil, bool ResentAfterCrash, ProviderGroupRoute? Group = null);

/// <summary>What a worker decided for a claimed message.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Change">The timeline entry and proposed state.</param>
/// <param name="RetryAt">When set, the message goes back to the queue until then instead of moving to the proposed state.</param>
/// <param name="SwitchTo">When set (with <paramref name="RetryAt"/>), the message moves to another provider of its group, its attempts there starting at 0.</param>
public sealed record DispatchCompletion(string MessageId, StateChange Change, DateTimeOffset? RetryAt = null, ProviderSwitch? SwitchTo = null);

/// <summary>A stored Idempotency-Key.</summary>
/// <param name="Key">The caller's key.</param>
/// <param name="RequestHash">A hash of the request body, to tell a replay from a conflict.</param>
/// <param name="MessageId">The message the first request created (a batch: its first accepted message).</param>
/// <param name="CreatedAt">When.</param>
public sealed record IdempotencyRecord(string Key, string RequestHash, string MessageId, DateTimeOffset CreatedAt)
{
    /// <summary>The whole answer the first request got, as JSON, when it is replayed as is (a batch); null for a single message.</summary>
    public string? Response { get; init; }

    /// <summary>The HTTP status of <see cref="Response"/>.</summary>
    public int? ResponseStatus { get; init; }
}

/// <summary>Messages waiting to be dispatched, per lane.</summary>
public sealed record QueueDepth(IReadOnlyDictionary<int, long> ByLane, long Dispatching);

/// <summary>The durable dispatch queue: messages live in the database from acceptance to a final state.</summary>
public interface IDispatchQueue
{
    /// <summary>Stores new messages with their first timeline entry (and the idempotency key), in one transaction.</summary>
    Task EnqueueAsync(IReadOnlyList<(MessageRecord Message, DispatchInfo Dispatch)> messages, IdempotencyRecord? idempotency, CancellationToken cancellationToken);

    /// <summary>The message an Idempotency-Key created, if it was used since <paramref name="since"/>.</summary>
    Task<IdempotencyRecord?> FindIdempotencyAsync(string key, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> due messages, lane first, under a lease; they move to dispatching. Concurrent claimers
    /// (other nodes) never get the same message. <paramref name="owner"/> names the dispatcher (node id first) on the timeline.
    /// </summary>
    Task<IReadOnlyList<ClaimedMessage>> ClaimAsync(int limit, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="ClaimAsync(int, string, TimeSpan, CancellationToken)"/>, only from lanes up to <paramref name="maxLane"/> (0 = OTPs only;
    /// such a claim goes ahead of bulk writes waiting for the database's writer).
    /// </summary>
    Task<IReadOnlyList<ClaimedMessage>> ClaimAsync(int limit, int maxLane, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Applies workers' decisions in one transaction.</summary>
    Task CompleteAsync(IReadOnlyList<DispatchCompletion> completions, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="CompleteAsync(IReadOnlyList{DispatchCompletion}, CancellationToken)"/>; <paramref name="urgent"/> (the answers hold an
    /// OTP's) records them ahead of bulk writes waiting for the database's writer (SQLite).
    /// </summary>
    Task CompleteAsync(IReadOnlyList<DispatchCompletion> completions, bool urgent, CancellationToken cancellationToken);

    /// <summary>
    /// Returns messages whose lease expired (a crashed worker) to the queue, marked for a resend; returns how many. Their send
    /// may have reached the provider, so they are in doubt: each is due only after <paramref name="inDoubtHold"/> from now,
    /// and a delivery report that names it meanwhile settles it (it is then never resent). <see cref="TimeSpan.Zero"/> resends at once.
    /// </summary>
    Task<int> RecoverExpiredLeasesAsync(TimeSpan inDoubtHold, CancellationToken cancellationToken);

    /// <summary>
    /// Of these claimed messages, those something settled after the claim (no longer queued nor dispatching): a delivery report
    /// for a resend after a crash, proving the first send reached the provider. Read just before a resend, never on a first send.
    /// </summary>
    Task<IReadOnlyList<string>> SettledAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken);

    /// <summary>Releases claimed messages that were not sent (shutdown) back to the queue.</summary>
    Task ReleaseAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken);

    /// <summary>How many messages wait, per lane, and how many are held.</summary>
    Task<QueueDepth> DepthAsync(CancellationToken cancellationToken);

    /// <summary>When the next queued message is due, if any.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);
}
