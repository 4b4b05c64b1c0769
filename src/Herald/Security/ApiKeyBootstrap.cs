using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Security;

/// <summary>
/// Makes sure an admin key exists: HERALD_API_KEY when set; otherwise, on first start, a generated
/// key that is printed once and saved in the data folder (mode 0600).
/// </summary>
internal sealed partial class ApiKeyBootstrap(IApiKeyStore keys, ApiKeyIssuer issuer, IOptions<HeraldOptions> options, ILogger<ApiKeyBootstrap> logger)
{
    public const string FileName = "api-key";

    /// <summary>Why the configured key cannot be revoked (API and dashboard say the same).</summary>
    public const string ConfiguredKeyRefusal =
        "This key is the server's HERALD_API_KEY (Herald:ApiKey), which Herald restores at every start: remove it from the server's configuration and restart, then revoke it.";

    /// <summary>Whether <paramref name="key"/> is the server's HERALD_API_KEY.</summary>
    public bool IsConfigured(ApiKeyRecord key) =>
        options.Value.ApiKey is { Length: > 0 } configured && key.Hash == ApiKeyHash.Of(configured);

    /// <summary>Returns the key when one was generated now (to print it once), otherwise null.</summary>
    public async Task<string?> EnsureAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.ApiKey;
        if (!string.IsNullOrEmpty(configured))
        {
            var hash = ApiKeyHash.Of(configured);
            if (await keys.FindActiveByHashAsync(hash, cancellationToken) is not null)
            {
                return null;
            }
            // Revoked by an older dashboard or by hand: the key is still configured, so it is brought back (a second row would
            // break the unique hash and the start).
            if ((await keys.ListAsync(cancellationToken)).FirstOrDefault(k => k.Hash == hash) is { } revoked)
            {
                await keys.RestoreAsync(revoked.Id, cancellationToken);
                LogRestored(logger, revoked.Prefix);
                return null;
            }
            await issuer.CreateAsync("bootstrap (HERALD_API_KEY)", ApiScopes.Admin, cancellationToken, configured);
            return null;
        }
        if ((await keys.ListAsync(cancellationToken)).Count > 0)
        {
            return null;
        }
        var key = (await issuer.CreateAsync("admin (generated)", ApiScopes.Admin, cancellationToken)).Key;
        var path = Path.Combine(options.Value.DataDir, FileName);
        Directory.CreateDirectory(options.Value.DataDir);
        await File.WriteAllTextAsync(path, key + Environment.NewLine, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return key;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The configured HERALD_API_KEY ({Prefix}…) had been revoked; it is live again because it is still configured. To retire it, remove it from the configuration and restart, then revoke it.")]
    private static partial void LogRestored(ILogger logger, string prefix);
}
