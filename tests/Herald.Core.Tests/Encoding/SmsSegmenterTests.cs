using Herald.Core.Encoding;

namespace Herald.Core.Tests.Encoding;

public class SmsSegmenterTests
{
    // GSM 03.38 default alphabet in code order, without 0x1B (the escape).
    private const string Gsm7Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Gsm7Extension = "\f^{}\\[~]|€";

    private const string Emoji = "😀"; // U+1F600: a surrogate pair

    private static string Repeat(string s, int count) => string.Concat(Enumerable.Repeat(s, count));

    private static string Repeat(char c, int count) => new(c, count);

    [Fact]
    public void Gsm7Basic_Always_Has127Characters()
    {
        Assert.Equal(127, Gsm7Basic.Length);
        Assert.Equal(127, Gsm7Basic.Distinct().Count());
    }

    [Fact]
    public void Analyze_WholeBasicAlphabet_OneSeptetEach()
    {
        var info = SmsSegmenter.Analyze(Gsm7Basic);

        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 127, 127, 1, 160, 33), info);
    }

    [Theory]
    [InlineData('\f')]
    [InlineData('^')]
    [InlineData('{')]
    [InlineData('}')]
    [InlineData('\\')]
    [InlineData('[')]
    [InlineData('~')]
    [InlineData(']')]
    [InlineData('|')]
    [InlineData('€')]
    public void Analyze_ExtensionCharacter_TwoSeptets(char c)
    {
        var info = SmsSegmenter.Analyze("a" + c);

        Assert.Equal(SmsEncoding.Gsm7, info.Encoding);
        Assert.Equal(2, info.Characters);
        Assert.Equal(3, info.Units);
    }

    [Theory]
    [InlineData('`')]
    [InlineData('\t')]
    [InlineData('\u001B')]
    [InlineData('\u00A0')]
    [InlineData('á')]
    [InlineData('ç')]
    [InlineData('Ê')]
    [InlineData('‘')]
    [InlineData('’')]
    [InlineData('“')]
    [InlineData('”')]
    [InlineData('–')]
    [InlineData('…')]
    [InlineData('α')]
    [InlineData('А')] // Cyrillic A
    [InlineData('क')]
    [InlineData('¢')]
    public void IsGsm7_CharacterOutsideAlphabet_False(char c)
    {
        Assert.False(SmsSegmenter.IsGsm7("Hello " + c));
        Assert.Equal(SmsEncoding.Ucs2, SmsSegmenter.Analyze("Hello " + c).Encoding);
    }

    [Fact]
    public void IsGsm7_EveryBasicAndExtensionCharacter_True()
    {
        Assert.True(SmsSegmenter.IsGsm7(Gsm7Basic + Gsm7Extension));
        Assert.True(SmsSegmenter.IsGsm7(""));
    }

    [Fact]
    public void IsGsm7_OnlyTheAlphabet_AllOtherCharsBelow0x2200False()
    {
        var gsm = new HashSet<char>(Gsm7Basic + Gsm7Extension);
        for (var c = '\0'; c < '\u2200'; c++)
        {
            Assert.Equal(gsm.Contains(c), SmsSegmenter.IsGsm7(c.ToString()));
        }
    }

    [Fact]
    public void Analyze_160Gsm_OneSegment()
    {
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 160, 160, 1, 160, 0), SmsSegmenter.Analyze(Repeat('a', 160)));
    }

    [Fact]
    public void Analyze_161Gsm_TwoConcatenatedSegments()
    {
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 161, 161, 2, 153, 145), SmsSegmenter.Analyze(Repeat('a', 161)));
    }

    [Fact]
    public void Analyze_306Gsm_TwoFullSegments()
    {
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 306, 306, 2, 153, 0), SmsSegmenter.Analyze(Repeat('a', 153 * 2)));
    }

    [Fact]
    public void Analyze_307Gsm_ThreeSegments()
    {
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 307, 307, 3, 153, 152), SmsSegmenter.Analyze(Repeat('a', 153 * 2 + 1)));
    }

    [Fact]
    public void Analyze_80Euros_160SeptetsOneSegment()
    {
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 80, 160, 1, 160, 0), SmsSegmenter.Analyze(Repeat('€', 80)));
    }

    [Fact]
    public void Analyze_81Euros_TwoSegmentsEscapePairsNotSplit()
    {
        // 153 is odd: each segment holds 76 euros (152 septets), the last 5 (10 septets).
        var info = SmsSegmenter.Analyze(Repeat('€', 81));

        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 81, 162, 2, 153, 143), info);
        Assert.Equal([76, 5], SmsSegmenter.Split(Repeat('€', 81)).Select(p => p.Length));
    }

    [Fact]
    public void Split_EscapePairAtBoundary_MovesToNextSegment()
    {
        var text = Repeat('a', 152) + "{" + Repeat('b', 10);

        var parts = SmsSegmenter.Split(text);
        var info = SmsSegmenter.Analyze(text);

        Assert.Equal([Repeat('a', 152), "{" + Repeat('b', 10)], parts);
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 163, 164, 2, 153, 141), info);
    }

    [Fact]
    public void Split_EscapePairEndingExactlyOnBoundary_StaysInSegment()
    {
        var text = Repeat('a', 151) + "{" + Repeat('b', 10);

        Assert.Equal([Repeat('a', 151) + "{", Repeat('b', 10)], SmsSegmenter.Split(text));
        Assert.Equal(143, SmsSegmenter.Analyze(text).RemainingInLast);
    }

    [Fact]
    public void Analyze_EscapePairsPushOverSegmentCount_ExtraSegment()
    {
        // 306 septets would be two segments, but a pair at each boundary costs one septet of space.
        var text = Repeat('a', 152) + "€" + Repeat('a', 152);

        var info = SmsSegmenter.Analyze(text);

        Assert.Equal(306, info.Units);
        Assert.Equal(3, info.Segments);
    }

    [Fact]
    public void Analyze_70Ucs2_OneSegment()
    {
        var text = "’" + Repeat('a', 69);

        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Ucs2, 70, 70, 1, 70, 0), SmsSegmenter.Analyze(text));
    }

    [Fact]
    public void Analyze_71Ucs2_TwoSegmentsOf67()
    {
        var text = "’" + Repeat('a', 70);

        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Ucs2, 71, 71, 2, 67, 63), SmsSegmenter.Analyze(text));
    }

    [Fact]
    public void Analyze_134And135Ucs2_TwoThenThreeSegments()
    {
        Assert.Equal(2, SmsSegmenter.Analyze(Repeat('क', 134)).Segments);
        Assert.Equal(0, SmsSegmenter.Analyze(Repeat('क', 134)).RemainingInLast);
        Assert.Equal(3, SmsSegmenter.Analyze(Repeat('क', 135)).Segments);
    }

    [Fact]
    public void Analyze_Devanagari_Ucs2()
    {
        var info = SmsSegmenter.Analyze("नमस्ते, आपका OTP 123456 है");

        Assert.Equal(SmsEncoding.Ucs2, info.Encoding);
        Assert.Equal(26, info.Units);
        Assert.Equal(26, info.Characters);
        Assert.Equal(1, info.Segments);
        Assert.Equal(44, info.RemainingInLast);
    }

    [Fact]
    public void Analyze_CurlyQuotes_SwitchToUcs2()
    {
        var straight = SmsSegmenter.Analyze("It's \"done\"");
        var curly = SmsSegmenter.Analyze("It’s “done”");

        Assert.Equal(SmsEncoding.Gsm7, straight.Encoding);
        Assert.Equal(SmsEncoding.Ucs2, curly.Encoding);
        Assert.Equal(70 - 11, curly.RemainingInLast);
    }

    [Fact]
    public void Analyze_OneEmojiInGsmText_WholeMessageUcs2()
    {
        var text = Repeat('a', 100) + Emoji;

        var info = SmsSegmenter.Analyze(text);

        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Ucs2, 101, 102, 2, 67, 32), info);
        Assert.Equal(1, SmsSegmenter.Analyze(Repeat('a', 100)).Segments);
    }

    [Fact]
    public void Analyze_35Emoji_70UnitsOneSegment()
    {
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Ucs2, 35, 70, 1, 70, 0), SmsSegmenter.Analyze(Repeat(Emoji, 35)));
    }

    [Fact]
    public void Analyze_36Emoji_SurrogatePairsNotSplit()
    {
        // 67 is odd: each segment holds 33 emoji (66 units).
        var info = SmsSegmenter.Analyze(Repeat(Emoji, 36));

        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Ucs2, 36, 72, 2, 67, 61), info);
        Assert.Equal([66, 6], SmsSegmenter.Split(Repeat(Emoji, 36)).Select(p => p.Length));
    }

    [Fact]
    public void Split_EmojiOn67th68thUnit_MovesToNextSegment()
    {
        var text = Repeat('x', 66) + Emoji + Repeat('y', 10);

        var parts = SmsSegmenter.Split(text);

        Assert.Equal([Repeat('x', 66), Emoji + Repeat('y', 10)], parts);
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Ucs2, 77, 78, 2, 67, 55), SmsSegmenter.Analyze(text));
    }

    [Fact]
    public void Split_EmojiOn66th67thUnit_StaysInSegment()
    {
        var text = Repeat('x', 65) + Emoji + Repeat('y', 10);

        Assert.Equal([Repeat('x', 65) + Emoji, Repeat('y', 10)], SmsSegmenter.Split(text));
    }

    [Fact]
    public void Analyze_LoneSurrogate_Ucs2OneUnit()
    {
        var info = SmsSegmenter.Analyze("ab\uD83D");

        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Ucs2, 3, 3, 1, 70, 67), info);
    }

    [Fact]
    public void Analyze_Empty_ZeroCharactersOneSegment()
    {
        Assert.Equal(new SmsSegmentInfo(SmsEncoding.Gsm7, 0, 0, 1, 160, 160), SmsSegmenter.Analyze(""));
        Assert.Equal([""], SmsSegmenter.Split(""));
    }

    [Fact]
    public void AnalyzeSplitIsGsm7_Null_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => SmsSegmenter.Analyze(null!));
        Assert.Throws<ArgumentNullException>(() => SmsSegmenter.Split(null!));
        Assert.Throws<ArgumentNullException>(() => SmsSegmenter.IsGsm7(null!));
    }

    [Fact]
    public void Split_SingleSegment_TextItself()
    {
        var text = "Your OTP is 123456";

        Assert.Same(text, Assert.Single(SmsSegmenter.Split(text)));
    }

    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 40));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Split_RandomText_PartsRejoinFitAndMatchAnalyze(int seed)
    {
        var random = new Random(seed);
        var pools = seed % 2 == 0
            ? new[] { Gsm7Basic, Gsm7Extension }
            : new[] { Gsm7Basic, Gsm7Extension, "नमस्ते’“”", Emoji + "👍🏽🇮🇳" };
        var builder = new System.Text.StringBuilder();
        var length = random.Next(0, 700);
        while (builder.Length < length)
        {
            var pool = pools[random.Next(pools.Length)];
            var start = random.Next(pool.Length);
            if (char.IsLowSurrogate(pool[start]))
            {
                start--;
            }
            builder.Append(pool, start, char.IsHighSurrogate(pool[start]) ? 2 : 1);
        }
        var text = builder.ToString();

        var info = SmsSegmenter.Analyze(text);
        var parts = SmsSegmenter.Split(text);

        Assert.Equal(text, string.Concat(parts));
        Assert.Equal(info.Segments, parts.Count);
        Assert.Equal(info.Encoding == SmsEncoding.Gsm7, SmsSegmenter.IsGsm7(text));
        Assert.Equal(info.PerSegment - info.RemainingInLast, Units(parts[^1], info.Encoding));
        Assert.Equal(info.Units, parts.Sum(p => Units(p, info.Encoding)));
        foreach (var part in parts)
        {
            Assert.InRange(Units(part, info.Encoding), info.Segments == 1 ? 0 : 1, info.PerSegment);
            Assert.False(part.Length > 0 && char.IsLowSurrogate(part[0]), "a part starts inside a surrogate pair");
            Assert.False(part.Length > 0 && char.IsHighSurrogate(part[^1]), "a part ends inside a surrogate pair");
        }
        // Greedy filling: the next part's first character would not have fit in the previous part.
        for (var i = 0; i + 1 < parts.Count; i++)
        {
            var next = parts[i + 1];
            var firstWidth = char.IsHighSurrogate(next[0]) ? 2 : 1;
            Assert.True(Units(parts[i], info.Encoding) + Units(next[..firstWidth], info.Encoding) > info.PerSegment);
        }
    }

    [Fact]
    public void Analyze_Repeated_AllocatesOnlyTheResult()
    {
        var gsm = Repeat("Hello {world} € ", 40);
        var ucs2 = Repeat("नमस्ते " + Emoji, 40);
        SmsSegmenter.Analyze(gsm);
        SmsSegmenter.Analyze(ucs2);
        SmsSegmenter.IsGsm7(gsm);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            SmsSegmenter.Analyze(gsm);
            SmsSegmenter.Analyze(ucs2);
            SmsSegmenter.IsGsm7(ucs2);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Two results (a 6-int record is 40 bytes on 64-bit) per iteration, nothing else.
        Assert.InRange(allocated, 0, 2000 * 48);
    }

    private static int Units(string part, SmsEncoding encoding) =>
        encoding == SmsEncoding.Ucs2 ? part.Length : part.Sum(c => Gsm7Extension.Contains(c, StringComparison.Ordinal) ? 2 : 1);
}
