using System.Text;
using Herald.Core.Placeholders;

namespace Herald.Providers.GenericHttp;

/// <summary>
/// The literal values of an endpoint's query string (<c>?api_key=…&amp;user=…</c>) are secrets: credentials are often
/// put there, and a URL has no key names to judge by. Values with placeholders are left alone (they come from the message).
/// </summary>
internal static class EndpointQuerySecrets
{
    /// <summary>
    /// Calls <paramref name="replace"/> with the key and value (as written) of every literal query value of
    /// <paramref name="endpoint"/>; a non-null answer replaces the value. The rest of the endpoint is kept as written.
    /// </summary>
    public static string Rewrite(string endpoint, Func<string, string, string?> replace)
    {
        var question = endpoint.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return endpoint;
        }
        var fragment = endpoint.IndexOf('#', question);
        var queryEnd = fragment < 0 ? endpoint.Length : fragment;
        var output = new StringBuilder(endpoint.Length + 32).Append(endpoint, 0, question + 1);
        var pairs = endpoint[(question + 1)..queryEnd].Split('&');
        for (var i = 0; i < pairs.Length; i++)
        {
            if (i > 0)
            {
                output.Append('&');
            }
            var pair = pairs[i];
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                output.Append(pair);
                continue;
            }
            var key = pair[..equals];
            var value = pair[(equals + 1)..];
            var replacement = value.Length > 0 && PlaceholderTemplate.Parse(value).Tokens.Count == 0 ? replace(key, value) : null;
            output.Append(key).Append('=').Append(replacement ?? value);
        }
        return output.Append(endpoint, queryEnd, endpoint.Length - queryEnd).ToString();
    }
}
