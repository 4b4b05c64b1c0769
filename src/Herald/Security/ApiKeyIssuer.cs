using Herald.Core;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Security;

/// <summary>A key just made: the stored record and the key itself (shown once).</summary>
public sealed record IssuedKey(ApiKeyRecord Record, string Key);

/// <summary>Makes API keys: the one place the API, the dashboard and the bootstrap create a key.</summary>
internal sealed class ApiKeyIssuer(IApiKeyStore keys, TimeProvider time)
{
    public const int MaxNameLength = 64;

    /// <summary>What is wrong with a name and scope, by field, or null when they are fine.</summary>
    public static (string Field, string Message)? Check(string? name, string? scope)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return ("name", "name is required: say who or what uses the key, e.g. \"ci\".");
        }
        if (name.Length > MaxNameLength)
        {
            return ("name", $"name is at most {MaxNameLength} characters.");
        }
        if (scope is not null && ApiScopes.Parse(scope) is null)
        {
            return ("scope", $"'{scope}' is not a scope: use admin (everything), send (submit messages, read its own) or read (read everything, change nothing).");
        }
        return null;
    }

    /// <summary>Creates and stores a key; <paramref name="key"/> is the key to store (HERALD_API_KEY) or null for a new random one.</summary>
    public async Task<IssuedKey> CreateAsync(string name, string? scope, CancellationToken cancellationToken, string? key = null)
    {
        key ??= Ids.NewApiKey();
        var record = new ApiKeyRecord
        {
            Id = Ids.NewId("key"),
            Name = name.Trim(),
            Prefix = key[..Math.Min(8, key.Length)],
            Hash = ApiKeyHash.Of(key),
            Scope = ApiScopes.Parse(scope) ?? ApiScopes.Admin,
            CreatedAt = time.GetUtcNow(),
        };
        await keys.InsertAsync(record, cancellationToken);
        return new IssuedKey(record, key);
    }
}
