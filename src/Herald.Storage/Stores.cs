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
    /// <summary>The Herald id of the message a provider knows as <paramref name="providerMessageId"/>.</summary>
    Task<string?> FindByProviderMessageIdAsync(string providerId, string providerMessageId, CancellationToken cancellationToken);
}

/// <summary>Raw delivery reports, stored before they are acknowledged.</summary>
public interface IDlrInbox
{
    /// <summary>Stores a report durably and returns its id.</summary>
    Task<long> StoreAsync(DlrInboxItem item, CancellationToken cancellationToken);
    /// <summary>Marks a report applied, with the answer given.</summary>
    Task MarkProcessedAsync(long id, string result, CancellationToken cancellationToken);
    /// <summary>Reports stored but not yet applied (after a crash), oldest first.</summary>
    Task<IReadOnlyList<DlrInboxItem>> PendingAsync(int limit, CancellationToken cancellationToken);
    /// <summary>The latest reports for a provider (or all), newest first.</summary>
    Task<IReadOnlyList<DlrInboxItem>> RecentAsync(string? providerId, int limit, CancellationToken cancellationToken);
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
