using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Kaleyra;

/// <summary>What a kaleyra provider makes of Kaleyra's answer (or of no answer), over real HTTP.</summary>
public sealed class KaleyraClassificationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SendResult> SendAsync(StubProvider stub, StubResponse answer, Action<JsonObject>? configure = null)
    {
        stub.RespondWith(answer);
        var settings = KaleyraFixture.Settings(stub);
        configure?.Invoke(settings);
        return await KaleyraFixture.Sender(settings).SendAsync(KaleyraFixture.Message(), Ct);
    }

    [Fact]
    public async Task SendAsync_200WithDocumentedSuccessBody_AcceptedWithPerRecipientMessageId()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(request => KaleyraFixture.Success(request, "648a5d1c5e7f4b2a9c0d1e2f3a4bb391"));

        var result = await KaleyraFixture.Sender(KaleyraFixture.Settings(stub)).SendAsync(KaleyraFixture.Message(), Ct);

        Assert.Equal(new SendOutcome.Accepted("648a5d1c5e7f4b2a9c0d1e2f3a4bb391:1"), result.Outcome);
        Assert.Equal(200, result.Exchange!.Response!.Status);
        Assert.Contains("\"recipient\":\"919812345678\"", result.Exchange.Response.Body);
    }

    [Fact]
    public async Task SendAsync_200WithoutData_AcceptedWithTopLevelId()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"id":"648a-only","error":{}}"""));

        Assert.Equal(new SendOutcome.Accepted("648a-only"), result.Outcome);
    }

    [Fact]
    public async Task SendAsync_200NotJson_AcceptedWithoutId()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Text("OK"));

        Assert.Equal(new SendOutcome.Accepted(null), result.Outcome);
    }

    [Fact]
    public async Task SendAsync_400WithKaleyraError_PermanentWithItsMessageAndCode()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"error":{"code":"E413","message":"Invalid template"}}""", 400));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Contains("Invalid template", permanent.Reason);
        Assert.Contains("400", permanent.Reason);
        Assert.Equal("E413", permanent.Code);
        Assert.Equal(400, result.Exchange!.Response!.Status);
    }

    [Theory]
    [InlineData("""{"error":{"message":"to is required"}}""", "to is required")]
    [InlineData("""{"message":"bad sender"}""", "bad sender")]
    [InlineData("Bad Request", "Bad Request")]
    public async Task SendAsync_400WithoutErrorCode_PermanentWithCode400(string body, string reason)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json(body, 400));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Contains(reason, permanent.Reason);
        Assert.Equal("400", permanent.Code);
    }

    [Fact]
    public async Task SendAsync_400NumericErrorCode_CodeAsText()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"error":{"code":1001,"message":"Invalid number"}}""", 400));

        Assert.Equal("1001", Assert.IsType<SendOutcome.Permanent>(result.Outcome).Code);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task SendAsync_CredentialsRefused_PermanentSayingToCheckApiKeyAndSid(int status)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"error":{"code":"E101","message":"Authentication failed"}}""", status));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.StartsWith("credentials rejected by Kaleyra: check apiKey and sid", permanent.Reason);
        Assert.Contains("Authentication failed", permanent.Reason);
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), permanent.Code);
    }

    [Fact]
    public async Task SendAsync_404_PermanentPointingAtSid()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"error":{"code":"E404","message":"Unknown sid"}}""", 404));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Contains("check sid", permanent.Reason);
        Assert.Contains("Unknown sid", permanent.Reason);
    }

    [Fact]
    public async Task SendAsync_429WithRetryAfter_TransientWithThatDelay()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var answer = StubResponse.Json("""{"error":{"message":"Too many requests"}}""", 429) with
        {
            Headers = new Dictionary<string, string> { ["Retry-After"] = "7" },
        };

        var result = await SendAsync(stub, answer);

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), transient.RetryAfter);
        Assert.Contains("429", transient.Reason);
        Assert.Contains("Too many requests", transient.Reason);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task SendAsync_5xx_Transient(int status)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"error":{"message":"Service unavailable"}}""", status));

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), transient.Reason);
        Assert.Null(transient.RetryAfter);
    }

    [Fact]
    public async Task SendAsync_NoAnswerWithinTimeout_TransientMentioningTimeout()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("{}") with { Delay = TimeSpan.FromSeconds(10) }, s => s["timeoutSeconds"] = 1);

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Contains("timeout", transient.Reason);
        Assert.Null(result.Exchange!.Response);
        Assert.Contains("timeout", result.Exchange.Error);
    }

    [Fact]
    public async Task SendAsync_NobodyListening_TransientConnectionFailure()
    {
        var settings = KaleyraFixture.Settings($"http://127.0.0.1:{ClosedPort.Get()}");
        settings["allowCustomHost"] = true;

        var result = await KaleyraFixture.Sender(settings).SendAsync(KaleyraFixture.Message(), Ct);

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Equal("could not connect to the provider", transient.Reason);
    }
}
