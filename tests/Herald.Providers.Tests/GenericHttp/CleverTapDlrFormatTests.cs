using System.Text.Json;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.GenericHttp;

namespace Herald.Providers.Tests.GenericHttp;

public class CleverTapDlrFormatTests
{
    // The sample body of protocols.md §2, with real ids in place of <$$MessageID>.
    private const string SampleBody = """
        [{"event":"delivered","data":[{"ts":1654512921,"meta":"msg-1","description":"Delivered to handset"}]},
         {"event":"failed","data":[{"ts":1654512921,"meta":"msg-2","code":"901","description":"DND Failure"}]},
         {"event":"clicked","data":[{"ts":1654512999,"meta":"msg-3","url":"https://shop.example/cart","shortUrl":"https://h.example/x1"}]},
         {"event":"replied","data":[{"ts":1654513000,"meta":"msg-4","toPhone":"+91...","incomingText":"STOP"}]}]
        """;

    private static DlrParseResult Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return CleverTapDlrFormat.Parse(document.RootElement);
    }

    private static string Failed(string code) =>
        $$"""[{"event":"failed","data":[{"ts":1654512921,"meta":"m","code":"{{code}}","description":"x"}]}]""";

    [Fact]
    public void Parse_SampleBody_FourEvents()
    {
        var result = Parse(SampleBody);

        Assert.Empty(result.Unprocessed);
        Assert.Equal(4, result.Reports.Count);
        Assert.All(result.Reports, r => Assert.Equal(DlrCorrelation.HeraldMessageId, r.CorrelateBy));
        Assert.Equal(["msg-1", "msg-2", "msg-3", "msg-4"], result.Reports.Select(r => r.Reference));
        Assert.Equal(["delivered", "failed", "clicked", "replied"], result.Reports.Select(r => r.Event));
    }

    [Fact]
    public void Parse_SampleDelivered_DeliveredWithTimeAndDescription()
    {
        var delivered = Parse(SampleBody).Reports[0];

        Assert.Equal(DeliveryState.Delivered, delivered.State);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1654512921), delivered.OccurredAt);
        Assert.Equal("Delivered to handset", delivered.Description);
        Assert.Null(delivered.Code);
        Assert.Contains("\"meta\":\"msg-1\"", delivered.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SampleFailed901_RejectedWithCode()
    {
        var failed = Parse(SampleBody).Reports[1];

        Assert.Equal(DeliveryState.Rejected, failed.State);
        Assert.Equal("901", failed.Code);
        Assert.Equal("DND Failure", failed.Description);
    }

    [Fact]
    public void Parse_SampleClickedAndReplied_TimelineOnlyNoState()
    {
        var result = Parse(SampleBody);

        Assert.Null(result.Reports[2].State);
        Assert.Null(result.Reports[3].State);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1654512999), result.Reports[2].OccurredAt);
        Assert.Contains("incomingText", result.Reports[3].Raw, StringComparison.Ordinal);
    }

    public static TheoryData<string, DeliveryState> FailureCodes()
    {
        var data = new TheoryData<string, DeliveryState>();
        for (var code = 900; code <= 920; code++)
        {
            var state = code switch
            {
                901 or 906 or 907 or 908 or 913 or 920 => DeliveryState.Rejected,
                916 or 917 => DeliveryState.Expired,
                914 => DeliveryState.Undelivered,
                _ => DeliveryState.Failed,
            };
            data.Add(code.ToString(System.Globalization.CultureInfo.InvariantCulture), state);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FailureCodes))]
    public void StateForFailureCode_EveryCode_MapsPerProtocolTable(string code, DeliveryState expected)
    {
        Assert.Equal(expected, CleverTapDlrFormat.StateForFailureCode(code));
    }

    [Theory]
    [MemberData(nameof(FailureCodes))]
    public void Parse_FailedEveryCode_MapsPerProtocolTable(string code, DeliveryState expected)
    {
        var report = Assert.Single(Parse(Failed(code)).Reports);

        Assert.Equal(expected, report.State);
        Assert.Equal(code, report.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("999")]
    [InlineData("abc")]
    public void StateForFailureCode_UnknownCode_Failed(string? code)
    {
        Assert.Equal(DeliveryState.Failed, CleverTapDlrFormat.StateForFailureCode(code));
    }

    [Fact]
    public void StateForFailureCode_Whitespace_Trimmed()
    {
        Assert.Equal(DeliveryState.Undelivered, CleverTapDlrFormat.StateForFailureCode(" 914 "));
    }

    [Fact]
    public void Parse_NumericCode_Read()
    {
        var report = Assert.Single(Parse("""[{"event":"failed","data":[{"ts":1,"meta":"m","code":916}]}]""").Reports);

        Assert.Equal("916", report.Code);
        Assert.Equal(DeliveryState.Expired, report.State);
    }

    [Theory]
    [InlineData("""{"ts":1654512921,"description":"Delivered"}""")]
    [InlineData("""{"ts":1654512921,"meta":""}""")]
    [InlineData("""{"ts":1654512921,"meta":"  "}""")]
    [InlineData("""{"ts":1654512921,"meta":null}""")]
    public void Parse_MissingMeta_UnprocessedWithHelpfulError(string record)
    {
        var result = Parse($$"""[{"event":"delivered","data":[{{record}}]}]""");

        Assert.Empty(result.Reports);
        var problem = Assert.Single(result.Unprocessed);
        Assert.Equal("missing_meta", problem.Code);
        Assert.Contains("meta", problem.Error, StringComparison.Ordinal);
        Assert.Contains("$$MessageID", problem.Error, StringComparison.Ordinal);
        Assert.Equal(record, problem.Record);
    }

    [Fact]
    public void Parse_FailedWithoutCode_UnprocessedWithHelpfulError()
    {
        var result = Parse("""[{"event":"failed","data":[{"ts":1654512921,"meta":"m","description":"x"}]}]""");

        Assert.Empty(result.Reports);
        var problem = Assert.Single(result.Unprocessed);
        Assert.Equal("missing_code", problem.Code);
        Assert.Contains("code", problem.Error, StringComparison.Ordinal);
        Assert.Contains("failed", problem.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownEvent_UnprocessedNamingEventAndKnownOnes()
    {
        var result = Parse("""[{"event":"opened","data":[{"ts":1654512921,"meta":"m"}]}]""");

        var problem = Assert.Single(result.Unprocessed);
        Assert.Equal("unknown_event", problem.Code);
        Assert.Contains("'opened'", problem.Error, StringComparison.Ordinal);
        Assert.Contains("delivered, failed, clicked or replied", problem.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EventCaseAndSpaces_Normalised()
    {
        var report = Assert.Single(Parse("""[{"event":" Delivered ","data":[{"ts":1,"meta":" m-1 "}]}]""").Reports);

        Assert.Equal("delivered", report.Event);
        Assert.Equal(DeliveryState.Delivered, report.State);
        Assert.Equal("m-1", report.Reference);
    }

    [Fact]
    public void Parse_TsInMilliseconds_SameInstant()
    {
        var report = Assert.Single(Parse("""[{"event":"delivered","data":[{"ts":1654512921123,"meta":"m"}]}]""").Reports);

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1654512921123), report.OccurredAt);
    }

    [Fact]
    public void Parse_TsAsString_Read()
    {
        var report = Assert.Single(Parse("""[{"event":"delivered","data":[{"ts":"1654512921","meta":"m"}]}]""").Reports);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1654512921), report.OccurredAt);
    }

    [Theory]
    [InlineData("\"yesterday\"")]
    [InlineData("1654512921.5")]
    [InlineData("null")]
    [InlineData("-5")]
    [InlineData("99999999999999999")]
    [InlineData("9223372036854775807")]
    public void Parse_TsMissingOrUnusable_ReportKeptWithoutTime(string ts)
    {
        var report = Assert.Single(Parse($$"""[{"event":"delivered","data":[{"ts":{{ts}},"meta":"m"}]}]""").Reports);

        Assert.Null(report.OccurredAt);
        Assert.Equal(DeliveryState.Delivered, report.State);
    }

    [Fact]
    public void Parse_NoTs_ReportKeptWithoutTime()
    {
        var report = Assert.Single(Parse("""[{"event":"delivered","data":[{"meta":"m"}]}]""").Reports);

        Assert.Null(report.OccurredAt);
    }

    [Fact]
    public void Parse_NumericMeta_ReadAsText()
    {
        var report = Assert.Single(Parse("""[{"event":"delivered","data":[{"ts":1654512921,"meta":123456789}]}]""").Reports);

        Assert.Equal("123456789", report.Reference);
    }

    [Fact]
    public void Parse_SingleGroupObject_Read()
    {
        var json = """{"event":"delivered","data":[{"ts":1654512921,"meta":"a"},{"ts":1654512922,"meta":"b"}]}""";
        using var document = JsonDocument.Parse(json);

        Assert.True(CleverTapDlrFormat.Matches(document.RootElement));
        var result = CleverTapDlrFormat.Parse(document.RootElement);
        Assert.Equal(["a", "b"], result.Reports.Select(r => r.Reference));
    }

    [Theory]
    [InlineData("""{"status":"Delivered"}""")]
    [InlineData("""{"event":"delivered"}""")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void Matches_NotThisFormat_False(string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.False(CleverTapDlrFormat.Matches(document.RootElement));
    }

    [Theory]
    [InlineData("[42]")]
    [InlineData("""[{"data":[]}]""")]
    [InlineData("""[{"event":"delivered"}]""")]
    [InlineData("""[{"event":"delivered","data":{"meta":"m"}}]""")]
    [InlineData("""[{"event":7,"data":[]}]""")]
    public void Parse_InvalidGroup_UnprocessedExplainingShape(string json)
    {
        var result = Parse(json);

        Assert.Empty(result.Reports);
        var problem = Assert.Single(result.Unprocessed);
        Assert.Equal("invalid_group", problem.Code);
        Assert.Contains("\"data\"", problem.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RecordNotObject_Unprocessed()
    {
        var problem = Assert.Single(Parse("""[{"event":"delivered","data":["m"]}]""").Unprocessed);

        Assert.Equal("invalid_record", problem.Code);
    }

    [Fact]
    public void Parse_MixedGoodAndBad_KeepsGoodReportsBadAsUnprocessed()
    {
        var result = Parse("""
            [{"event":"delivered","data":[{"ts":1,"meta":"ok-1"},{"ts":1}]},
             {"event":"failed","data":[{"ts":1,"meta":"ok-2","code":"914"},{"ts":1,"meta":"bad"}]}]
            """);

        Assert.Equal(["ok-1", "ok-2"], result.Reports.Select(r => r.Reference));
        Assert.Equal(["missing_meta", "missing_code"], result.Unprocessed.Select(u => u.Code));
    }

    [Fact]
    public void Parse_EmptyArray_NothingToDo()
    {
        var result = Parse("[]");

        Assert.Empty(result.Reports);
        Assert.Empty(result.Unprocessed);
    }
}
