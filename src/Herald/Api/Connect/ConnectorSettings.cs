using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Herald.Hosting;
using Herald.Providers.Abstractions;
using Microsoft.Extensions.Options;

namespace Herald.Api.Connect;

/// <summary>Why a host or URL given to the connector is refused.</summary>
/// <param name="Forbidden">True for a well-formed value that policy refuses (403); false for a malformed one (400).</param>
/// <param name="Message">What is wrong and which setting to change.</param>
internal sealed record HostRefusal(bool Forbidden, string Message);

/// <summary>
/// The connector's allow-lists and Basic auth, from <see cref="KaleyraConnectorOptions"/>. The connector only ever
/// calls a Kaleyra host (or one the operator added) and only relays to a CleverTap host (or one the operator
/// added), over https (plain http only to loopback when <c>Herald:Providers:AllowInsecureLoopback</c> is true),
/// so it cannot be used as an open relay or to reach other hosts (SSRF). Redirects are never followed.
/// </summary>
internal sealed class ConnectorSettings
{
    public const string HostsSetting = "Herald:Connector:Kaleyra:AdditionalHosts";
    public const string CallbackHostsSetting = "Herald:Connector:Kaleyra:AdditionalCallbackHosts";
    public const string LoopbackSetting = "Herald:Providers:AllowInsecureLoopback";

    private readonly IReadOnlyList<HostEntry> _hosts;
    private readonly IReadOnlyList<HostEntry> _callbackHosts;
    private readonly byte[]? _credentialsHash;

    public ConnectorSettings(IOptions<HeraldOptions> options)
    {
        Options = options.Value.Connector.Kaleyra;
        AllowInsecureLoopback = options.Value.Providers.AllowInsecureLoopback;
        // Invalid entries never get here: the options are validated at start (Validate below).
        _hosts = [.. KaleyraConnectorOptions.KaleyraHosts.Select(h => new HostEntry(h, 443, false)),
            .. Entries(Options.AdditionalHosts).Select(e => ParseEntry(e, allowWildcard: false)).OfType<HostEntry>()];
        _callbackHosts = [.. KaleyraConnectorOptions.CleverTapCallbackHosts.Select(h => ParseEntry(h, allowWildcard: true)).OfType<HostEntry>(),
            .. Entries(Options.AdditionalCallbackHosts).Select(e => ParseEntry(e, allowWildcard: true)).OfType<HostEntry>()];
        if (!string.IsNullOrEmpty(Options.Username) && !string.IsNullOrEmpty(Options.Password))
        {
            _credentialsHash = Hash(Options.Username + ":" + Options.Password);
        }
    }

    public KaleyraConnectorOptions Options { get; }
    public bool AllowInsecureLoopback { get; }
    public bool RequiresBasicAuth => _credentialsHash is not null;

    /// <summary>
    /// Enabled but neither credentials nor <c>AllowAnonymous</c> set: the connector refuses every request (503) rather
    /// than send SMS for anyone who finds it. Herald still starts, so the rest of the server is unaffected.
    /// </summary>
    public bool LacksCredentials => _credentialsHash is null && !Options.AllowAnonymous;
    public string EndpointPath => Options.Endpoint.Trim().Equals("messages", StringComparison.OrdinalIgnoreCase) ? "messages" : "sms";

    /// <summary>Whether an <c>Authorization</c> header carries the configured Basic credentials (constant time).</summary>
    public bool BasicAuthMatches(string? authorization)
    {
        if (_credentialsHash is null)
        {
            return true;
        }
        var given = "";
        if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                given = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            }
            catch (FormatException)
            {
                given = "";
            }
        }
        return CryptographicOperations.FixedTimeEquals(_credentialsHash, Hash(given));
    }

    /// <summary>
    /// Checks a <c>kaleyra-host</c> header (<c>api.in.kaleyra.io</c>, <c>host:port</c>, or with <c>https://</c>) and
    /// returns the base URL to call, or why not.
    /// </summary>
    public Uri? CheckKaleyraHost(string value, out HostRefusal? refusal)
    {
        refusal = null;
        var text = value.Trim();
        var explicitScheme = text.Contains("://", StringComparison.Ordinal);
        if (!TryParseAuthority(explicitScheme ? text : "https://" + text, out var uri) || uri!.AbsolutePath != "/")
        {
            refusal = new(false, $"kaleyra-host '{value}' is not a host name: give the API domain from Kaleyra, e.g. api.in.kaleyra.io (optionally host:port).");
            return null;
        }
        var host = uri.IdnHost.ToLowerInvariant();
        var loopback = EndpointRules.IsLoopback(uri);
        var scheme = explicitScheme ? uri.Scheme : loopback && AllowInsecureLoopback ? Uri.UriSchemeHttp : Uri.UriSchemeHttps;
        var port = uri.IsDefaultPort && !explicitScheme ? DefaultPort(scheme) : uri.Port;
        if (!_hosts.Any(h => h.Matches(host, port)))
        {
            refusal = new(true, $"kaleyra-host '{value}' is not a Kaleyra API host ({string.Join(", ", KaleyraConnectorOptions.KaleyraHosts)}). "
                + $"If Herald should send to it, add it to {HostsSetting} (e.g. Herald__Connector__Kaleyra__AdditionalHosts__0={HostPort(host, uri.IsDefaultPort ? null : uri.Port)}).");
            return null;
        }
        if (scheme == Uri.UriSchemeHttp && !(loopback && AllowInsecureLoopback))
        {
            refusal = new(true, loopback
                ? $"Plain http to kaleyra-host '{value}' is allowed only when {LoopbackSetting} is true; use https."
                : $"kaleyra-host '{value}' must be reached over https: plain http is allowed only to a loopback host with {LoopbackSetting}=true.");
            return null;
        }
        return new UriBuilder(scheme, uri.Host, port).Uri;
    }

    /// <summary>Checks a <c>callback_url</c> header (CleverTap's delivery-report URL); returns it or why not.</summary>
    public Uri? CheckCallbackUrl(string value, out HostRefusal? refusal)
    {
        refusal = null;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Host.Length == 0 || uri.UserInfo.Length > 0 || value.Contains('\\', StringComparison.Ordinal))
        {
            refusal = new(false, $"callback_url '{value}' is not an absolute https URL: copy the Callback URL CleverTap shows for the provider.");
            return null;
        }
        var host = uri.IdnHost.ToLowerInvariant();
        if (!_callbackHosts.Any(h => h.Matches(host, uri.Port)))
        {
            refusal = new(true, $"callback_url's host '{HostPort(host, uri.IsDefaultPort ? null : uri.Port)}' is not a CleverTap host "
                + $"({string.Join(", ", KaleyraConnectorOptions.CleverTapCallbackHosts)}). If Herald should relay delivery reports to it, "
                + $"add it to {CallbackHostsSetting} (e.g. Herald__Connector__Kaleyra__AdditionalCallbackHosts__0={HostPort(host, uri.IsDefaultPort ? null : uri.Port)}).");
            return null;
        }
        if (EndpointRules.Check(uri.AbsoluteUri, AllowInsecureLoopback) is { } problem)
        {
            refusal = new(true, $"callback_url '{value}': {problem.Replace("Herald__Providers__AllowInsecureLoopback", LoopbackSetting, StringComparison.Ordinal)}");
            return null;
        }
        return uri;
    }

    /// <summary>Adds what is wrong with <paramref name="options"/> to <paramref name="failures"/>.</summary>
    public static void Validate(KaleyraConnectorOptions options, List<string> failures)
    {
        const string prefix = "Herald:Connector:Kaleyra:";
        if (string.IsNullOrEmpty(options.Username) != string.IsNullOrEmpty(options.Password))
        {
            failures.Add($"{prefix}Username and {prefix}Password go together: set both (Basic auth on /connect/kaleyra) or neither.");
        }
        if (options.AllowAnonymous && (!string.IsNullOrEmpty(options.Username) || !string.IsNullOrEmpty(options.Password)))
        {
            failures.Add($"{prefix}AllowAnonymous=true contradicts {prefix}Username/Password: keep the credentials (recommended) or allow anonymous requests, not both.");
        }
        foreach (var entry in Entries(options.AdditionalHosts))
        {
            if (ParseEntry(entry, allowWildcard: false) is null)
            {
                failures.Add($"{HostsSetting} entry '{entry}' is not host or host:port (e.g. 127.0.0.1:9090).");
            }
        }
        foreach (var entry in Entries(options.AdditionalCallbackHosts))
        {
            if (ParseEntry(entry, allowWildcard: true) is null)
            {
                failures.Add($"{CallbackHostsSetting} entry '{entry}' is not host, host:port or *.domain (e.g. hooks.example.com).");
            }
        }
        if (options.Endpoint.Trim().ToLowerInvariant() is not ("sms" or "messages"))
        {
            failures.Add($"{prefix}Endpoint '{options.Endpoint}' must be sms (/v1/{{sid}}/sms) or messages (/v1/{{sid}}/messages).");
        }
        void Between(string name, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
            {
                failures.Add($"{prefix}{name} must be between {min} and {max} (was {value}).");
            }
        }
        Between(nameof(options.KaleyraTimeout), options.KaleyraTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Between(nameof(options.RelayRetryBaseDelay), options.RelayRetryBaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        Between(nameof(options.RelayRetryMaxDelay), options.RelayRetryMaxDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(7));
        Between(nameof(options.RelayPollInterval), options.RelayPollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Between(nameof(options.RelayTimeout), options.RelayTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        if (options.RelayRetryMaxDelay < options.RelayRetryBaseDelay)
        {
            failures.Add($"{prefix}RelayRetryMaxDelay ({options.RelayRetryMaxDelay}) must not be shorter than RelayRetryBaseDelay ({options.RelayRetryBaseDelay}).");
        }
        if (options.RelayMaxAttempts is < 1 or > 100)
        {
            failures.Add($"{prefix}RelayMaxAttempts must be between 1 and 100 (was {options.RelayMaxAttempts}).");
        }
        if (options.RelayBatchSize is < 1 or > 1000)
        {
            failures.Add($"{prefix}RelayBatchSize must be between 1 and 1000 (was {options.RelayBatchSize}): CleverTap takes 100 to 1,000 records per callback.");
        }
    }

    private static IEnumerable<string> Entries(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary><c>host</c>, <c>host:port</c> or (when allowed) <c>*.domain</c>; null when malformed.</summary>
    private static HostEntry? ParseEntry(string entry, bool allowWildcard)
    {
        var text = entry.Trim();
        var wildcard = text.StartsWith("*.", StringComparison.Ordinal);
        if (wildcard && !allowWildcard)
        {
            return null;
        }
        if (!TryParseAuthority("https://" + (wildcard ? text[2..] : text), out var uri) || uri!.AbsolutePath != "/")
        {
            return null;
        }
        var explicitPort = !text.EndsWith(']') && text.LastIndexOf(':') > text.LastIndexOf(']');
        return new HostEntry(uri.IdnHost.ToLowerInvariant(), explicitPort ? uri.Port : null, wildcard);
    }

    private static bool TryParseAuthority(string text, out Uri? uri)
    {
        uri = null;
        if (text.Any(c => char.IsWhiteSpace(c) || c is '@' or '\\' or '?' or '#')
            || !Uri.TryCreate(text, UriKind.Absolute, out var parsed)
            || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp) || parsed.Host.Length == 0)
        {
            return false;
        }
        uri = parsed;
        return true;
    }

    private static int DefaultPort(string scheme) => scheme == Uri.UriSchemeHttp ? 80 : 443;

    private static string HostPort(string host, int? port) =>
        port is null ? host : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));

    /// <summary>An allowed host: exact, or a domain with its subdomains; any port when <see cref="Port"/> is null.</summary>
    private sealed record HostEntry(string Host, int? Port, bool Wildcard)
    {
        public bool Matches(string host, int port) =>
            (Port is null || Port == port)
            && (host == Host || (Wildcard && host.EndsWith("." + Host, StringComparison.Ordinal)));
    }
}
