using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>
/// The Kaleyra connector's own rows: what it keeps about its messages (<c>connector_messages</c>), the raw
/// callbacks Kaleyra makes to it (<c>connector_callbacks</c>) and the outbox of delivery events to relay to
/// CleverTap (<c>connector_relays</c>). Relays are claimed with a lease, so several Herald nodes on one
/// PostgreSQL database share the work and a crashed node's claims return to the queue when the lease ends.
/// </summary>
public interface IConnectorStore
{
    /// <summary>Stores a new connector message: the Herald message, its first timeline entry and the connector's row, in one transaction.</summary>
    Task InsertMessageAsync(MessageRecord message, MessageEventRecord firstEvent, ConnectorMessageRecord connector, CancellationToken cancellationToken);
    /// <summary>The connector's row for a Herald message, or null.</summary>
    Task<ConnectorMessageRecord?> GetMessageAsync(string messageId, CancellationToken cancellationToken);
    /// <summary>The newest connector message with this caller id for this callback URL, or null.</summary>
    Task<ConnectorMessageRecord?> FindByExternalIdAsync(string connector, string externalId, string callbackUrl, CancellationToken cancellationToken);

    /// <summary>Stores a raw callback durably and returns its id.</summary>
    Task<long> StoreCallbackAsync(ConnectorCallbackItem item, CancellationToken cancellationToken);
    /// <summary>Marks a callback applied, with the answer given.</summary>
    Task MarkCallbackProcessedAsync(long id, string result, CancellationToken cancellationToken);
    /// <summary>Callbacks stored but not yet applied (after a crash), oldest first.</summary>
    Task<IReadOnlyList<ConnectorCallbackItem>> PendingCallbacksAsync(int limit, CancellationToken cancellationToken);
    /// <summary>The latest callbacks for a message, newest first.</summary>
    Task<IReadOnlyList<ConnectorCallbackItem>> CallbacksForMessageAsync(string messageId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Applies one delivery report to a message like <see cref="IMessageStore.TransitionAsync"/> and, only when
    /// the report moved the message's state, enqueues <paramref name="relayIfApplied"/>, in one transaction: a
    /// report applied twice (a retried callback, a recovery after a crash) is relayed once.
    /// </summary>
    Task<(TransitionResult Transition, long? RelayId)> ApplyReportAsync(string messageId, StateChange change, RelayRecord? relayIfApplied,
        CancellationToken cancellationToken);
    /// <summary>
    /// Claims up to <paramref name="limit"/> pending relays due at <paramref name="now"/> that no live lease holds,
    /// leasing them until <paramref name="now"/> + <paramref name="lease"/>; oldest due first.
    /// </summary>
    Task<IReadOnlyList<RelayRecord>> ClaimRelaysAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken);
    /// <summary>Records what an attempt did to each relay (one more attempt each), releases them, and puts an entry on each message's timeline (source <c>relay</c>), in one transaction.</summary>
    Task CompleteRelaysAsync(IReadOnlyList<RelayCompletion> completions, CancellationToken cancellationToken);
    /// <summary>Gives claimed relays back without counting an attempt (a worker stopping mid-way).</summary>
    Task ReleaseRelaysAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken);
    /// <summary>Every relay of a message, oldest first.</summary>
    Task<IReadOnlyList<RelayRecord>> RelaysForMessageAsync(string messageId, CancellationToken cancellationToken);
}
