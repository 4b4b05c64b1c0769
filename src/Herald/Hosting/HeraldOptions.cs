using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Hosting;

/// <summary>Herald's bootstrap settings (section <c>Herald</c>; env <c>Herald__*</c>; flags of <c>herald serve</c>).</summary>
public sealed class HeraldOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald";

    /// <summary>Where Herald keeps its SQLite file, keys and generated API key. Default <c>./data</c> (env <c>HERALD_DATA_DIR</c>, flag <c>--data-dir</c>).</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>The base URL providers use to reach Herald (callback URLs). Default: the first listen URL.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The bootstrap admin API key (env <c>HERALD_API_KEY</c>). Default: generated on first start, printed once and saved in the data folder.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Which database.</summary>
    public DatabaseOptions Database { get; set; } = new();

    /// <summary>Outbound provider rules.</summary>
    public ProviderOptions Providers { get; set; } = new();

    /// <summary>The built-in sandbox (an in-process simulator and a ready provider).</summary>
    public SandboxOptions Sandbox { get; set; } = new();

    /// <summary>The largest request body accepted, in bytes. Default 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>Outbound provider rules (<c>Herald:Providers</c>).</summary>
public sealed class ProviderOptions
{
    /// <summary>Allow plain-http provider endpoints on loopback hosts (simulators, tests). Default false; <c>--sandbox</c> turns it on.</summary>
    public bool AllowInsecureLoopback { get; set; }
}

/// <summary>The sandbox (<c>Herald:Sandbox</c>; flag <c>--sandbox</c>).</summary>
public sealed class SandboxOptions
{
    /// <summary>Start an in-process simulator and register a "Sandbox" provider configured like the seed. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Where the in-process simulator listens. Default <c>http://127.0.0.1:0</c> (a free port).</summary>
    public string SimulatorUrls { get; set; } = "http://127.0.0.1:0";

    /// <summary>How long the simulator waits before its delivery report. Default 300 ms.</summary>
    public TimeSpan DlrDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Share of messages the simulator reports delivered. Default 0.95.</summary>
    public double DeliveryRate { get; set; } = 0.95;
}

internal sealed class HeraldOptionsValidator : IValidateOptions<HeraldOptions>
{
    public ValidateOptionsResult Validate(string? name, HeraldOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            failures.Add("Herald:DataDir is empty: give a folder (--data-dir or HERALD_DATA_DIR).");
        }
        if (options.PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"Herald:PublicBaseUrl '{url}' must be an absolute http(s) URL, e.g. https://herald.example.com.");
        }
        if (options.Database.Provider.Trim().ToLowerInvariant() is not ("sqlite" or "postgres" or "postgresql"))
        {
            failures.Add($"Herald:Database:Provider '{options.Database.Provider}' is not supported: use sqlite or postgres.");
        }
        if (options.Database.Provider.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(options.Database.ConnectionString))
        {
            failures.Add("Herald:Database:ConnectionString is required for postgres, e.g. Host=127.0.0.1;Database=herald;Username=herald;Password=...");
        }
        if (options.Database.SqliteSynchronous.ToUpperInvariant() is not ("FULL" or "NORMAL" or "EXTRA"))
        {
            failures.Add("Herald:Database:SqliteSynchronous must be FULL, NORMAL or EXTRA.");
        }
        if (options.ApiKey is { Length: > 0 and < 16 })
        {
            failures.Add("HERALD_API_KEY must be at least 16 characters.");
        }
        if (options.MaxRequestBodyBytes < 1024)
        {
            failures.Add("Herald:MaxRequestBodyBytes must be at least 1024.");
        }
        if (options.Sandbox.DeliveryRate is < 0 or > 1)
        {
            failures.Add("Herald:Sandbox:DeliveryRate must be between 0 and 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
