using System.Globalization;
using System.Text.RegularExpressions;

namespace Herald.Engagement.Segments;

/// <summary>ISO-8601 durations with a fixed length: weeks, days, hours, minutes, seconds (<c>P7D</c>, <c>PT2H</c>, <c>P1DT12H</c>).</summary>
public static partial class IsoDuration
{
    /// <summary>The longest window a rule may name (about 10 years).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(3660);

    /// <summary>Reads a duration, or says what is wrong with it.</summary>
    public static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        var match = Pattern().Match(text);
        if (!match.Success || text is "P" or "PT" || text.EndsWith('T'))
        {
            error = YearsOrMonths().IsMatch(text)
                ? $"\"{text}\" has years or months, which have no fixed length: use weeks or days instead, e.g. \"P30D\"."
                : $"\"{text}\" is not an ISO-8601 duration: write e.g. \"P7D\" (7 days), \"PT2H\" (2 hours), \"P1DT12H\", \"PT30M\".";
            return false;
        }
        try
        {
            duration = TimeSpan.FromDays(7 * Part(match, "w")) + TimeSpan.FromDays(Part(match, "d")) + TimeSpan.FromHours(Part(match, "h"))
                + TimeSpan.FromMinutes(Part(match, "m")) + TimeSpan.FromSeconds(Part(match, "s"));
        }
        catch (OverflowException)
        {
            duration = TimeSpan.MaxValue;
        }
        if (duration <= TimeSpan.Zero || duration > Longest)
        {
            error = $"\"{text}\" must be longer than zero and at most {Longest.TotalDays:0} days.";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>The ISO-8601 form of a duration (days, hours, minutes, seconds).</summary>
    public static string Format(TimeSpan duration)
    {
        var text = "P";
        if (duration.Days > 0)
        {
            text += duration.Days.ToString(CultureInfo.InvariantCulture) + "D";
        }
        if (duration.Hours > 0 || duration.Minutes > 0 || duration.Seconds > 0)
        {
            text += "T" + (duration.Hours > 0 ? $"{duration.Hours}H" : "") + (duration.Minutes > 0 ? $"{duration.Minutes}M" : "")
                + (duration.Seconds > 0 ? $"{duration.Seconds}S" : "");
        }
        return text == "P" ? "PT0S" : text;
    }

    private static long Part(Match match, string name) =>
        match.Groups[name].Success ? long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^P(?:(?<w>\d{1,6})W)?(?:(?<d>\d{1,6})D)?(?:T(?:(?<h>\d{1,7})H)?(?:(?<m>\d{1,9})M)?(?:(?<s>\d{1,10})S)?)?$")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^P[^T]*[YM]")]
    private static partial Regex YearsOrMonths();
}
