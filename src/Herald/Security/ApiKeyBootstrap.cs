using Herald.Core;
using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Security;

/// <summary>
/// Makes sure an admin key exists: HERALD_API_KEY when set; otherwise, on first start, a generated
/// key that is printed once and saved in the data folder (mode 0600).
/// </summary>
internal sealed class ApiKeyBootstrap(IApiKeyStore keys, IOptions<HeraldOptions> options, TimeProvider time)
{
    public const string FileName = "api-key";

    /// <summary>Returns the key when one was generated now (to print it once), otherwise null.</summary>
    public async Task<string?> EnsureAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.ApiKey;
        if (!string.IsNullOrEmpty(configured))
        {
            var hash = ApiKeyHash.Of(configured);
            if (await keys.FindActiveByHashAsync(hash, cancellationToken) is null)
            {
                await keys.InsertAsync(Record("bootstrap (HERALD_API_KEY)", configured), cancellationToken);
            }
            return null;
        }
        if ((await keys.ListAsync(cancellationToken)).Count > 0)
        {
            return null;
        }
        var key = Ids.NewApiKey();
        await keys.InsertAsync(Record("admin (generated)", key), cancellationToken);
        var path = Path.Combine(options.Value.DataDir, FileName);
        Directory.CreateDirectory(options.Value.DataDir);
        await File.WriteAllTextAsync(path, key + Environment.NewLine, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return key;
    }

    private ApiKeyRecord Record(string name, string key) => new()
    {
        Id = Ids.NewId("key"),
        Name = name,
        Prefix = key[..Math.Min(8, key.Length)],
        Hash = ApiKeyHash.Of(key),
        CreatedAt = time.GetUtcNow(),
    };
}
