namespace Herald.Core.Encoding;

/// <summary>The data coding an SMS is sent in (protocols.md §6).</summary>
public enum SmsEncoding
{
    /// <summary>The GSM 03.38 default alphabet, 7 bits per character (extension characters take two).</summary>
    Gsm7,
    /// <summary>UCS-2 (sent as UTF-16): used as soon as one character is outside the GSM alphabet.</summary>
    Ucs2,
}

/// <summary>How a text is encoded and split into billable segments.</summary>
/// <param name="Encoding">The encoding the whole message is sent in.</param>
/// <param name="Characters">
/// The number of characters as a person counts them: Unicode code points, so an emoji outside the
/// BMP (a surrogate pair) counts once. Combining sequences (flags, skin tones) count per code point.
/// </param>
/// <param name="Units">
/// The encoded length: septets for <see cref="SmsEncoding.Gsm7"/> (an extension character such as
/// <c>€</c> counts 2), UTF-16 code units for <see cref="SmsEncoding.Ucs2"/> (an emoji outside the BMP counts 2).
/// </param>
/// <param name="Segments">
/// The number of SMS an operator sends and bills. An empty text is one (empty) segment.
/// </param>
/// <param name="PerSegment">
/// The capacity of each segment in <paramref name="Units"/>: 160 / 70 for a single segment,
/// 153 / 67 when the message is concatenated (the rest carries the concatenation header).
/// </param>
/// <param name="RemainingInLast">
/// How many units still fit in the last segment before another one is needed. An escape pair or a
/// surrogate pair is never split, so a segment may end one unit short of <paramref name="PerSegment"/>.
/// </param>
public sealed record SmsSegmentInfo(SmsEncoding Encoding, int Characters, int Units, int Segments, int PerSegment, int RemainingInLast);

/// <summary>
/// GSM 03.38 / UCS-2 length and segment calculation (protocols.md §6). Allocation-free for
/// <see cref="Analyze"/> and <see cref="IsGsm7"/> apart from the result, so it can run on every message.
/// </summary>
public static class SmsSegmenter
{
    /// <summary>Septets in a single GSM-7 message.</summary>
    private const int Gsm7Single = 160;

    /// <summary>Septets per segment of a concatenated GSM-7 message (a 6-byte UDH takes 7 septets).</summary>
    private const int Gsm7Multi = 153;

    /// <summary>UTF-16 units in a single UCS-2 message.</summary>
    private const int Ucs2Single = 70;

    /// <summary>UTF-16 units per segment of a concatenated UCS-2 message (a 6-byte UDH takes 3 units).</summary>
    private const int Ucs2Multi = 67;

    /// <summary>The GSM table covers characters below this; the only one above it is the euro sign.</summary>
    private const int TableSize = 0x400;

    private const char Euro = '\u20AC';

    /// <summary>Septet cost per character below <see cref="TableSize"/>: 0 = not in GSM 03.38, 1 = basic table, 2 = extension table.</summary>
    private static readonly byte[] SeptetCost = BuildTable();

    /// <summary>Describes how <paramref name="text"/> is encoded and how many segments it takes.</summary>
    /// <param name="text">The message text as it will be sent (after placeholders are rendered).</param>
    /// <returns>The encoding, lengths and segment count. An empty text is 0 characters in 1 GSM-7 segment.</returns>
    public static SmsSegmentInfo Analyze(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        if (TryCountSeptets(span, out var septets))
        {
            if (septets <= Gsm7Single)
            {
                return new SmsSegmentInfo(SmsEncoding.Gsm7, span.Length, septets, 1, Gsm7Single, Gsm7Single - septets);
            }
            var segments = Walk(span, gsm: true, Gsm7Multi, out var lastUsed, starts: null);
            return new SmsSegmentInfo(SmsEncoding.Gsm7, span.Length, septets, segments, Gsm7Multi, Gsm7Multi - lastUsed);
        }

        var characters = CountCodePoints(span);
        if (span.Length <= Ucs2Single)
        {
            return new SmsSegmentInfo(SmsEncoding.Ucs2, characters, span.Length, 1, Ucs2Single, Ucs2Single - span.Length);
        }
        var parts = Walk(span, gsm: false, Ucs2Multi, out var used, starts: null);
        return new SmsSegmentInfo(SmsEncoding.Ucs2, characters, span.Length, parts, Ucs2Multi, Ucs2Multi - used);
    }

    /// <summary>
    /// Splits <paramref name="text"/> into the parts an operator sends: never inside an escape pair
    /// (GSM-7) or a surrogate pair (UCS-2). Joined in order, the parts give back the text.
    /// </summary>
    /// <param name="text">The message text.</param>
    /// <returns>As many parts as <see cref="Analyze"/> reports segments; an empty text gives one empty part.</returns>
    public static IReadOnlyList<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        int perSegment;
        bool gsm;
        if (TryCountSeptets(span, out var septets))
        {
            if (septets <= Gsm7Single)
            {
                return [text];
            }
            gsm = true;
            perSegment = Gsm7Multi;
        }
        else
        {
            if (span.Length <= Ucs2Single)
            {
                return [text];
            }
            gsm = false;
            perSegment = Ucs2Multi;
        }

        var starts = new List<int>();
        Walk(span, gsm, perSegment, out _, starts);
        var parts = new string[starts.Count];
        for (var i = 0; i < starts.Count; i++)
        {
            var end = i + 1 < starts.Count ? starts[i + 1] : text.Length;
            parts[i] = text[starts[i]..end];
        }
        return parts;
    }

    /// <summary>Whether every character of <paramref name="text"/> is in the GSM 03.38 default alphabet or its extension table.</summary>
    /// <param name="text">The text to check; an empty text is GSM-7.</param>
    public static bool IsGsm7(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text.AsSpan())
        {
            if (Cost(c) == 0)
            {
                return false;
            }
        }
        return true;
    }

    private static int Cost(char c) => c < TableSize ? SeptetCost[c] : c == Euro ? 2 : 0;

    /// <summary>Sums the septets; false (and stops early) at the first character outside GSM 03.38.</summary>
    private static bool TryCountSeptets(ReadOnlySpan<char> text, out int septets)
    {
        var total = 0;
        foreach (var c in text)
        {
            var cost = Cost(c);
            if (cost == 0)
            {
                septets = 0;
                return false;
            }
            total += cost;
        }
        septets = total;
        return true;
    }

    private static int CountCodePoints(ReadOnlySpan<char> text)
    {
        var count = text.Length;
        for (var i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                count--;
                i++;
            }
        }
        return count;
    }

    /// <summary>
    /// Fills segments of <paramref name="perSegment"/> units, moving an escape pair (GSM-7) or a
    /// surrogate pair (UCS-2) that would straddle a boundary whole into the next segment.
    /// </summary>
    /// <returns>The number of segments; <paramref name="lastUsed"/> is the units used in the last one.</returns>
    private static int Walk(ReadOnlySpan<char> text, bool gsm, int perSegment, out int lastUsed, List<int>? starts)
    {
        var segments = 1;
        var used = 0;
        starts?.Add(0);
        var i = 0;
        while (i < text.Length)
        {
            int cost;
            int width;
            if (gsm)
            {
                cost = Cost(text[i]);
                width = 1;
            }
            else
            {
                width = i + 1 < text.Length && char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                cost = width;
            }
            if (used + cost > perSegment)
            {
                segments++;
                used = 0;
                starts?.Add(i);
            }
            used += cost;
            i += width;
        }
        lastUsed = used;
        return segments;
    }

    private static byte[] BuildTable()
    {
        // GSM 03.38 default alphabet in code order (0x1B, the escape, is not a character of its own).
        const string basic =
            "@£$¥èéùìòÇ\nØø\rÅå" +
            "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ" +
            " !\"#¤%&'()*+,-./" +
            "0123456789:;<=>?" +
            "¡ABCDEFGHIJKLMNO" +
            "PQRSTUVWXYZÄÖÑÜ§" +
            "¿abcdefghijklmno" +
            "pqrstuvwxyzäöñüà";
        // The extension table (escape + one septet); the euro sign (U+20AC) is handled outside the table.
        const string extension = "\f^{}\\[~]|";

        var table = new byte[TableSize];
        foreach (var c in basic)
        {
            table[c] = 1;
        }
        foreach (var c in extension)
        {
            table[c] = 2;
        }
        return table;
    }
}
