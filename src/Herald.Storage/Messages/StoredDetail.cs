using System.Text.RegularExpressions;

namespace Herald.Storage.Messages;

/// <summary>
/// A timeline entry's detail as stored, as short as it can be read back byte for byte (issue 11 §8): the summary an accepted
/// send keeps when its bodies are not sampled, <c>{"request":{"method":M,"url":U},"response":{"status":S},"elapsedMs":E,"bodiesKept":false}</c>,
/// is kept as its four values after a unit separator (<c>\u001F</c>), which no JSON and no raw report starts with, and spelt out
/// again when read. Any other detail is stored as given.
/// </summary>
internal static partial class StoredDetail
{
    private const char Mark = '\u001F';
    private const string Summary = "a";

    /// <summary>The text to store for <paramref name="detail"/>.</summary>
    public static string? Compact(string? detail)
    {
        if (detail is null || detail.Length > 2048 || !detail.StartsWith("""{"request":{"method":""", StringComparison.Ordinal))
        {
            return detail;
        }
        var match = AcceptedSummary().Match(detail);
        if (!match.Success)
        {
            return detail;
        }
        var compact = string.Concat(
            [Mark.ToString(), Summary, Mark.ToString(), match.Groups[1].Value, Mark.ToString(), match.Groups[2].Value, Mark.ToString(),
             match.Groups[3].Value, Mark.ToString(), match.Groups[4].Value]);
        // Stored compact only when it reads back exactly as given.
        return Expand(compact) == detail ? compact : detail;
    }

    /// <summary>The detail as given, from its stored text.</summary>
    public static string? Expand(string? stored)
    {
        if (stored is not { Length: > 2 } || stored[0] != Mark)
        {
            return stored;
        }
        var parts = stored.Split(Mark);
        return parts is [_, Summary, var method, var url, var status, var elapsed]
            ? string.Concat("{\"request\":{\"method\":\"", method, "\",\"url\":\"", url, "\"},\"response\":{\"status\":", status, "},\"elapsedMs\":", elapsed,
                ",\"bodiesKept\":false}")
            : stored;
    }

    // Method, URL, status and elapsed as the writer spelt them (no escapes in them, no unit separators).
    [GeneratedRegex("""^\{"request":\{"method":"([A-Za-z]{1,16})","url":"([^"\\\u001F]*)"\},"response":\{"status":(\d{1,4})\},"elapsedMs":(\d{1,12}),"bodiesKept":false\}$""",
        RegexOptions.CultureInvariant)]
    private static partial Regex AcceptedSummary();
}
