using System.Security.Cryptography;
using System.Text;

namespace Herald.Providers.Twilio;

/// <summary>
/// Twilio's request signature, <c>X-Twilio-Signature</c>: base64 of HMAC-SHA1, keyed by the account's auth token, over the
/// full URL Twilio called followed by each POST parameter's name and value, sorted by name (ordinal, as Twilio sorts).
/// Used by Herald to check status callbacks and by the simulator's Twilio face to sign them.
/// </summary>
public static class TwilioSignature
{
    /// <summary>The header that carries the signature.</summary>
    public const string Header = "X-Twilio-Signature";

    /// <summary>The signature of a request to <paramref name="url"/> with <paramref name="parameters"/> (the POST form; none for GET).</summary>
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder(url);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            text.Append(name).Append(value);
        }
        // SHA-1 is Twilio's choice, not ours: the signature is defined with it.
#pragma warning disable CA5350
        var hash = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(text.ToString()));
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    /// <summary>
    /// Whether <paramref name="signature"/> signs the request (compared in constant time). Like Twilio's own validators, the
    /// URL is also tried with its port written out and left out, since either may be what Twilio signed.
    /// </summary>
    public static bool Matches(string authToken, Uri url, IReadOnlyList<KeyValuePair<string, string>> parameters, string? signature)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(authToken))
        {
            return false;
        }
        var given = Encoding.UTF8.GetBytes(signature.Trim());
        foreach (var candidate in Variants(url))
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Compute(authToken, candidate, parameters)), given))
            {
                return true;
            }
        }
        return false;
    }

    private static IEnumerable<string> Variants(Uri url)
    {
        var original = url.OriginalString;
        yield return original;
        var port = url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var variant in new[] { $"{url.Scheme}://{url.Host}:{port}{url.PathAndQuery}", $"{url.Scheme}://{url.Host}{url.PathAndQuery}" })
        {
            if (variant != original)
            {
                yield return variant;
            }
        }
    }
}
