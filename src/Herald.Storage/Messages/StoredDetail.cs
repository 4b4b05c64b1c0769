using Herald.Storage.Records;

namespace Herald.Storage.Messages;

/// <summary>
/// A timeline entry's detail as stored, as short as it can be read back byte for byte (issue 11 §8): the summary an accepted
/// send keeps when its bodies are not sampled (<see cref="ExchangeSummary"/>), which reads as
/// <c>{"request":{"method":M,"url":U},"response":{"status":S},"elapsedMs":E,"bodiesKept":false}</c>, is kept as its four values after a
/// unit separator (<c>\u001F</c>), which no JSON and no raw report starts with, and spelt out again when read. Any other detail is
/// stored as given.
/// </summary>
internal static class StoredDetail
{
    private const char Mark = '\u001F';
    private const string Summary = "a";
    private const string Report = "r";

    /// <summary>The stored form of a detail found verbatim in a raw report: a reference to it.</summary>
    public static string InReport(ReportSlice slice) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Mark}{Report}{Mark}{slice.ReportId}{Mark}{slice.Start}{Mark}{slice.Length}");

    /// <summary>Whether <paramref name="stored"/> is a reference into a raw report (<see cref="InReport"/>), and to which piece.</summary>
    public static bool IsInReport(string? stored, out ReportSlice slice)
    {
        slice = default;
        if (stored is not { Length: > 2 } || stored[0] != Mark || stored[1] != Report[0])
        {
            return false;
        }
        var parts = stored.Split(Mark);
        if (parts is [_, Report, var id, var start, var length]
            && long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var reportId)
            && int.TryParse(start, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var from)
            && int.TryParse(length, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            slice = new ReportSlice(reportId, from, count);
            return true;
        }
        return false;
    }

    /// <summary>The detail a reference reads back from its report's body; null once the report is gone (retention).</summary>
    public static string? FromReport(ReportSlice slice, string? body) =>
        body is not null && slice.Start >= 0 && slice.Length >= 0 && slice.Start + (long)slice.Length <= body.Length ? body.Substring(slice.Start, slice.Length) : null;

    /// <summary>The text to store for an accepted answer kept as its four values (<see cref="StateChange.Summary"/>).</summary>
    public static string Compact(ExchangeSummary summary) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Mark}{Summary}{Mark}{summary.Method}{Mark}{summary.Url}{Mark}{summary.Status}{Mark}{summary.ElapsedMs}");

    /// <summary>The text to store for a change's detail: a reference into its raw report, the four values of a summary, or the detail as given.</summary>
    public static string? Of(StateChange change) =>
        change.DetailInReport is { } slice ? InReport(slice) : change.Summary is { } summary ? Compact(summary) : change.Detail;

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
}
