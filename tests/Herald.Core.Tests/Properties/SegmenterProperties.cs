using CsCheck;
using Herald.Core.Encoding;

namespace Herald.Core.Tests.Properties;

/// <summary>Issue 14 §3: GSM-7 / UCS-2 segmentation invariants over generated texts (CsCheck; a failure prints the shrunk text).</summary>
public sealed class SegmenterProperties
{
    private const string Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Extension = "\f^{}\\[~]|€";

    /// <summary>Mostly GSM text, with extension characters, BMP characters outside GSM, emoji (surrogate pairs) and lone surrogates.</summary>
    public static readonly Gen<string> Texts = Gen.Frequency(
            (12, Gen.Char[Basic].Select(c => c.ToString())),
            (3, Gen.Char[Extension].Select(c => c.ToString())),
            (1, Gen.OneOf("न", "ü", "ç", "€", "—", "😀", "👍🏽", "🇮🇳", "\ud800", "\udc00", "\u0000", "\u200b")))
        .Array[0, 420].Select(string.Concat);

    /// <summary>GSM-only texts (the encoding must stay GSM-7 whatever their length).</summary>
    private static readonly Gen<string> GsmTexts = Gen.Frequency((8, Gen.Char[Basic]), (2, Gen.Char[Extension])).Array[0, 500].Select(a => new string(a));

    [Fact]
    public void Analyze_AnyText_SegmentsMatchSplitAndJoinGivesTheTextBack()
    {
        Texts.Sample(text =>
        {
            var info = SmsSegmenter.Analyze(text);
            var parts = SmsSegmenter.Split(text);

            Assert.Equal(info.Segments, parts.Count);
            Assert.Equal(text, string.Concat(parts));
        }, iter: 3000);
    }

    [Fact]
    public void Analyze_AnyText_EncodingAndUnitsFollowTheAlphabet()
    {
        Texts.Sample(text =>
        {
            var info = SmsSegmenter.Analyze(text);

            Assert.Equal(SmsSegmenter.IsGsm7(text) ? SmsEncoding.Gsm7 : SmsEncoding.Ucs2, info.Encoding);
            Assert.Equal(info.Encoding == SmsEncoding.Gsm7 ? text.Sum(Septets) : text.Length, info.Units);
            Assert.Equal(info.Encoding == SmsEncoding.Gsm7 ? text.Length : CodePoints(text), info.Characters);
        }, iter: 3000);
    }

    [Fact]
    public void Analyze_AnyText_SegmentCountConsistentWithLength()
    {
        Texts.Sample(text =>
        {
            var info = SmsSegmenter.Analyze(text);
            var single = info.Encoding == SmsEncoding.Gsm7 ? 160 : 70;
            var multi = info.Encoding == SmsEncoding.Gsm7 ? 153 : 67;

            Assert.Equal(info.Units <= single, info.Segments == 1);
            Assert.Equal(info.Segments == 1 ? single : multi, info.PerSegment);
            Assert.InRange(info.RemainingInLast, 0, info.PerSegment);
            // Full segments except where a pair moved whole into the next one: at most one unit short each.
            if (info.Segments > 1)
            {
                // Every segment but the last is full, or one unit short where a pair moved whole into the next one.
                Assert.InRange(info.Segments, (info.Units + multi - 1) / multi, (info.Units - 1) / (multi - 1) + 1);
            }
            var parts = SmsSegmenter.Split(text);
            foreach (var part in parts)
            {
                Assert.InRange(info.Encoding == SmsEncoding.Gsm7 ? part.Sum(Septets) : part.Length, 0, info.PerSegment);
            }
            Assert.Equal(info.PerSegment - (info.Encoding == SmsEncoding.Gsm7 ? parts[^1].Sum(Septets) : parts[^1].Length), info.RemainingInLast);
            // A surrogate pair is never cut in two.
            for (var i = 1; i < parts.Count; i++)
            {
                Assert.False(char.IsHighSurrogate(parts[i - 1][^1]) && char.IsLowSurrogate(parts[i][0]), $"pair split between parts {i - 1} and {i}");
            }
        }, iter: 3000);
    }

    [Fact]
    public void Analyze_GsmText_StaysGsm7AtAnyLength()
    {
        GsmTexts.Sample(text => Assert.Equal(SmsEncoding.Gsm7, SmsSegmenter.Analyze(text).Encoding), iter: 1000);
    }

    [Fact]
    public void Analyze_AppendingText_NeverNeedsFewerSegments()
    {
        Gen.Select(Texts, Texts).Sample((a, b) =>
        {
            var joined = SmsSegmenter.Analyze(a + b);
            var first = SmsSegmenter.Analyze(a);
            // Only when both stay in one encoding: a UCS-2 suffix switches the whole text to smaller segments, which only adds.
            Assert.True(joined.Segments >= first.Segments, $"'{a}' has {first.Segments} segments but '{a + b}' {joined.Segments}");
        }, iter: 2000);
    }

    private static int Septets(char c) => Extension.Contains(c, StringComparison.Ordinal) ? 2 : 1;

    private static int CodePoints(string text)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++, count++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
        }
        return count;
    }
}
