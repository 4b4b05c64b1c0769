using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.GenericHttp;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>The reports a generic provider takes: CleverTap's format and Kaleyra's fields, as it always has.</summary>
public class GenericDlrFormatTests
{
    private static DlrRequest Request(string body, string? contentType = "application/json") =>
        new(contentType, body, new Dictionary<string, string>());

    [Fact]
    public void Parse_CleverTapArray_Reports()
    {
        var result = GenericDlrFormat.Instance.Parse(Request("""
            [{"event":"delivered","data":[{"ts":1654512921,"meta":"msg-1","description":"Delivered to handset"}]},
             {"event":"failed","data":[{"ts":1654512921,"meta":"msg-2","code":"914","description":"Undelivered"}]}]
            """));

        Assert.Equal([DeliveryState.Delivered, DeliveryState.Undelivered], result.Reports.Select(r => r.State));
        Assert.Empty(result.Unprocessed);
    }

    [Fact]
    public void Parse_SingleGroupObjectWithLeadingWhitespace_Reports()
    {
        var result = GenericDlrFormat.Instance.Parse(Request("""

              {"event":"delivered","data":[{"ts":1654512921,"meta":"msg-1"}]}
            """));

        Assert.Equal("msg-1", Assert.Single(result.Reports).Reference);
    }

    [Fact]
    public void Parse_ContentTypeNotJson_StillReadsJsonBody()
    {
        var result = GenericDlrFormat.Instance.Parse(Request("""[{"event":"delivered","data":[{"meta":"m"}]}]""", "text/plain"));

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
        var ex = Assert.Throws<DlrFormatException>(() => GenericDlrFormat.Instance.Parse(Request(body)));

        Assert.StartsWith("The body is not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("status=Bogus&foo=abc:1")]
    [InlineData("a=b")]
    [InlineData("Delivered")]
    [InlineData("<xml/>")]
    public void Parse_NotJson_ThrowsDescribingExpectedFormat(string body)
    {
        var ex = Assert.Throws<DlrFormatException>(() => GenericDlrFormat.Instance.Parse(Request(body, "application/x-www-form-urlencoded")));

        Assert.Contains("CleverTap", ex.Message, StringComparison.Ordinal);
        Assert.Contains("meta", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonObjectOfOtherShape_ThrowsDlrFormatException()
    {
        Assert.Throws<DlrFormatException>(() => GenericDlrFormat.Instance.Parse(Request("""{"id":"abc:1","state":"Delivered"}""")));
    }

    [Fact]
    public void Parse_KaleyraFormWithRef_CorrelatesByHeraldIdWithTheProviderIdAsFallback()
    {
        var result = GenericDlrFormat.Instance.Parse(Request("id=abc%3A1&mobile=919812345678&status=Delivered&status_details=DELIVERED&ref=m1&delivered_at=2026-11-28+10%3A00%3A00", "application/x-www-form-urlencoded"));

        var report = Assert.Single(result.Reports);
        Assert.Equal("m1", report.Reference);
        Assert.Equal(DlrCorrelation.HeraldMessageId, report.CorrelateBy);
        Assert.Equal("abc:1", report.AlternateProviderMessageId);
        Assert.Equal(Herald.Core.Messaging.DeliveryState.Delivered, report.State);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero), report.OccurredAt);
    }

    [Theory]
    [InlineData("Sent", null, "Sent", null)]
    [InlineData("Failed", "CON-DND", "Rejected", "901")]
    [InlineData("Failed", "TEMPLATE-NOT-FOUND", "Rejected", "908")]
    [InlineData("Undelivered", "EXPIRED", "Expired", "916")]
    [InlineData("UnDelivered", "MOB-OFF", "Undelivered", "914")]
    [InlineData("NotSent", null, "Failed", "900")]
    [InlineData("Failed", "INVALID-SUB", "Failed", "910")]
    public void Parse_KaleyraJsonWithoutRef_MapsStatusAndTraceCode(string status, string? details, string state, string? code)
    {
        var json = details is null ? $$"""{"id":"abc:1","status":"{{status}}"}""" : $$"""{"id":"abc:1","status":"{{status}}","status_details":"{{details}}","extra":[1]}""";
        var report = Assert.Single(GenericDlrFormat.Instance.Parse(Request(json)).Reports);

        Assert.Equal(DlrCorrelation.ProviderMessageId, report.CorrelateBy);
        Assert.Equal("abc:1", report.Reference);
        Assert.Equal(Enum.Parse<Herald.Core.Messaging.DeliveryState>(state), report.State);
        Assert.Equal(code, report.Code);
    }

    [Fact]
    public void Parse_KaleyraGetQuery_IsRead()
    {
        var request = new DlrRequest(null, "", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["id"] = "abc:1", ["status"] = "Delivered", ["ref"] = "m9" });
        Assert.Equal("m9", Assert.Single(GenericDlrFormat.Instance.Parse(request).Reports).Reference);
    }

    [Fact]
    public void Parse_HugeTs_DoesNotThrow()
    {
        var result = GenericDlrFormat.Instance.Parse(Request("""[{"event":"delivered","data":[{"ts":999999999999999999,"meta":"m"}]}]"""));

        Assert.Null(Assert.Single(result.Reports).OccurredAt);
    }
}
