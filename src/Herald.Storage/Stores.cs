using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Provider configurations.</summary>
public interface IProviderStore
{
    /// <summary>Finds a provider by id, or by nickname (case-insensitive).</summary>
    Task<ProviderRecord?> FindAsync(string idOrNickname, CancellationToken cancellationToken);
    /// <summary>Every provider, by nickname.</summary>
    Task<IReadOnlyList<ProviderRecord>> ListAsync(CancellationToken cancellationToken);
    /// <summary>Adds a provider; throws <see cref="DuplicateNicknameException"/> if the nickname is taken.</summary>
    Task InsertAsync(ProviderRecord provider, CancellationToken cancellationToken);
    /// <summary>Replaces a provider's nickname, kind and settings; false if it does not exist.</summary>
    Task<bool> UpdateAsync(ProviderRecord provider, CancellationToken cancellationToken);
    /// <summary>Removes a provider; its messages keep their history. False if it did not exist.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
    /// <summary>Marks the provider's credentials as failing (with the provider's words) or, with a null time, as working again.</summary>
    Task SetCredentialsStatusAsync(string providerId, DateTimeOffset? failedAt, string? error, CancellationToken cancellationToken);
}

/// <summary>Messages and their timelines.</summary>
public interface IMessageStore
{
    /// <summary>Stores a new message with its first timeline entry, durably, in one transaction.</summary>
    Task InsertAsync(MessageRecord message, MessageEventRecord firstEvent, CancellationToken cancellationToken);
    /// <summary>One message.</summary>
    Task<MessageRecord?> GetAsync(string id, CancellationToken cancellationToken);
    /// <summary>A message's timeline, oldest first.</summary>
    Task<IReadOnlyList<MessageEventRecord>> GetEventsAsync(string id, CancellationToken cancellationToken);
    /// <summary>Messages, newest first, filtered and paged.</summary>
    Task<Page<MessageRecord>> ListAsync(MessageQuery query, CancellationToken cancellationToken);
    /// <summary>
    /// Records <paramref name="change"/> on the message's timeline and, when the state machine allows
    /// it, moves the message to the proposed state, atomically.
    /// </summary>
    Task<TransitionResult> TransitionAsync(string messageId, StateChange change, CancellationToken cancellationToken);
}

/// <summary>Raw delivery reports, stored before they are acknowledged.</summary>
public interface IDlrInbox
{
    /// <summary>Reports stored but not yet applied (after a crash), oldest first.</summary>
    Task<IReadOnlyList<DlrInboxItem>> PendingAsync(int limit, CancellationToken cancellationToken);
    /// <summary>The latest reports for a provider (or all), newest first.</summary>
    Task<IReadOnlyList<DlrInboxItem>> RecentAsync(string? providerId, int limit, CancellationToken cancellationToken);
    /// <summary>
    /// Reports with an id greater than <paramref name="afterId"/>, for a provider (or all), oldest first, at most
    /// <paramref name="limit"/>: a feed to follow (<c>herald dlr tail</c>).
    /// </summary>
    Task<IReadOnlyList<DlrInboxItem>> ListAfterAsync(string? providerId, long afterId, int limit, CancellationToken cancellationToken);
    /// <summary>Deletes up to <paramref name="limit"/> of the oldest reports received before <paramref name="before"/> (retention); returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
    /// <summary>
    /// Begins one transaction for applying many reports: store them, look their messages up, move the messages, park
    /// what cannot be matched yet and mark the reports processed, with a single commit (a group commit: many callbacks
    /// acknowledged by one disk flush). Nothing is written unless <see cref="IDlrBatch.CommitAsync"/> is called.
    /// </summary>
    Task<IDlrBatch> BeginBatchAsync(CancellationToken cancellationToken);
}

/// <summary>One transaction over the DLR inbox, the pending reports and the messages; see <see cref="IDlrInbox.BeginBatchAsync"/>.</summary>
public interface IDlrBatch : IAsyncDisposable
{
    /// <summary>Stores raw reports; returns their ids, in order.</summary>
    Task<IReadOnlyList<long>> StoreAsync(IReadOnlyList<DlrInboxItem> items, CancellationToken cancellationToken);
    /// <summary>The provider of each of these messages that exists (a message with no provider maps to null).</summary>
    Task<IReadOnlyDictionary<string, string?>> ProvidersOfAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken);
    /// <summary>The Herald id of each of a provider's message ids that Herald has recorded.</summary>
    Task<IReadOnlyDictionary<string, string>> FindByProviderMessageIdsAsync(string providerId, IReadOnlyCollection<string> providerMessageIds,
        CancellationToken cancellationToken);
    /// <summary>Applies changes in order, like <see cref="IMessageStore.TransitionAsync"/> each; one result per change.</summary>
    Task<IReadOnlyList<TransitionResult>> TransitionAsync(IReadOnlyList<(string MessageId, StateChange Change)> changes, CancellationToken cancellationToken);
    /// <summary>Parks reports until their provider message id is recorded.</summary>
    Task ParkAsync(IReadOnlyList<PendingReport> reports, CancellationToken cancellationToken);
    /// <summary>Removes parked reports (applied, or given up on).</summary>
    Task RemoveParkedAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken);
    /// <summary>Marks stored reports applied, each with the answer given.</summary>
    Task MarkProcessedAsync(IReadOnlyList<(long Id, string Result)> results, CancellationToken cancellationToken);
    /// <summary>Commits everything done in the batch.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}

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

/// <summary>API keys.</summary>
public interface IApiKeyStore
{
    /// <summary>Adds a key.</summary>
    Task InsertAsync(ApiKeyRecord key, CancellationToken cancellationToken);
    /// <summary>Finds a live (not revoked) key by its hash.</summary>
    Task<ApiKeyRecord?> FindActiveByHashAsync(string hash, CancellationToken cancellationToken);
    /// <summary>Every key, newest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken);
    /// <summary>Revokes a key; false if unknown or already revoked.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);
    /// <summary>Makes a revoked key live again; false if unknown or not revoked.</summary>
    Task<bool> RestoreAsync(string id, CancellationToken cancellationToken);
}

/// <summary>The database as a whole: schema and health.</summary>
public interface IDatabase
{
    /// <summary>sqlite or postgres.</summary>
    string Provider { get; }
    /// <summary>Where it is, without secrets, for people.</summary>
    string Description { get; }
    /// <summary>Creates or migrates the schema to the current version.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);
    /// <summary>Whether the database answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}

/// <summary>A provider's nickname is already used by another provider.</summary>
public sealed class DuplicateNicknameException(string nickname)
    : Exception($"A provider named '{nickname}' already exists; nicknames are unique (case-insensitive).")
{
    /// <summary>The nickname.</summary>
    public string Nickname { get; } = nickname;
}

/// <summary>People who sign in to the dashboard.</summary>
public interface IDashboardUserStore
{
    /// <summary>How many users exist.</summary>
    Task<int> CountAsync(CancellationToken cancellationToken);
    /// <summary>Finds a user by name (case-insensitive).</summary>
    Task<DashboardUserRecord?> FindByUsernameAsync(string username, CancellationToken cancellationToken);
    /// <summary>Finds a user by id.</summary>
    Task<DashboardUserRecord?> FindByIdAsync(string id, CancellationToken cancellationToken);
    /// <summary>Adds a user; false when the name is taken (case-insensitive).</summary>
    Task<bool> InsertAsync(DashboardUserRecord user, CancellationToken cancellationToken);
    /// <summary>Adds the first user: false, and nothing stored, when any user already exists (first-run setup).</summary>
    Task<bool> InsertFirstAsync(DashboardUserRecord user, CancellationToken cancellationToken);
    /// <summary>Replaces a user's password hash (a rehash or a password change); false if the user does not exist.</summary>
    Task<bool> UpdatePasswordHashAsync(string id, string passwordHash, CancellationToken cancellationToken);
    /// <summary>Records a sign-in.</summary>
    Task RecordSignInAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);
    /// <summary>Replaces the user's security stamp, which ends every session issued with the old one; false if the user does not exist.</summary>
    Task<bool> RotateSecurityStampAsync(string id, string stamp, CancellationToken cancellationToken);
}

/// <summary>Aggregates over messages and their timelines, for the dashboard's provider health.</summary>
public interface IMessageStats
{
    /// <summary>Messages created at or after <paramref name="since"/>, counted by provider and current state; one provider or all.</summary>
    Task<IReadOnlyList<ProviderStateCount>> CountByStateAsync(string? providerId, DateTimeOffset since, CancellationToken cancellationToken);
    /// <summary>A provider's messages created at or after <paramref name="since"/>, counted by the hour they were created in and their current state; oldest hour first.</summary>
    Task<IReadOnlyList<HourlyStateCount>> HourlyAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken);
    /// <summary>
    /// For a provider's messages created at or after <paramref name="since"/> that were accepted and then reached a final
    /// state: when each was first accepted and when its final state was applied; the newest <paramref name="limit"/> messages.
    /// </summary>
    Task<IReadOnlyList<DeliveryLatency>> DeliveryLatenciesAsync(string providerId, DateTimeOffset since, int limit, CancellationToken cancellationToken);
    /// <summary>The latest failures on a provider's message timelines (failed sends, failure reports), newest first.</summary>
    Task<IReadOnlyList<MessageFailure>> RecentFailuresAsync(string providerId, int limit, CancellationToken cancellationToken);
}

/// <summary>Provider groups: ordered providers a message fails over between.</summary>
public interface IProviderGroupStore
{
    /// <summary>Finds a group by id, or by name (case-insensitive).</summary>
    Task<ProviderGroupRecord?> FindGroupAsync(string idOrName, CancellationToken cancellationToken);
    /// <summary>Every group, by name.</summary>
    Task<IReadOnlyList<ProviderGroupRecord>> ListGroupsAsync(CancellationToken cancellationToken);
    /// <summary>Adds a group; throws <see cref="DuplicateGroupNameException"/> if the name is taken.</summary>
    Task InsertGroupAsync(ProviderGroupRecord group, CancellationToken cancellationToken);
    /// <summary>Replaces a group's name, providers and failover setting; false if it does not exist. Throws <see cref="DuplicateGroupNameException"/> if the name is taken.</summary>
    Task<bool> UpdateGroupAsync(ProviderGroupRecord group, CancellationToken cancellationToken);
    /// <summary>Removes a group; messages already sent to it keep their current provider. False if it did not exist.</summary>
    Task<bool> DeleteGroupAsync(string id, CancellationToken cancellationToken);
    /// <summary>The groups that list <paramref name="providerId"/>, by name.</summary>
    Task<IReadOnlyList<ProviderGroupRecord>> GroupsUsingProviderAsync(string providerId, CancellationToken cancellationToken);
}

/// <summary>A provider group's name is already used by another group.</summary>
public sealed class DuplicateGroupNameException(string name)
    : Exception($"A provider group named '{name}' already exists; group names are unique (case-insensitive).")
{
    /// <summary>The name.</summary>
    public string Name { get; } = name;
}
