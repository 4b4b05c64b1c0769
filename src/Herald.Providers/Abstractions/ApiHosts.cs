namespace Herald.Providers.Abstractions;

/// <summary>
/// The host setting of a native kind (Kaleyra, Twilio): one of the provider's own API hosts, or, only when the settings
/// allow a custom host, a look-alike such as <c>herald simulate</c> (over https, or plain http to loopback when allowed).
/// </summary>
/// <param name="Provider">The provider's name for messages, e.g. "Kaleyra".</param>
/// <param name="KnownHosts">The provider's API hosts, lower case.</param>
/// <param name="HostList">The hosts as a sentence, e.g. "api.twilio.com".</param>
/// <param name="Example">A host to show in examples.</param>
internal sealed record ApiHosts(string Provider, IReadOnlyList<string> KnownHosts, string HostList, string Example)
{
    /// <summary>
    /// Reads a host setting into its stored form: a known host name, or (custom hosts only) <c>host[:port]</c> for https or
    /// <c>http://host:port</c> for plain http to loopback. Null when it is usable; otherwise what to fix.
    /// </summary>
    public string? Normalize(string raw, bool allowCustomHost, ProviderValidationContext context, out string? host)
    {
        host = null;
        var text = raw.Trim().TrimEnd('/');
        if (text.Length == 0)
        {
            return $"host is required: the {Provider} API host of the account, one of {HostList}.";
        }
        var hasScheme = text.Contains("://", StringComparison.Ordinal);
        if (!Uri.TryCreate(hasScheme ? text : "https://" + text, UriKind.Absolute, out var uri) || uri.Host.Length == 0
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return $"host '{raw}' is not a host name: write only the host, e.g. {Example} (no path, query or credentials).";
        }
        if (KnownHosts.Contains(uri.IdnHost.ToLowerInvariant()))
        {
            if (uri.Scheme != Uri.UriSchemeHttps || !uri.IsDefaultPort)
            {
                return $"host '{raw}': {Provider}'s API is called over https on the default port; write only the host name, e.g. {uri.IdnHost.ToLowerInvariant()}.";
            }
            host = uri.IdnHost.ToLowerInvariant();
            return null;
        }
        if (!allowCustomHost)
        {
            return $"host '{raw}' is not a {Provider} API host: use {(KnownHosts.Count == 1 ? "" : "one of ")}{HostList}. "
                + $"Another host (a {Provider} look-alike such as herald simulate) needs allowCustomHost set to true.";
        }
        if (EndpointRules.Check(uri.GetLeftPart(UriPartial.Authority), context) is { } problem)
        {
            return $"host '{raw}': {problem}";
        }
        host = uri.Scheme == Uri.UriSchemeHttps ? uri.Authority.ToLowerInvariant() : "http://" + uri.Authority.ToLowerInvariant();
        return null;
    }

    /// <summary>The base URL (scheme and authority, no trailing slash) of a normalised host setting.</summary>
    public static string BaseUrl(string host) => host.Contains("://", StringComparison.Ordinal) ? host.TrimEnd('/') : "https://" + host.TrimEnd('/');
}
