using Herald.Storage.Records;

namespace Herald.Storage;

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
