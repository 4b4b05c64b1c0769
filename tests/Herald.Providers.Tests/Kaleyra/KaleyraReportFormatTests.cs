using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;

namespace Herald.Providers.Tests.Kaleyra;

/// <summary>The reports a Kaleyra provider takes: Kaleyra's callback fields as a query string, a form or JSON, and nothing else.</summary>
public class KaleyraReportFormatTests
{
    private static DlrParseResult Parse(string body, string? contentType = "application/json", Dictionary<string, string>? query = null) =>
        KaleyraFixture.Kind.Reports.Parse(new DlrRequest(contentType, body, query ?? new Dictionary<string, string>()));

    [Fact]
    public void Parse_Form_ReportsByHeraldIdWithKaleyrasIdAsFallback()
    {
        var report = Assert.Single(Parse("id=abc%3A1&status=Delivered&status_details=DELIVRD&ref=m1", "application/x-www-form-urlencoded").Reports);

        Assert.Equal(("m1", DlrCorrelation.HeraldMessageId, DeliveryState.Delivered), (report.Reference, report.CorrelateBy, report.State));
        Assert.Equal("abc:1", report.AlternateProviderMessageId);
    }

    [Fact]
    public void Parse_QueryStringWithoutBody_Reports()
    {
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["id"] = "abc:1", ["status"] = "Failed", ["status_details"] = "CON-DND" };

        var report = Assert.Single(Parse("", null, query).Reports);

        Assert.Equal(("abc:1", DlrCorrelation.ProviderMessageId, DeliveryState.Rejected), (report.Reference, report.CorrelateBy, report.State));
    }

    [Fact]
    public void Parse_JsonArray_ReportsEachRecord()
    {
        var result = Parse("""[{"id":"a:1","status":"Delivered","ref":"m1"},{"id":"a:2","status":"Sent","ref":"m2"}]""");

        Assert.Equal([DeliveryState.Delivered, DeliveryState.Sent], result.Reports.Select(r => r.State));
    }

    [Fact]
    public void Parse_CleverTapsFormat_IsRefusedNamingKaleyrasFields()
    {
        var ex = Assert.Throws<DlrFormatException>(() => Parse("""[{"event":"delivered","data":[{"ts":1654512921,"meta":"m"}]}]"""));

        Assert.Contains("Kaleyra", ex.Message);
        Assert.Contains("status", ex.Message);
    }

    [Fact]
    public void Parse_MalformedJson_SaysSo() =>
        Assert.Contains("JSON", Assert.Throws<DlrFormatException>(() => Parse("""{"id":""")).Message);
}
