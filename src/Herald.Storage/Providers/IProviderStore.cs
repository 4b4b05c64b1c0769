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

/// <summary>A provider's nickname is already used by another provider.</summary>
public sealed class DuplicateNicknameException(string nickname)
    : Exception($"A provider named '{nickname}' already exists; nicknames are unique (case-insensitive).")
{
    /// <summary>The nickname.</summary>
    public string Nickname { get; } = nickname;
}
