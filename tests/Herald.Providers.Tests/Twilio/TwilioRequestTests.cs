using System.Text;
using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Twilio;

/// <summary>The exact request a twilio provider sends, as the stub saw it on the wire.</summary>
public sealed class TwilioRequestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(StubRequest Request, SendResult Result)> SendAsync(StubProvider stub, OutboundMessage message, Action<JsonObject>? configure = null)
    {
        stub.RespondWith(TwilioFixture.Created());
        var settings = TwilioFixture.Settings(stub);
        configure?.Invoke(settings);
        var result = await TwilioFixture.Sender(settings).SendAsync(message, Ct);
        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        return (stub.Only, result);
    }

    [Fact]
    public async Task SendAsync_Message_PostsTwiliosFormWithBasicAuthAndTheStatusCallback()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var (request, _) = await SendAsync(stub, TwilioFixture.Message());

        Assert.Equal("POST", request.Method);
        Assert.Equal($"/2010-04-01/Accounts/{TwilioFixture.AccountSid}/Messages.json", request.Path);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TwilioFixture.AccountSid}:{TwilioFixture.AuthToken}")), request.Header("Authorization"));
        Assert.StartsWith("application/x-www-form-urlencoded", request.Header("Content-Type"));
        var form = request.FormFields;
        Assert.Equal(["Body", "From", "StatusCallback", "To"], form.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("+14155550100", form["To"]);
        Assert.Equal("+15005550006", form["From"]);
        Assert.Equal("Your code is 123456", form["Body"]);
        Assert.Equal(TwilioFixture.CallbackUrl.AbsoluteUri + "?ref=msg_01TWL", form["StatusCallback"]);
    }

    [Fact]
    public async Task SendAsync_MessageWithSender_SenderWinsOverTheDefault()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var (request, _) = await SendAsync(stub, TwilioFixture.Message(sender: "HERALD"));

        Assert.Equal("HERALD", request.FormFields["From"]);
    }

    [Fact]
    public async Task SendAsync_OnlyAMessagingService_SendsMessagingServiceSid()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var (request, _) = await SendAsync(stub, TwilioFixture.Message(), s =>
        {
            s.Remove("from");
            s["messagingServiceSid"] = TwilioFixture.ServiceSid;
        });

        Assert.Equal(TwilioFixture.ServiceSid, request.FormFields["MessagingServiceSid"]);
        Assert.False(request.FormFields.ContainsKey("From"));
    }

    [Fact]
    public async Task SendAsync_Exchange_MasksTheCredentials()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var (_, result) = await SendAsync(stub, TwilioFixture.Message());

        var exchange = result.Exchange!;
        Assert.Contains(exchange.Request.Headers, h => h.Key == "Authorization" && h.Value == "Basic ****");
        var shown = System.Text.Json.JsonSerializer.Serialize(exchange);
        Assert.DoesNotContain(TwilioFixture.AuthToken, shown);
        Assert.DoesNotContain(TwilioFixture.AccountSid, shown);
        Assert.Contains("/Accounts/****/Messages.json", exchange.Request.Url);
    }

    [Fact]
    public void Validate_NoBody_SaysTwilioNeedsTheText()
    {
        var sender = TwilioFixture.Sender(TwilioFixture.Settings());

        var ex = Assert.Throws<MessageRenderException>(() => sender.Validate(TwilioFixture.Message(body: "")));

        Assert.Equal("body", ex.Field);
    }
}
