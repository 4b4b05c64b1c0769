using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Twilio;

/// <summary>What a twilio provider makes of Twilio's answer, over real HTTP.</summary>
public sealed class TwilioClassificationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SendResult> SendAsync(StubProvider stub, StubResponse answer)
    {
        stub.RespondWith(answer);
        return await TwilioFixture.Sender(TwilioFixture.Settings(stub)).SendAsync(TwilioFixture.Message(), Ct);
    }

    [Fact]
    public async Task SendAsync_201Queued_AcceptedWithTheSid()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, TwilioFixture.Created("SMaaaabbbbccccddddeeeeffff00001111"));

        Assert.Equal(new SendOutcome.Accepted("SMaaaabbbbccccddddeeeeffff00001111"), result.Outcome);
        Assert.Equal(201, result.Exchange!.Response!.Status);
    }

    [Fact]
    public async Task SendAsync_201AlreadyFailed_PermanentWithItsErrorCode()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Json("""{"sid":"SM1","status":"failed","error_code":30007,"error_message":"Carrier violation"}""", 201));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Equal("30007", permanent.Code);
        Assert.Contains("Carrier violation", permanent.Reason);
    }

    // The classification table: Twilio's 4xx error codes are permanent, naming the code and what it means.
    [Theory]
    [InlineData(400, 21211, "Invalid 'To' Phone Number: +1415", "invalid 'To' phone number")]
    [InlineData(400, 21610, "Attempt to send to unsubscribed recipient", "unsubscribed")]
    [InlineData(400, 21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number", "region")]
    [InlineData(400, 21614, "'To' number is not a valid mobile number", "not a valid mobile number")]
    [InlineData(400, 21606, "The 'From' phone number provided is not a valid message-capable Twilio phone number.", "From")]
    [InlineData(401, 20003, "Authenticate", "check accountSid and authToken")]
    [InlineData(404, 20404, "The requested resource was not found", "check accountSid and host")]
    public async Task SendAsync_ErrorCode_Permanent(int status, int code, string message, string reasonPart)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, TwilioFixture.Error(status, code, message));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), permanent.Code);
        Assert.Contains(reasonPart, permanent.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"Twilio error {code}", permanent.Reason);
    }

    [Theory]
    [InlineData(429, 20429, "Too Many Requests")]
    [InlineData(400, 14107, "SMS send rate limit exceeded")]
    [InlineData(400, 21611, "This 'From' number has exceeded the maximum number of queued messages")]
    [InlineData(500, 20500, "Internal Server Error")]
    [InlineData(503, 20503, "Service Unavailable")]
    public async Task SendAsync_RateOrServerTrouble_TransientHonouringRetryAfter(int status, int code, string message)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, TwilioFixture.Error(status, code, message) with { Headers = new Dictionary<string, string> { ["Retry-After"] = "7" } });

        var transient = Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), transient.RetryAfter);
        Assert.Contains(message, transient.Reason);
    }

    [Fact]
    public async Task SendAsync_502WithoutBody_Transient()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, StubResponse.Text("", 502));

        Assert.IsType<SendOutcome.Transient>(result.Outcome);
    }

    [Fact]
    public async Task SendAsync_ErrorQuotingTheToken_ReasonAndExchangeMasked()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var result = await SendAsync(stub, TwilioFixture.Error(400, 21602, $"bad token {TwilioFixture.AuthToken}"));

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.DoesNotContain(TwilioFixture.AuthToken, permanent.Reason);
        Assert.DoesNotContain(TwilioFixture.AuthToken, result.Exchange!.Response!.Body);
    }
}
