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

    /// <summary>Whether the URL's host is this machine.</summary>
    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
