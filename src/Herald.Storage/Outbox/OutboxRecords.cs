using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Where an outbox entry stands.</summary>
public enum OutboxStatus
{
    /// <summary>Waiting for its (next) attempt.</summary>
    Pending,
    /// <summary>Delivered (the receiver answered 2xx): never sent again.</summary>
    Sent,
    /// <summary>Given up: refused for good, out of attempts, or past its validity.</summary>
    Dead,
}

/// <summary>A webhook to deliver: one JSON payload for one URL, under a topic that says how payloads are posted.</summary>
public sealed record OutboxItem
{
    /// <summary>Idempotency key: a second entry with the same key is ignored, so a replayed cause never posts twice.</summary>
    public required string Key { get; init; }
    /// <summary>The topic, e.g. <c>clevertap</c> (the connector's relays) or <c>webhook</c>.</summary>
    public required string Topic { get; init; }
    /// <summary>Where it goes.</summary>
    public required string Url { get; init; }
    /// <summary>The payload, JSON.</summary>
    public required string Payload { get; init; }
    /// <summary>The message it is about, whose timeline records each attempt; null for none.</summary>
    public string? MessageId { get; init; }
    /// <summary>When it is first due.</summary>
    public required DateTimeOffset NextAttemptAt { get; init; }
    /// <summary>After this it is dead instead of retried; null = until it runs out of attempts.</summary>
    public DateTimeOffset? ValidUntil { get; init; }
}

/// <summary>An outbox entry as stored.</summary>
public sealed record OutboxRecord
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>See <see cref="OutboxItem.Key"/>.</summary>
    public required string Key { get; init; }
    /// <summary>See <see cref="OutboxItem.Topic"/>.</summary>
    public required string Topic { get; init; }
    /// <summary>See <see cref="OutboxItem.Url"/>.</summary>
    public required string Url { get; init; }
    /// <summary>See <see cref="OutboxItem.Payload"/>.</summary>
    public required string Payload { get; init; }
    /// <summary>See <see cref="OutboxItem.MessageId"/>.</summary>
    public string? MessageId { get; init; }
    /// <summary>Where it stands.</summary>
    public OutboxStatus Status { get; init; }
    /// <summary>Attempts made.</summary>
    public int Attempts { get; init; }
    /// <summary>When it is next due.</summary>
    public DateTimeOffset NextAttemptAt { get; init; }
    /// <summary>See <see cref="OutboxItem.ValidUntil"/>.</summary>
    public DateTimeOffset? ValidUntil { get; init; }
    /// <summary>The last failure.</summary>
    public string? LastError { get; init; }
    /// <summary>When it was queued.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>What became of one claimed entry, and the timeline entry for its message.</summary>
public sealed record OutboxCompletion
{
    /// <summary>The entry.</summary>
    public required long Id { get; init; }
    /// <summary>Sent, Dead, or Pending to try again at <see cref="NextAttemptAt"/>.</summary>
    public required OutboxStatus Status { get; init; }
    /// <summary>When to try again (Pending only).</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
    /// <summary>The failure, if any.</summary>
    public string? Error { get; init; }
    /// <summary>The message whose timeline gets <see cref="Event"/>; null for none.</summary>
    public string? MessageId { get; init; }
    /// <summary>Timeline event, e.g. <c>relayed</c>.</summary>
    public required string Event { get; init; }
    /// <summary>Timeline note.</summary>
    public string? Note { get; init; }
    /// <summary>Timeline detail (the exchange).</summary>
    public string? Detail { get; init; }
}

/// <summary>A filter over the outbox, newest first.</summary>
public sealed record OutboxQuery
{
    /// <summary>Only this status.</summary>
    public OutboxStatus? Status { get; init; }
    /// <summary>Only this topic.</summary>
    public string? Topic { get; init; }
    /// <summary>Only entries about this message.</summary>
    public string? MessageId { get; init; }
    /// <summary>Page size (1-500).</summary>
    public int Limit { get; init; } = 50;
    /// <summary>The cursor: entries older than this id.</summary>
    public long? Before { get; init; }
}

/// <summary>The durable webhook outbox: leased, retried, idempotent by key.</summary>
public interface IOutboxStore
{
    /// <summary>Queues entries; those whose key exists already are ignored. Returns how many were new.</summary>
    Task<int> EnqueueAsync(IReadOnlyList<OutboxItem> items, CancellationToken cancellationToken);
    /// <summary>Claims due pending entries under a lease (other nodes skip them), oldest first.</summary>
    Task<IReadOnlyList<OutboxRecord>> ClaimAsync(string owner, TimeSpan lease, int limit, CancellationToken cancellationToken);
    /// <summary>Records attempts' results and their timeline entries, in one transaction.</summary>
    Task CompleteAsync(IReadOnlyList<OutboxCompletion> completions, CancellationToken cancellationToken);
    /// <summary>Gives claimed entries back without an attempt (shutdown).</summary>
    Task ReleaseAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken);
    /// <summary>Entries, newest first, filtered and paged.</summary>
    Task<Page<OutboxRecord>> ListAsync(OutboxQuery query, CancellationToken cancellationToken);
    /// <summary>Puts a dead entry back in the queue, due now, with a fresh validity; false when it is not dead.</summary>
    Task<bool> RetryAsync(long id, DateTimeOffset? validUntil, CancellationToken cancellationToken);
}
