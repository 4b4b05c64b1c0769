using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;

namespace Herald.Core.Tests.DeliveryReports;

public class DlrParserTests
{
    private static DlrRequest Request(string body, string? contentType = "application/json") =>
        new(contentType, body, new Dictionary<string, string>());

    [Fact]
    public void Parse_CleverTapArray_Reports()
    {
        var result = DlrParser.Parse(Request("""
            [{"event":"delivered","data":[{"ts":1654512921,"meta":"msg-1","description":"Delivered to handset"}]},
             {"event":"failed","data":[{"ts":1654512921,"meta":"msg-2","code":"914","description":"Undelivered"}]}]
            """));

        Assert.Equal([DeliveryState.Delivered, DeliveryState.Undelivered], result.Reports.Select(r => r.State));
        Assert.Empty(result.Unprocessed);
    }

    [Fact]
    public void Parse_SingleGroupObjectWithLeadingWhitespace_Reports()
    {
        var result = DlrParser.Parse(Request("""

              {"event":"delivered","data":[{"ts":1654512921,"meta":"msg-1"}]}
            """));

        Assert.Equal("msg-1", Assert.Single(result.Reports).Reference);
    }

    [Fact]
    public void Parse_ContentTypeNotJson_StillReadsJsonBody()
    {
        var result = DlrParser.Parse(Request("""[{"event":"delivered","data":[{"meta":"m"}]}]""", "text/plain"));

        Assert.Single(result.Reports);
    }

    [Theory]
    [InlineData("[{\"event\":")]
    [InlineData("[{\"event\":\"delivered\",\"data\":[]}")]
    [InlineData("{\"event\":\"delivered\",\"data\":[}")]
    [InlineData("[1,]")]
    [InlineData("[] trailing")]
    public void Parse_MalformedJson_ThrowsSayingNotValidJson(string body)
    {
        var ex = Assert.Throws<DlrFormatException>(() => DlrParser.Parse(Request(body)));

        Assert.StartsWith("The body is not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("status=Delivered&id=abc:1")]
    [InlineData("Delivered")]
    [InlineData("<xml/>")]
    public void Parse_NotJson_ThrowsDescribingExpectedFormat(string body)
    {
        var ex = Assert.Throws<DlrFormatException>(() => DlrParser.Parse(Request(body, "application/x-www-form-urlencoded")));

        Assert.Contains("CleverTap", ex.Message, StringComparison.Ordinal);
        Assert.Contains("meta", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonObjectOfOtherShape_ThrowsDlrFormatException()
    {
        Assert.Throws<DlrFormatException>(() => DlrParser.Parse(Request("""{"id":"abc:1","status":"Delivered"}""")));
    }

    [Fact]
    public void Parse_HugeTs_DoesNotThrow()
    {
        var result = DlrParser.Parse(Request("""[{"event":"delivered","data":[{"ts":999999999999999999,"meta":"m"}]}]"""));

        Assert.Null(Assert.Single(result.Reports).OccurredAt);
    }
}
