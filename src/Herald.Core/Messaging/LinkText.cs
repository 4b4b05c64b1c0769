using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Herald.Core.Messaging;

/// <summary>The links in a message's text, and the codes of Herald's short links (<c>{PublicBaseUrl}/l/{code}</c>).</summary>
public static partial class LinkText
{
    /// <summary>Letters and digits a code is made of: 62 symbols, so 7 characters hold about 41.7 bits.</summary>
    public const string CodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>The shortest and longest code Herald makes.</summary>
    public const int MinCodeLength = 6, MaxCodeLength = 8;

    /// <summary>The longest URL Herald shortens (longer ones are left as they are).</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>A new code from the operating system's CSPRNG: unguessable, not derived from anything.</summary>
    public static string NewCode(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, MinCodeLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxCodeLength);
        return RandomNumberGenerator.GetString(CodeAlphabet, length);
    }

    /// <summary>Whether <paramref name="code"/> could be one of Herald's codes (so the redirect never looks up anything else).</summary>
    public static bool IsCode(string? code)
    {
        if (code is null || code.Length is < MinCodeLength or > MaxCodeLength)
        {
            return false;
        }
        foreach (var c in code)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The http and https URLs in <paramref name="text"/>, in order, as (start, length). Punctuation that ends a sentence
    /// (<c>. , ; : ! ?</c>, quotes, and a closing bracket without its opening one) is not part of the URL.
    /// </summary>
    public static IReadOnlyList<(int Start, int Length)> FindUrls(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Contains("http", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        var found = new List<(int, int)>();
        foreach (Match match in Url().Matches(text))
        {
            var value = match.Value;
            var end = value.Length;
            while (end > 0 && (".,;:!?'\"".Contains(value[end - 1], StringComparison.Ordinal)
                || (value[end - 1] == ')' && value[..end].Count(c => c == '(') < value[..end].Count(c => c == ')'))))
            {
                end--;
            }
            // A bare scheme ("https://") is not a link.
            if (end > value.IndexOf("://", StringComparison.Ordinal) + 3 && end <= MaxUrlLength)
            {
                found.Add((match.Index, end));
            }
        }
        return found;
    }

    /// <summary>Whether <paramref name="url"/> is an absolute http(s) URL Herald may redirect to.</summary>
    public static bool IsRedirectable(string? url) =>
        url is { Length: > 0 and <= MaxUrlLength } && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && !string.IsNullOrEmpty(uri.Host);

    [GeneratedRegex(@"https?://[^\s<>""]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Url();
}
