using System.Globalization;

namespace Herald.Storage.Messages;

/// <summary>
/// A timeline entry's note as stored (issue 11 §8): a report's time, which the note spells out as " (reported at
/// 2026-12-07T18:01:08.0000000+00:00)" (or "reported at …" alone), is kept as Unix milliseconds after a unit separator
/// (<c>\u001F</c>) when it is in UTC and whole milliseconds, and spelt out again when read. Any other note is stored as given.
/// </summary>
internal static class StoredNote
{
    private const char Mark = '\u001F';

    /// <summary>The note as the timeline reads it: <paramref name="note"/> with the time it was reported.</summary>
    public static string? Full(string? note, DateTimeOffset? reportedAt) => reportedAt is not { } at
        ? note
        : note is null ? string.Create(CultureInfo.InvariantCulture, $"reported at {at:O}") : string.Create(CultureInfo.InvariantCulture, $"{note} (reported at {at:O})");

    /// <summary>The text to store for <paramref name="note"/> reported at <paramref name="reportedAt"/>.</summary>
    public static string? Of(string? note, DateTimeOffset? reportedAt)
    {
        if (reportedAt is not { } at || at.Offset != TimeSpan.Zero || at.Ticks % TimeSpan.TicksPerMillisecond != 0 || at.ToUnixTimeMilliseconds() < 0
            || note?.Contains(Mark, StringComparison.Ordinal) == true)
        {
            return Full(note, reportedAt);
        }
        return string.Create(CultureInfo.InvariantCulture, $"{note}{Mark}{at.ToUnixTimeMilliseconds()}");
    }

    /// <summary>The note as given, from its stored text.</summary>
    public static string? Expand(string? stored)
    {
        var mark = stored?.LastIndexOf(Mark) ?? -1;
        if (mark < 0 || mark == stored!.Length - 1
            || !long.TryParse(stored.AsSpan(mark + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return stored;
        }
        return Full(mark == 0 ? null : stored[..mark], DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }
}
