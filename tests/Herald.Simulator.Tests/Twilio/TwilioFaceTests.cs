using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Herald.Simulator.Tests.Infrastructure;
using Herald.Simulator.Twilio;

namespace Herald.Simulator.Tests.Twilio;

/// <summary>The Twilio face: answers like Twilio's Messages resource and calls back with signed status callbacks.</summary>
public sealed class TwilioFaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> SendAsync(SimulatorHarness sim, string to, string? token = null, string? statusCallback = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, sim.Host.TwilioMessagesUrl)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["To"] = to,
                ["From"] = "+15005550006",
                ["Body"] = "Your code is 123456",
                ["StatusCallback"] = statusCallback ?? $"{sim.Receiver.Url}?ref=msg_1",
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{sim.Options.TwilioAccountSid}:{token ?? sim.Options.TwilioAuthToken}")));
        return await sim.Client.SendAsync(request, Ct);
    }

    [Fact]
    public void Sign_TwilioDocumentedExample_GivesTheDocumentedSignature()
    {
        KeyValuePair<string, string>[] parameters =
        [
            new("CallSid", "CA1234567890ABCDE"), new("Caller", "+14158675310"), new("Digits", "1234"), new("From", "+14158675310"), new("To", "+18005551212"),
        ];

        Assert.Equal("GvWf1cFY/Q7PnoempGyD5oXAezc=", TwilioSigner.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", parameters));
    }

    [Fact]
    public async Task Send_Valid_201QueuedThenSignedQueuedSentDeliveredCallbacks()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await SendAsync(sim, "+14155550109");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var message = await response.ReadJsonAsync(Ct);
        var sid = message.GetProperty("sid").GetString()!;
        Assert.Matches("^SM[0-9a-f]{32}$", sid);
        Assert.Equal("queued", message.GetProperty("status").GetString());
        Assert.Equal("+14155550109", message.GetProperty("to").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, message.GetProperty("error_code").ValueKind);

        var received = await sim.Receiver.WaitForAcceptedAsync(3, ct: Ct);
        Assert.Equal(["queued", "sent", "delivered"], received.Select(r => r.Fields["MessageStatus"]));
        var url = $"{sim.Receiver.Url}?ref=msg_1";
        Assert.All(received, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal("?ref=msg_1", r.Query);
            var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(r.Body).ToDictionary(f => f.Key, f => f.Value.ToString());
            Assert.Equal(sid, form["MessageSid"]);
            Assert.Equal(sim.Options.TwilioAccountSid, form["AccountSid"]);
            Assert.Equal(TwilioSigner.Sign(sim.Options.TwilioAuthToken, url, form), r.Headers["X-Twilio-Signature"]);
        });
    }

    [Fact]
    public async Task Send_WrongAuthToken_401Error20003()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await SendAsync(sim, "+14155550109", token: "wrong");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(20003, (await response.ReadJsonAsync(Ct)).GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("+14155550001", 400, 21610)]
    [InlineData("+14155550004", 400, 21211)]
    [InlineData("+14155550429", 429, 20429)]
    [InlineData("+14155550002", 503, 20503)]
    public async Task Send_SpecialNumber_AnswersLikeTwilio(string to, int status, int code)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await SendAsync(sim, to);

        Assert.Equal(status, (int)response.StatusCode);
        var error = await response.ReadJsonAsync(Ct);
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.Equal(status, error.GetProperty("status").GetInt32());
        Assert.Equal($"https://www.twilio.com/docs/errors/{code}", error.GetProperty("more_info").GetString());
        Assert.Equal(status is 429 or 503, response.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task Send_UndeliveredNumber_FinalCallbackUndeliveredWithErrorCode()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await SendAsync(sim, "+14155550008");

        var received = await sim.Receiver.WaitForAcceptedAsync(3, ct: Ct);
        Assert.Equal("undelivered", received[2].Fields["MessageStatus"]);
        Assert.Equal("30003", received[2].Fields["ErrorCode"]);
        Assert.False(received[1].Fields.ContainsKey("ErrorCode"));
    }
}
