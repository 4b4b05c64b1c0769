using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;
using Herald.Providers.Twilio;

namespace Herald.Providers.Tests.Twilio;

/// <summary>Twilio's status callbacks: the form Twilio posts, read into reports, and its signature checked.</summary>
public sealed class TwilioReportFormatTests
{
    private const string Form = "application/x-www-form-urlencoded";
    private static readonly Dictionary<string, string> NoQuery = new(StringComparer.OrdinalIgnoreCase);

    private static string Callback(string status, string? errorCode = null) =>
        $"AccountSid={TwilioFixture.AccountSid}&ApiVersion=2010-04-01{(errorCode is null ? "" : "&ErrorCode=" + errorCode)}&From=%2B15005550006"
        + $"&MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus={status}&SmsSid=SM0123456789abcdef0123456789abcdef&SmsStatus={status}&To=%2B14155550100";

    private static DlrParseResult Parse(string body, IReadOnlyDictionary<string, string>? query = null, string? contentType = Form) =>
        TwilioFixture.Kind.Reports.Parse(new DlrRequest(contentType, body, query ?? NoQuery));

    [Theory]
    [InlineData("queued", null)]
    [InlineData("accepted", null)]
    [InlineData("sending", null)]
    [InlineData("sent", DeliveryState.Sent)]
    [InlineData("delivered", DeliveryState.Delivered)]
    [InlineData("read", DeliveryState.Delivered)]
    [InlineData("undelivered", DeliveryState.Undelivered)]
    [InlineData("failed", DeliveryState.Failed)]
    [InlineData("canceled", DeliveryState.Failed)]
    public void Parse_EachStatus_MapsToHeraldsState(string status, DeliveryState? expected)
    {
        var report = Assert.Single(Parse(Callback(status)).Reports);

        Assert.Equal(expected, report.State);
        Assert.Equal(status, report.Event);
        Assert.Equal("SM0123456789abcdef0123456789abcdef", report.Reference);
        Assert.Equal(DlrCorrelation.ProviderMessageId, report.CorrelateBy);
    }

    [Fact]
    public void Parse_UndeliveredWithErrorCode_KeepsTheCodeAndSaysWhatItMeans()
    {
        var report = Assert.Single(Parse(Callback("undelivered", "30003")).Reports);

        Assert.Equal(DeliveryState.Undelivered, report.State);
        Assert.Equal("30003", report.Code);
        Assert.Equal("unreachable destination handset", report.Description);
    }

    [Theory]
    [InlineData("failed", "30007")]
    [InlineData("undelivered", "21610")]
    public void Parse_CarrierFilterOrOptOut_Rejected(string status, string code)
    {
        Assert.Equal(DeliveryState.Rejected, Assert.Single(Parse(Callback(status, code)).Reports).State);
    }

    [Fact]
    public void Parse_RefInTheStatusCallbackUrl_CorrelatesOnHeraldsIdWithTheSidAsFallback()
    {
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["ref"] = "msg_01TWL" };

        var report = Assert.Single(Parse(Callback("delivered"), query).Reports);

        Assert.Equal("msg_01TWL", report.Reference);
        Assert.Equal(DlrCorrelation.HeraldMessageId, report.CorrelateBy);
        Assert.Equal("SM0123456789abcdef0123456789abcdef", report.AlternateProviderMessageId);
    }

    [Fact]
    public void Parse_UnknownStatus_UnprocessedNamingIt()
    {
        var result = Parse(Callback("teleported"));

        Assert.Empty(result.Reports);
        var unprocessed = Assert.Single(result.Unprocessed);
        Assert.Equal("unknown_status", unprocessed.Code);
        Assert.Contains("teleported", unprocessed.Error);
    }

    [Fact]
    public void Parse_NoStatus_UnprocessedMissingStatus()
    {
        Assert.Equal("missing_status", Assert.Single(Parse("MessageSid=SM1&To=%2B14155550100").Unprocessed).Code);
    }

    [Theory]
    [InlineData("""{"MessageSid":"SM1","MessageStatus":"delivered"}""", "application/json")]
    [InlineData("", Form)]
    [InlineData("id=kal-1&status=Delivered", Form)]
    public void Parse_NotATwilioCallback_RefusedSayingWhatTwilioSends(string body, string contentType)
    {
        var ex = Assert.Throws<DlrFormatException>(() => Parse(body, contentType: contentType));

        Assert.Contains("MessageSid and MessageStatus", ex.Message);
    }

    private static DlrCallback Signed(string url, string body, string? signature) =>
        new(new Uri(url), "POST", name => name == TwilioSignature.Header ? signature : null, new DlrRequest(Form, body, NoQuery));

    private static string Sign(string url, string body, string token = TwilioFixture.AuthToken) =>
        TwilioSignature.Compute(token, url, body.Split('&').Select(p => p.Split('=')).Select(p => new KeyValuePair<string, string>(Uri.UnescapeDataString(p[0]), Uri.UnescapeDataString(p[1]))));

    [Fact]
    public void Verify_SignedWithTheAuthTokenOverTheUrlAndForm_Accepted()
    {
        const string url = "https://herald.example/dlr/prv_twl/t0ken?ref=msg_01TWL";
        var body = Callback("delivered");

        Assert.Null(TwilioFixture.Kind.Reports.Verify(Signed(url, body, Sign(url, body)), () => TwilioFixture.Read(TwilioFixture.Settings())));
    }

    [Fact]
    public void Verify_SignedWithAnotherToken_RefusedNamingTheHeader()
    {
        const string url = "https://herald.example/dlr/prv_twl/t0ken?ref=msg_01TWL";
        var body = Callback("delivered");

        var refusal = TwilioFixture.Kind.Reports.Verify(Signed(url, body, Sign(url, body, "another-token")), () => TwilioFixture.Read(TwilioFixture.Settings()));

        Assert.NotNull(refusal);
        Assert.Contains("X-Twilio-Signature does not match", refusal);
        Assert.DoesNotContain(TwilioFixture.AuthToken, refusal);
    }

    [Fact]
    public void Verify_BodyChangedAfterSigning_Refused()
    {
        const string url = "https://herald.example/dlr/prv_twl/t0ken";
        var signature = Sign(url, Callback("failed", "30003"));

        Assert.NotNull(TwilioFixture.Kind.Reports.Verify(Signed(url, Callback("delivered"), signature), () => TwilioFixture.Read(TwilioFixture.Settings())));
    }

    [Fact]
    public void Verify_NoSignature_RefusedSayingOnlySignedCallbacksAreTaken()
    {
        var refusal = TwilioFixture.Kind.Reports.Verify(Signed("https://herald.example/dlr/prv_twl/t0ken", Callback("delivered"), null),
            () => TwilioFixture.Read(TwilioFixture.Settings()));

        Assert.Contains("no X-Twilio-Signature header", refusal);
    }
}
