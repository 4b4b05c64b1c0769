using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.GenericHttp;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>Report formats declared in a generic provider's settings, read by the same engine as the presets.</summary>
public class DeclaredReportFormatTests
{
    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);
    private static readonly Dictionary<string, string> NoQuery = new(StringComparer.OrdinalIgnoreCase);

    private static DeclaredReportFormat Format(Action<ReportDeclaration>? change = null)
    {
        var declaration = new ReportDeclaration
        {
            Preset = "custom",
            HeraldId = "ref",
            ProviderId = "msgid",
            Status = "stat",
            ErrorCode = "err",
            ErrorDescription = "desc",
            Time = "done",
            Statuses =
            [
                new() { Match = "DELIVRD", State = "delivered" },
                new() { Match = "/^UNDELIV/", State = "undelivered" },
                new() { Match = "REJECTD", State = "rejected" },
                new() { Match = "ACCEPTD", State = "sent" },
                new() { Match = "CLICKED", State = "event" },
            ],
        };
        change?.Invoke(declaration);
        var errors = new List<string>();
        ReportDeclarations.Validate(declaration, (field, message) => errors.Add($"{field}: {message}"));
        Assert.Empty(errors);
        return new DeclaredReportFormat(declaration);
    }

    private static Dictionary<string, string> Query(string query) =>
        query.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]), StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Parse_Query_ReportByHeraldIdWithProviderIdAsFallback()
    {
        var report = Assert.Single(Format().Parse(new DlrRequest(null, "", Query("ref=m1&msgid=p-9&stat=DELIVRD&err=000&done=2026-12-01T10:00:00Z"))).Reports);

        Assert.Equal(("m1", DlrCorrelation.HeraldMessageId, "p-9"), (report.Reference, report.CorrelateBy, report.AlternateProviderMessageId));
        Assert.Equal(DeliveryState.Delivered, report.State);
        Assert.Equal("000", report.Code);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), report.OccurredAt);
    }

    [Fact]
    public void Parse_FormWithProviderIdOnly_ReportByProviderId()
    {
        var report = Assert.Single(Format(d => d.Source = "form")
            .Parse(new DlrRequest("application/x-www-form-urlencoded", "msgid=p-1&stat=UNDELIVERED&err=012&desc=Absent+subscriber&done=1764583200", NoQuery)).Reports);

        Assert.Equal(("p-1", DlrCorrelation.ProviderMessageId), (report.Reference, report.CorrelateBy));
        Assert.Equal(DeliveryState.Undelivered, report.State);
        Assert.Equal("UNDELIVERED", report.Event);
        Assert.Equal(("012", "Absent subscriber"), (report.Code, report.Description));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764583200), report.OccurredAt);
    }

    [Fact]
    public void Parse_JsonArrayAtPath_EveryRecordRead()
    {
        var body = """
            {"count": 3, "results": [
              {"ref": "m1", "stat": "DELIVRD"},
              {"ref": "m2", "stat": "rejectd", "err": 21},
              {"ref": "m3", "stat": "CLICKED"}]}
            """;

        var result = Format(d => d.Records = "results").Parse(new DlrRequest("application/json", body, NoQuery));

        Assert.Empty(result.Unprocessed);
        Assert.Equal([DeliveryState.Delivered, DeliveryState.Rejected, null], result.Reports.Select(r => r.State));
        Assert.Equal("21", result.Reports[1].Code);
    }

    [Fact]
    public void Parse_JsonFieldPathsAndAlternatives_Read()
    {
        var format = Format(d =>
        {
            d.HeraldId = "meta.ref|reference";
            d.Status = "status.name";
        });

        var result = format.Parse(new DlrRequest("application/json", """[{"meta":{"ref":"m1"},"status":{"name":"DELIVRD"}},{"reference":"m2","status":{"name":"ACCEPTD"}}]""", NoQuery));

        Assert.Equal(["m1", "m2"], result.Reports.Select(r => r.Reference));
        Assert.Equal([DeliveryState.Delivered, DeliveryState.Sent], result.Reports.Select(r => r.State));
    }

    [Fact]
    public void Parse_UnknownStatus_UnprocessedNamingTheValueAndTheKnownOnes()
    {
        var result = Format().Parse(new DlrRequest(null, "", Query("ref=m1&stat=ENROUTE")));

        Assert.Empty(result.Reports);
        var problem = Assert.Single(result.Unprocessed);
        Assert.Equal("unknown_stat", problem.Code);
        Assert.Contains("'ENROUTE'", problem.Error, StringComparison.Ordinal);
        Assert.Contains("DELIVRD", problem.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownStatusWithDefaultState_ReadAsThatState()
    {
        var report = Assert.Single(Format(d => d.UnknownStatus = "failed").Parse(new DlrRequest(null, "", Query("ref=m1&stat=WEIRD"))).Reports);

        Assert.Equal(DeliveryState.Failed, report.State);
        Assert.Equal("WEIRD", report.Event);
    }

    [Fact]
    public void Parse_MissingIds_UnprocessedSayingWhichFields()
    {
        var problem = Assert.Single(Format().Parse(new DlrRequest(null, "", Query("stat=DELIVRD"))).Unprocessed);

        Assert.Equal("missing_id", problem.Code);
        Assert.Contains("msgid", problem.Error, StringComparison.Ordinal);
        Assert.Contains("ref", problem.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingStatus_UnprocessedNamingTheField()
    {
        var problem = Assert.Single(Format().Parse(new DlrRequest(null, "", Query("ref=m1"))).Unprocessed);

        Assert.Equal("missing_stat", problem.Code);
    }

    [Fact]
    public void Parse_DetailCondition_PicksTheRuleAndItsCode()
    {
        var format = Format(d => d.Statuses.Insert(0, new StatusRule { Match = "/^UNDELIV/", Detail = "^(1|13)$", State = "rejected", Code = "901" }));

        var result = format.Parse(new DlrRequest("application/json", """[{"ref":"a","stat":"UNDELIV","err":"13"},{"ref":"b","stat":"UNDELIV","err":"5"}]""", NoQuery));

        Assert.Equal([DeliveryState.Rejected, DeliveryState.Undelivered], result.Reports.Select(r => r.State));
        Assert.Equal(["901", "5"], result.Reports.Select(r => r.Code));
    }

    [Fact]
    public void Parse_QuerySourceWithoutQuery_SaysWhereTheFieldsShouldBe()
    {
        var ex = Assert.Throws<DlrFormatException>(() => Format(d => d.Source = "query").Parse(new DlrRequest("application/json", "{}", NoQuery)));

        Assert.Contains("query string", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stat", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonWithoutTheRecordsPath_Unprocessed()
    {
        var problem = Assert.Single(Format(d => d.Records = "results").Parse(new DlrRequest("application/json", """{"other":[]}""", NoQuery)).Unprocessed);

        Assert.Equal("invalid_body", problem.Code);
        Assert.Contains("\"results\"", problem.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", DeliveryState.Delivered)]
    [InlineData("2", DeliveryState.Undelivered)]
    [InlineData("8", DeliveryState.Sent)]
    [InlineData("16", DeliveryState.Rejected)]
    public void KannelPreset_DlrTypes_MapToStates(string type, DeliveryState state)
    {
        var format = new DeclaredReportFormat(ReportPresets.Kannel);

        var report = Assert.Single(format.Parse(new DlrRequest(null, "", Query($"id=m1&status={type}&answer=ACK%2F&smsc-id=OP-1&at=1796628408"))).Reports);

        Assert.Equal(("m1", "OP-1", state), (report.Reference, report.AlternateProviderMessageId, report.State));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796628408), report.OccurredAt);
    }

    [Fact]
    public void KannelPreset_Buffered_TimelineOnly()
    {
        var report = Assert.Single(new DeclaredReportFormat(ReportPresets.Kannel).Parse(new DlrRequest(null, "", Query("id=m1&status=4"))).Reports);

        Assert.Null(report.State);
    }

    [Fact]
    public void KannelPreset_AnswersOk()
    {
        var format = ReportDeclarations.FormatOf(new ReportDeclaration { Preset = "kannel" });

        Assert.Equal(new Herald.Providers.Abstractions.CallbackReply(200, "OK", "text/plain"), format.Reply);
        Assert.Equal(400, format.UnusableStatus);
    }

    [Fact]
    public void FormatOf_PresetWithOwnAnswer_KeepsThePresetsFieldsAndTakesTheAnswer()
    {
        var format = ReportDeclarations.FormatOf(new ReportDeclaration { Preset = "clevertap", Answer = new() { Status = 202, Body = "{\"ok\":true}" } });

        Assert.Equal(new Herald.Providers.Abstractions.CallbackReply(202, "{\"ok\":true}", "application/json"), format.Reply);
        Assert.Single(format.Parse(new DlrRequest("application/json", """[{"event":"delivered","data":[{"meta":"m"}]}]""", NoQuery)).Reports);
    }

    [Fact]
    public void FormatOf_NoDeclaration_CleverTapOrKaleyraAsAlways()
    {
        Assert.Same(GenericDlrFormat.Instance, ReportDeclarations.FormatOf(null));
    }

    public static TheoryData<string, string> BadDeclarations() => new()
    {
        { """{"preset":"mystery"}""", "settings.reports.preset" },
        { """{"preset":"kannel","status":"x"}""", "settings.reports.preset" },
        { """{"status":"s","statuses":[{"match":"1","state":"delivered"}]}""", "settings.reports.heraldId" },
        { """{"heraldId":"id","statuses":[{"match":"1","state":"delivered"}]}""", "settings.reports.status" },
        { """{"heraldId":"id","status":"s","statuses":[]}""", "settings.reports.statuses" },
        { """{"heraldId":"id","status":"s","statuses":[{"match":"1","state":"arrived"}]}""", "settings.reports.statuses[0].state" },
        { """{"heraldId":"id","status":"s","statuses":[{"match":"/([/","state":"sent"}]}""", "settings.reports.statuses[0].match" },
        { """{"heraldId":"id","status":"s","statuses":[{"match":"","state":"sent"}]}""", "settings.reports.statuses[0].match" },
        { """{"heraldId":"id","status":"s","source":"xml","statuses":[{"match":"1","state":"sent"}]}""", "settings.reports.source" },
        { """{"heraldId":"id","status":"s","source":"query","records":"data","statuses":[{"match":"1","state":"sent"}]}""", "settings.reports.records" },
        { """{"heraldId":"id","status":"s","records":"a..b","statuses":[{"match":"1","state":"sent"}]}""", "settings.reports.records" },
        { """{"heraldId":"id","status":"s","unknownStatus":"lost","statuses":[{"match":"1","state":"sent"}]}""", "settings.reports.unknownStatus" },
        { """{"preset":"kannel","answer":{"status":500}}""", "settings.reports.answer.status" },
        { """{"preset":"kannel","answer":{"contentType":"plain"}}""", "settings.reports.answer.contentType" },
    };

    [Theory]
    [MemberData(nameof(BadDeclarations))]
    public void Validate_BadDeclaration_ErrorOnTheField(string json, string field)
    {
        var declaration = System.Text.Json.JsonSerializer.Deserialize<ReportDeclaration>(json, WebJson)!;
        var errors = new Dictionary<string, string>();

        ReportDeclarations.Validate(declaration, (f, m) => errors.TryAdd(f, m));

        Assert.True(errors.ContainsKey(field), $"Expected an error on {field}, got: {string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}"))}");
    }
}
