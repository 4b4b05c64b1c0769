using Microsoft.AspNetCore.Http;
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

    /// <summary>
    /// The largest body <c>POST /api/v1/messages/batch</c> accepts, in bytes: a full batch of 10,000 messages is about
    /// 1.5 MB. Default 16 MiB. Every other endpoint keeps <see cref="MaxRequestBodyBytes"/>.
    /// </summary>
    public long MaxBatchBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long a stopping server (SIGTERM, Ctrl+C) waits for sends in flight to finish and for unsent claimed messages
    /// to go back to the queue before it exits anyway. Sends still running 5 s (at most a fifth of it) before the end
    /// are cut and their messages released. Default 30 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connectors other platforms call (<c>Herald:Connector</c>).</summary>
    public ConnectorOptions Connector { get; set; } = new();

    /// <summary>
    /// The calling code (e.g. <c>+91</c>) of numbers written without <c>+</c>, <c>00</c> or a <c>countryCode</c>
    /// (env <c>Herald__DefaultCountry</c>). Default none: such a number is refused with the E.164 form to use, rather
    /// than its first digits being read as a country code.
    /// </summary>
    public string? DefaultCountry { get; set; }

    /// <summary>
    /// The most segments one message may take (env <c>Herald__MaxSegments</c>, 1 to 255); a provider's
    /// <c>limits.maxSegments</c> overrides it. Default 10 (1,530 GSM-7 characters or 670 UCS-2 units).
    /// </summary>
    public int MaxSegments { get; set; } = Herald.Core.Encoding.SegmentLimit.Default;

    /// <summary>
    /// Reverse proxies whose <c>X-Forwarded-For</c>/<c>-Proto</c>/<c>-Host</c> Herald believes, as addresses or CIDRs
    /// (<c>Herald__TrustedProxies__0=127.0.0.1</c>). Behind a TLS proxy this makes cookies <c>Secure</c> and rate limits
    /// and sign-in throttling see the client's address. Default none (forwarded headers are ignored).
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>The Prometheus endpoint <c>/metrics</c> (<c>Herald:Metrics</c>).</summary>
    public MetricsOptions Metrics { get; set; } = new();
}

/// <summary>The Prometheus endpoint (<c>Herald:Metrics</c>).</summary>
public sealed class MetricsOptions
{
    /// <summary>
    /// A key scrapers must send as <c>Authorization: Bearer &lt;key&gt;</c> (at least 16 characters). Default none:
    /// <c>/metrics</c> is anonymous, as it is on a loopback listener.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// A separate listener for <c>/metrics</c>, e.g. <c>http://127.0.0.1:9464</c> (';'-separated, each with its own port).
    /// When set, <c>/metrics</c> is served there only (404 on the main port) and nothing else is served there. Default none:
    /// <c>/metrics</c> is on the main listener.
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>The ports of <see cref="Urls"/> (empty when it is not set).</summary>
    internal IReadOnlySet<int> Ports
    {
        get
        {
            var ports = new HashSet<int>();
            foreach (var url in (Urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    ports.Add(BindingAddress.Parse(url).Port);
                }
                catch (FormatException)
                {
                    // Refused by the options validator at start.
                }
            }
            return ports;
        }
    }
}

/// <summary>Connectors (<c>Herald:Connector</c>).</summary>
public sealed class ConnectorOptions
{
    /// <summary>The CleverTap ↔ Kaleyra connector at <c>POST /connect/kaleyra</c>.</summary>
    public KaleyraConnectorOptions Kaleyra { get; set; } = new();
}

/// <summary>
/// The CleverTap ↔ Kaleyra connector (<c>Herald:Connector:Kaleyra</c>; env <c>Herald__Connector__Kaleyra__*</c>).
/// Lists take one entry per index (<c>Herald__Connector__Kaleyra__AdditionalHosts__0=127.0.0.1:9090</c>) or
/// several entries separated by commas.
/// </summary>
public sealed class KaleyraConnectorOptions
{
    /// <summary>The Kaleyra API hosts the connector always talks to (protocols.md §3), on https's port 443.</summary>
    public static IReadOnlyList<string> KaleyraHosts { get; } =
        ["api.in.kaleyra.io", "api.kaleyra.io", "api.ap.kaleyra.io", "api.eu.kaleyra.io", "api.na.kaleyra.ai"];

    /// <summary>The callback hosts the connector always relays to: CleverTap's domains and their subdomains.</summary>
    public static IReadOnlyList<string> CleverTapCallbackHosts { get; } = ["*.clevertap.com", "*.clevertap-prod.com"];

    /// <summary>Whether <c>/connect/kaleyra</c> answers at all. Default true (it only talks to allow-listed hosts).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Basic auth user name CleverTap must send (its "Basic Authentication" option). Default none. Set together with
    /// <see cref="Password"/>; a request without them gets 401. Without credentials (and without
    /// <see cref="AllowAnonymous"/>) the connector answers 503 saying which settings to add.
    /// </summary>
    public string? Username { get; set; }

    /// <summary>Basic auth password (see <see cref="Username"/>). Default none.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Accept <c>POST /connect/kaleyra</c> without credentials (CleverTap's "No Authentication"): anyone who can reach
    /// Herald can then send SMS through the Kaleyra account named in the request. Default false; cannot be combined
    /// with <see cref="Username"/>/<see cref="Password"/>.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// Hosts allowed in the <c>kaleyra-host</c> header besides Kaleyra's own, as <c>host</c> (any port) or <c>host:port</c>,
    /// e.g. the simulator's <c>127.0.0.1:9090</c>. Default none.
    /// </summary>
    public List<string> AdditionalHosts { get; set; } = [];

    /// <summary>
    /// Hosts allowed in the <c>callback_url</c> header besides <c>*.clevertap.com</c> and <c>*.clevertap-prod.com</c>, as
    /// <c>host</c> (any port), <c>host:port</c> or <c>*.domain</c> (the domain and its subdomains). Default none.
    /// </summary>
    public List<string> AdditionalCallbackHosts { get; set; } = [];

    /// <summary>Kaleyra's send path: <c>sms</c> (<c>/v1/{sid}/sms</c>, default) or <c>messages</c> (<c>/v1/{sid}/messages</c>).</summary>
    public string Endpoint { get; set; } = "sms";

    /// <summary>How long to wait for Kaleyra's answer before telling CleverTap 504. Default 30 s.</summary>
    public TimeSpan KaleyraTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first delay before retrying a relay the callback URL refused with 5xx/429 or could not take; doubles per attempt, with jitter. Default 10 min (as CleverTap asks).</summary>
    public TimeSpan RelayRetryBaseDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest delay between two relay attempts. Default 24 h.</summary>
    public TimeSpan RelayRetryMaxDelay { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Attempts per relay before it is given up (dead, shown on the message's timeline). Default 12.</summary>
    public int RelayMaxAttempts { get; set; } = 12;

    /// <summary>The most events in one POST to a callback URL. Default 100.</summary>
    public int RelayBatchSize { get; set; } = 100;

    /// <summary>How often the relay worker looks for due relays (it is also woken when a callback adds one). Default 1 s.</summary>
    public TimeSpan RelayPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for a callback URL's answer before counting the attempt as failed. Default 30 s.</summary>
    public TimeSpan RelayTimeout { get; set; } = TimeSpan.FromSeconds(30);
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
        if (options.MaxBatchBodyBytes < options.MaxRequestBodyBytes)
        {
            failures.Add($"Herald:MaxBatchBodyBytes ({options.MaxBatchBodyBytes}) must be at least Herald:MaxRequestBodyBytes ({options.MaxRequestBodyBytes}).");
        }
        if (options.ShutdownTimeout < TimeSpan.FromSeconds(1) || options.ShutdownTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"Herald:ShutdownTimeout ({options.ShutdownTimeout}) must be between 00:00:01 and 01:00:00.");
        }
        if (options.Sandbox.DeliveryRate is < 0 or > 1)
        {
            failures.Add("Herald:Sandbox:DeliveryRate must be between 0 and 1.");
        }
        if (!string.IsNullOrWhiteSpace(options.DefaultCountry) && !Herald.Core.Phones.PhoneNumber.IsCountryCode(options.DefaultCountry))
        {
            failures.Add($"Herald:DefaultCountry '{options.DefaultCountry}' is not a calling code such as +91 or +1.");
        }
        if (options.MaxSegments is < 1 or > Herald.Core.Encoding.SegmentLimit.Maximum)
        {
            failures.Add($"Herald:MaxSegments ({options.MaxSegments}) must be between 1 and {Herald.Core.Encoding.SegmentLimit.Maximum}.");
        }
        if (!string.IsNullOrWhiteSpace(options.Metrics.Urls))
        {
            foreach (var metricsUrl in options.Metrics.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int port;
                try
                {
                    port = BindingAddress.Parse(metricsUrl).Port;
                }
                catch (FormatException)
                {
                    failures.Add($"Herald:Metrics:Urls has '{metricsUrl}', which is not a listen URL: write e.g. http://127.0.0.1:9464.");
                    continue;
                }
                if (port == 0)
                {
                    failures.Add($"Herald:Metrics:Urls needs an explicit port in '{metricsUrl}' (e.g. http://127.0.0.1:9464): the metrics listener is told apart from the main one by its port.");
                }
            }
        }
        if (options.Metrics.Key is { Length: > 0 and < 16 })
        {
            failures.Add("Herald:Metrics:Key must be at least 16 characters.");
        }
        foreach (var proxy in options.TrustedProxies.Where(p => !Providers.Http.OutboundAddresses.TryParseNetwork(p, out _)))
        {
            failures.Add($"Herald:TrustedProxies entry '{proxy}' is not an address or CIDR, e.g. 127.0.0.1 or 10.0.0.0/8.");
        }
        Api.Connect.ConnectorSettings.Validate(options.Connector.Kaleyra, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
