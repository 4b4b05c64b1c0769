using Herald.Core.Encoding;

namespace Herald.Core.Tests.Encoding;

public class SegmentLimitTests
{
    [Fact]
    public void Check_TextWithinCap_PassesWithInfo()
    {
        Assert.True(SegmentLimit.Check(new string('a', 1530), SegmentLimit.Default, out var info, out var error));

        Assert.Null(error);
        Assert.Equal(SmsEncoding.Gsm7, info.Encoding);
        Assert.Equal(10, info.Segments);
    }

    [Fact]
    public void Check_OneGsmCharacterOverCap_RefusedWithLengthEncodingAndSegments()
    {
        Assert.False(SegmentLimit.Check(new string('a', 1531), 10, out var info, out var error));

        Assert.Equal(11, info.Segments);
        Assert.Equal("The message is 1,531 characters in GSM-7, which makes 11 segments; at most 10 segments (1,530 GSM-7 characters) are allowed, so shorten it.", error);
    }

    [Fact]
    public void Check_ManyEmoji_RefusedInUcs2WithUnits()
    {
        var text = string.Concat(Enumerable.Repeat("😀", 50_000));

        Assert.False(SegmentLimit.Check(text, 10, out var info, out var error));

        Assert.Equal(SmsEncoding.Ucs2, info.Encoding);
        Assert.Equal(1_516, info.Segments);
        Assert.Equal("The message is 50,000 characters (100,000 UTF-16 units) in UCS-2, which makes 1,516 segments; at most 10 segments (670 UCS-2 units) are allowed, so shorten it.", error);
    }

    [Fact]
    public void Check_CapOfOne_UsesSingleSegmentCapacity()
    {
        Assert.True(SegmentLimit.Check(new string('a', 160), 1, out _, out _));
        Assert.False(SegmentLimit.Check(new string('a', 161), 1, out _, out var error));

        Assert.Contains("(160 GSM-7 characters)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NullText_OneEmptySegment()
    {
        Assert.True(SegmentLimit.Check(null, 1, out var info, out _));

        Assert.Equal(1, info.Segments);
    }

    [Fact]
    public void Check_CapBelowOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentLimit.Check("hi", 0, out _, out _));
    }

    [Theory]
    [InlineData(SmsEncoding.Gsm7, "gsm7")]
    [InlineData(SmsEncoding.Ucs2, "ucs2")]
    public void WireName_Encoding_LowerCaseName(SmsEncoding encoding, string expected)
    {
        Assert.Equal(expected, SegmentLimit.WireName(encoding));
    }
}
