using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Http;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>What the engine makes of a provider's answer (or of no answer), over real HTTP.</summary>
public sealed class ClassificationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SendResult> SendAsync(StubProvider stub, StubResponse answer, Action<JsonObject>? configure = null)
    {
        stub.RespondWith(answer);
        var settings = Generic.Form(stub.Url());
        configure?.Invoke(settings);
        return await Generic.Sender(settings).SendAsync(Generic.Message(), Ct);
    }

    [Theory]
    [InlineData("""{"id":"abc-123"}""", "abc-123")]
    [InlineData("""{"message_id":"KLR-9f8e7d"}""", "KLR-9f8e7d")]
    [InlineData("""{"messageId":"m-1"}""", "m-1")]
    [InlineData("""{"data":[{"message_id":"d0-1","recipient":"+919812345678"}],"status":"OK"}""", "d0-1")]
    [InlineData("""{"data":[{"id":"d0-id"}]}""", "d0-id")]
    [InlineData("""{"data":{"id":"dd-1"}}""", "dd-1")]
    [InlineData("""{"messages":[{"id":"tw-1"}]}""", "tw-1")]
    [InlineData("""{"result":{"id":"r-1"}}""", "r-1")]
    [InlineData("""{"id":12345}""", "12345")]
    [InlineData("""{"message_id":"","id":"fallback"}""", "fallback")]
    public async Task SendAsync_200WithKnownIdShape_AcceptedWithThatId(string body, string id)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json(body));

        Assert.Equal(new SendOutcome.Accepted(id), result.Outcome);
        Assert.Equal(200, result.Exchange!.Response!.Status);
        Assert.Equal(body, result.Exchange.Response.Body);
        Assert.False(result.Exchange.Response.Truncated);
    }

    [Theory]
    [InlineData(200, "Accepted")]
    [InlineData(201, "")]
    [InlineData(202, "queued")]
    [InlineData(204, "")]
    public async Task SendAsync_2xxNotJson_AcceptedWithoutId(int status, string body)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Text(body, status));

        Assert.Equal(new SendOutcome.Accepted(null), result.Outcome);
        Assert.Equal(status, result.Exchange!.Response!.Status);
    }

    [Theory]
    [InlineData("""{"ok":true}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"broken json""")]
    public async Task SendAsync_2xxJsonWithoutId_AcceptedWithoutId(string body)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json(body));

        Assert.Equal(new SendOutcome.Accepted(null), result.Outcome);
    }

    [Theory]
    [InlineData("result.items[1].ref", """{"id":"not-this","result":{"items":[{"ref":"a"},{"ref":"b-2"}]}}""", "b-2")]
    [InlineData("data[0].message_id", """{"data":[{"message_id":"k-1"}]}""", "k-1")]
    [InlineData("sms.sid", """{"id":"not-this"}""", null)]
    public async Task SendAsync_MessageIdPath_ReadsOnlyThatPath(string path, string body, string? id)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json(body), s => s["response"] = new JsonObject { ["messageIdPath"] = path });

        Assert.Equal(new SendOutcome.Accepted(id), result.Outcome);
    }

    [Theory]
    [InlineData("""OK: queued as ([A-Z0-9]+)""", "OK: queued as ABC123 at 10:00", "ABC123")]
    [InlineData("""^ok:(\w+)|^queued:(\w+)""", "queued:Q77", "Q77")]          // the group that captured, not an empty first group
    [InlineData("""(?<id>[a-f0-9]{8})""", "ref=deadbeef", "deadbeef")]        // a named group is a group too
    [InlineData("""id=(\d*)""", "id=&status=ok", null)]                      // an empty capture is no id
    [InlineData("""ID:\s*(\d+)""", "Status=Sent ID: 998877", "998877")]
    [InlineData("""ID:\s*(\d+)""", "Status=Sent", null)]
    public async Task SendAsync_MessageIdPattern_FirstGroupIsTheId(string pattern, string body, string? id)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Text(body), s => s["response"] = new JsonObject { ["messageIdPattern"] = pattern });

        Assert.Equal(new SendOutcome.Accepted(id), result.Outcome);
    }

    [Fact]
    public async Task SendAsync_400WithNestedErrorMessage_PermanentWithReasonAndCode()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"error":{"code":"E413","message":"bad sender"}}""", 400));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Contains("bad sender", permanent.Reason);
        Assert.Contains("400", permanent.Reason);
        Assert.Equal("400", permanent.Code);
        Assert.Equal(400, result.Exchange!.Response!.Status);
    }

    [Theory]
    [InlineData("""{"error":"invalid number"}""", "invalid number")]
    [InlineData("""{"message":"template not approved"}""", "template not approved")]
    [InlineData("plain text failure", "plain text failure")]
    public async Task SendAsync_4xxErrorShapes_ReasonCarriesTheMessage(string body, string expected)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json(body, 422));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Contains(expected, permanent.Reason);
        Assert.Equal("422", permanent.Code);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(302)]
    public async Task SendAsync_NonRetryableStatus_Permanent(int status)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, new StubResponse { Status = status, Headers = new Dictionary<string, string> { ["Location"] = "https://elsewhere.example/" } });

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), permanent.Code);
        Assert.Single(stub.Requests); // a redirect is not followed
    }

    [Fact]
    public async Task SendAsync_429WithRetryAfterSeconds_TransientWithRetryAfter()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, new StubResponse { Status = 429, Body = """{"message":"slow down"}""", Headers = new Dictionary<string, string> { ["Retry-After"] = "7" } });

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), transient.RetryAfter);
        Assert.Contains("429", transient.Reason);
        Assert.Contains("slow down", transient.Reason);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    public async Task SendAsync_RetryableStatus_Transient(int status)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"error":"try later"}""", status));

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Null(transient.RetryAfter);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), transient.Reason);
        Assert.Contains("try later", transient.Reason);
    }

    [Fact]
    public async Task SendAsync_503WithRetryAfterDate_TransientWithPositiveDelay()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var at = TimeProvider.System.GetUtcNow().AddMinutes(2).ToString("R", System.Globalization.CultureInfo.InvariantCulture);

        var result = await SendAsync(stub, new StubResponse { Status = 503, Headers = new Dictionary<string, string> { ["Retry-After"] = at } });

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.InRange(transient.RetryAfter!.Value, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(121));
    }

    [Fact]
    public async Task SendAsync_ConnectionRefused_TransientWithExchangeError()
    {
        var sender = Generic.Sender(Generic.Form($"http://127.0.0.1:{ClosedPort.Get()}/sms"));

        var result = await sender.SendAsync(Generic.Message(), Ct);

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Equal("could not connect to the provider", transient.Reason);
        Assert.Null(result.Exchange!.Response);
        Assert.False(string.IsNullOrEmpty(result.Exchange.Error));
        Assert.Equal("POST", result.Exchange.Request.Method);
    }

    [Fact]
    public async Task SendAsync_NoAnswerWithinTimeout_TransientMentioningTimeout()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, new StubResponse { Delay = TimeSpan.FromSeconds(5) }, s => s["timeoutSeconds"] = 1);

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Contains("timeout", transient.Reason);
        Assert.Contains("1 s", transient.Reason);
        Assert.Contains("timeout", result.Exchange!.Error);
        Assert.Null(result.Exchange.Response);
        Assert.InRange(result.Exchange.ElapsedMs, 900, 4000);
    }

    [Fact]
    public async Task SendAsync_BodyStallsBeyondTimeout_TransientMentioningTimeout()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, new StubResponse { Body = """{"id":"late"}""", BodyDelay = TimeSpan.FromSeconds(5) }, s => s["timeoutSeconds"] = 1);

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Contains("timeout", transient.Reason);
    }

    [Fact]
    public async Task SendAsync_ConnectionDroppedMidBody_TransientInsteadOfThrowing()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, new StubResponse { Body = """{"id":"cut""", AbortMidBody = true });

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.False(string.IsNullOrEmpty(transient.Reason));
        Assert.False(string.IsNullOrEmpty(result.Exchange!.Error));
    }

    [Fact]
    public async Task SendAsync_CallerCancels_ThrowsOperationCanceled()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(new StubResponse { Delay = TimeSpan.FromSeconds(10) });
        var sender = Generic.Sender(Generic.Form(stub.Url()));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.SendAsync(Generic.Message(), cancel.Token));
    }

    [Fact]
    public async Task SendAsync_PermanentFailurePatternOn200_Permanent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"status":"ERROR","message":"DND number"}"""),
            s => s["response"] = new JsonObject { ["permanentFailurePattern"] = "\"status\":\"ERROR\"" });

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Contains("permanentFailurePattern", permanent.Reason);
        Assert.Contains("DND number", permanent.Reason);
        Assert.Equal("200", permanent.Code);
    }

    [Fact]
    public async Task SendAsync_TransientFailurePatternOn200_TransientHonouringRetryAfter()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub,
            new StubResponse { Body = "ERR: throttled, retry", ContentType = "text/plain", Headers = new Dictionary<string, string> { ["Retry-After"] = "30" } },
            s => s["response"] = new JsonObject { ["transientFailurePattern"] = "^ERR: throttled", ["permanentFailurePattern"] = "^ERR: invalid" });

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Contains("transientFailurePattern", transient.Reason);
        Assert.Equal(TimeSpan.FromSeconds(30), transient.RetryAfter);
    }

    [Fact]
    public async Task SendAsync_PermanentPatternCheckedBeforeTransient_Permanent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Text("ERR: invalid and throttled"),
            s => s["response"] = new JsonObject { ["transientFailurePattern"] = "throttled", ["permanentFailurePattern"] = "invalid" });

        Assert.IsType<SendOutcome.Permanent>(result.Outcome);
    }

    [Fact]
    public async Task SendAsync_SuccessPatternNotMatchedOn200_Permanent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"status":"FAILED","id":"x1"}"""),
            s => s["response"] = new JsonObject { ["successPattern"] = "\"status\":\"OK\"" });

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Contains("successPattern", permanent.Reason);
        Assert.Equal("200", permanent.Code);
    }

    [Fact]
    public async Task SendAsync_SuccessPatternMatchedOn200_AcceptedWithId()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"status":"OK","data":[{"message_id":"k-77"}]}"""),
            s => s["response"] = new JsonObject { ["successPattern"] = "\"status\":\"OK\"" });

        Assert.Equal(new SendOutcome.Accepted("k-77"), result.Outcome);
    }

    [Fact]
    public async Task SendAsync_SuccessPatternSetAnd503_StillTransient()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"status":"DOWN"}""", 503),
            s => s["response"] = new JsonObject { ["successPattern"] = "\"status\":\"OK\"" });

        Assert.IsType<SendOutcome.Transient>(result.Outcome);
    }

    [Fact]
    public async Task SendAsync_PatternThatBacktracksForever_ClassifiedInsteadOfThrowing()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var body = new string('a', 40) + "!";

        var result = await SendAsync(stub, StubResponse.Text(body),
            s => s["response"] = new JsonObject { ["permanentFailurePattern"] = "^(a|aa)+$", ["messageIdPattern"] = "^((a|aa)+)$" });

        Assert.Equal(new SendOutcome.Accepted(null), result.Outcome);
    }

    [Fact]
    public async Task SendAsync_ResponseBodyOver64KiB_TruncatedAndFlagged()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var body = new string('x', ExchangeRecorder.MaxBody + 5000);

        var result = await SendAsync(stub, StubResponse.Text(body, 500));

        var response = result.Exchange!.Response!;
        Assert.True(response.Truncated);
        Assert.Equal(ExchangeRecorder.MaxBody, response.Body.Length);
        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.True(transient.Reason.Length < 1000, "the reason quotes at most a short excerpt of the body");
    }

    [Fact]
    public async Task SendAsync_ResponseBodyExactly64KiB_NotTruncated()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var body = new string('y', ExchangeRecorder.MaxBody);

        var result = await SendAsync(stub, StubResponse.Text(body));

        Assert.False(result.Exchange!.Response!.Truncated);
        Assert.Equal(body, result.Exchange.Response.Body);
    }

    [Fact]
    public async Task SendAsync_ResponseInLatin1Charset_DecodedByCharset()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(new StubResponse { Body = "ok", ContentType = "text/plain; charset=us-ascii" });
        var sender = Generic.Sender(Generic.Form(stub.Url()));

        var result = await sender.SendAsync(Generic.Message(), Ct);

        Assert.Equal("ok", result.Exchange!.Response!.Body);
    }

    [Fact]
    public async Task SendAsync_ResponseHeaders_RecordedInExchange()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, new StubResponse { Body = "{}", Headers = new Dictionary<string, string> { ["X-Request-Id"] = "req-42" } });

        Assert.Contains(result.Exchange!.Response!.Headers, h => h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase) && h.Value == "req-42");
        Assert.Contains(result.Exchange.Response.Headers, h => h.Key == "Content-Type" && h.Value.StartsWith("application/json", StringComparison.Ordinal));
    }
}
