using System.Globalization;

namespace Herald.Core.Encoding;

/// <summary>
/// The per-message length cap: a text longer than the cap is refused before it is stored, because every segment is
/// billed and operators drop very long concatenated messages (a 50,000-emoji body would be 1,516 SMS).
/// </summary>
public static class SegmentLimit
{
    /// <summary>The cap when none is configured: 10 segments (1,530 GSM-7 characters, 670 UCS-2 units).</summary>
    public const int Default = 10;

    /// <summary>The largest cap that can be configured: 255 is the most parts a concatenated SMS can have (one octet).</summary>
    public const int Maximum = 255;

    /// <summary>The wire name of an encoding: <c>gsm7</c> or <c>ucs2</c>.</summary>
    public static string WireName(SmsEncoding encoding) => encoding == SmsEncoding.Gsm7 ? "gsm7" : "ucs2";

    /// <summary>
    /// Measures <paramref name="text"/> and checks it against <paramref name="maxSegments"/>.
    /// </summary>
    /// <param name="text">The message text (null is an empty text).</param>
    /// <param name="maxSegments">The most segments allowed, 1 to <see cref="Maximum"/>.</param>
    /// <param name="info">How the text is encoded and how many segments it takes.</param>
    /// <param name="error">When it is too long: one sentence with its length, encoding and segments, and the cap.</param>
    /// <returns>Whether the text fits.</returns>
    public static bool Check(string? text, int maxSegments, out SmsSegmentInfo info, out string? error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegments, 1);
        info = SmsSegmenter.Analyze(text ?? "");
        if (info.Segments <= maxSegments)
        {
            error = null;
            return true;
        }
        var inv = CultureInfo.InvariantCulture;
        var units = info.Encoding == SmsEncoding.Gsm7
            ? (info.Units == info.Characters ? "" : string.Format(inv, " ({0:N0} septets)", info.Units))
            : (info.Units == info.Characters ? "" : string.Format(inv, " ({0:N0} UTF-16 units)", info.Units));
        var gsm = info.Encoding == SmsEncoding.Gsm7;
        var room = maxSegments == 1 ? (gsm ? 160 : 70) : (long)maxSegments * (gsm ? 153 : 67);
        error = string.Format(inv,
            "The message is {0:N0} characters{1} in {2}, which makes {3:N0} segments; at most {4:N0} segments ({5:N0} {6}) are allowed, so shorten it.",
            info.Characters, units, info.Encoding == SmsEncoding.Gsm7 ? "GSM-7" : "UCS-2", info.Segments, maxSegments,
            room, info.Encoding == SmsEncoding.Gsm7 ? "GSM-7 characters" : "UCS-2 units");
        return false;
    }
}
