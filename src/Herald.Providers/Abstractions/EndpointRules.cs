using System.Net;

namespace Herald.Providers.Abstractions;

/// <summary>Which outbound URLs Herald will call: https, or plain http to loopback when allowed.</summary>
public static class EndpointRules
{
    /// <summary>Null when <paramref name="url"/> may be called; otherwise what to fix.</summary>
    public static string? Check(string url, bool allowInsecureLoopback)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            return $"'{url}' is not an absolute URL; write it like https://api.example.com/v1/sms.";
        }
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return null;
        }
        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            if (IsLoopback(uri))
            {
                return allowInsecureLoopback
                    ? null
                    : "Plain http is allowed only to a loopback host and only when Herald__Providers__AllowInsecureLoopback=true (or herald serve --sandbox); use https.";
            }
            return "The endpoint must use https:// (plain http is allowed only to a loopback host).";
        }
        return $"The endpoint must use https://, not {uri.Scheme}://.";
    }

    /// <summary>
    /// Null when <paramref name="url"/> may be called under <paramref name="context"/>; otherwise what to fix. Besides
    /// <see cref="Check(string, bool)"/>, a host written as an address (in any spelling the URL parser accepts:
    /// <c>127.1</c>, <c>0177.0.0.1</c>, <c>2130706433</c>, <c>[::ffff:127.0.0.1]</c>, <c>user@10.0.0.1</c>) must be a public
    /// one or allow-listed. Names are checked when connecting (<see cref="Http.OutboundGuard"/>), where DNS answers are known.
    /// </summary>
    public static string? Check(string url, ProviderValidationContext context)
    {
        if (Check(url, context.AllowInsecureLoopback) is { } problem)
        {
            return problem;
        }
        var uri = new Uri(url);
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)
            && Http.OutboundAddresses.Refusal(address, context.AllowInsecureLoopback, context.AllowedNetworks) is { } reason)
        {
            return $"'{uri.Host}' is {reason} address: Herald connects only to public addresses, so a provider setting cannot reach "
                + "inside the network. If this host is yours and meant to be reached, add its network to Herald:Outbound:AllowedHosts.";
        }
        return null;
    }

    /// <summary>Whether the URL's host is this machine.</summary>
    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
