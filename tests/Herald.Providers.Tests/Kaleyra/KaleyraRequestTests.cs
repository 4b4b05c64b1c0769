using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Kaleyra;

/// <summary>The exact request a kaleyra provider sends, as the stub saw it on the wire.</summary>
public sealed class KaleyraRequestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<StubRequest> SendAsync(StubProvider stub, OutboundMessage message, Action<JsonObject>? configure = null)
    {
        KaleyraFixture.AnswerLikeKaleyra(stub);
        var settings = KaleyraFixture.Settings(stub);
        configure?.Invoke(settings);
        var result = await KaleyraFixture.Sender(settings).SendAsync(message, Ct);
        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        return stub.Only;
    }

    [Fact]
    public async Task SendAsync_FullMessage_PostsExactlyTheDocumentedForm()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var message = KaleyraFixture.Message(body: "Your order 42 has shipped", type: MessageTypes.Transactional,
            templateId: KaleyraFixture.TemplateId, campaignId: "cmp_spring", messageId: "msg_01J0ABC");

        var request = await SendAsync(stub, message);

        Assert.Equal("POST", request.Method);
        Assert.Equal($"/v1/{KaleyraFixture.Sid}/sms", request.Path);
        Assert.Equal(KaleyraFixture.ApiKey, request.Header("api-key"));
        Assert.StartsWith("application/x-www-form-urlencoded", request.Header("Content-Type"));
        var form = request.FormFields;
        Assert.Equal(["body", "callback", "ref", "ref1", "sender", "template_id", "to", "type"], form.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("+919812345678", form["to"]);
        Assert.Equal("KLRHXA", form["sender"]);
        Assert.Equal("Your order 42 has shipped", form["body"]);
        Assert.Equal("TXN", form["type"]);
        Assert.Equal(KaleyraFixture.TemplateId, form["template_id"]);
        Assert.Equal("msg_01J0ABC", form["ref"]);
        Assert.Equal("cmp_spring", form["ref1"]);
    }

    [Fact]
    public async Task SendAsync_Always_CallbackIsJsonWithTheProvidersCallbackUrlAndPost()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var request = await SendAsync(stub, KaleyraFixture.Message());

        using var callback = JsonDocument.Parse(request.FormFields["callback"]);
        Assert.Equal(KaleyraFixture.CallbackUrl.AbsoluteUri, callback.RootElement.GetProperty("url").GetString());
        Assert.Equal("POST", callback.RootElement.GetProperty("method").GetString());
        Assert.Equal("""{"url":"https://herald.example/dlr/prv_kal/t0ken-Abc_123","method":"POST","retry":{"count":"3","interval":["10","10","10"]}}""", request.FormFields["callback"]);
    }

    [Fact]
    public async Task SendAsync_NoCampaignNoTemplate_LeavesThoseFieldsOut()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message())).FormFields;

        Assert.False(form.ContainsKey("ref1"));
        Assert.False(form.ContainsKey("template_id"));
        Assert.False(form.ContainsKey("entity_id"));
        Assert.False(form.ContainsKey("unicode"));
        Assert.Equal("msg_01HZX", form["ref"]);
    }

    [Fact]
    public async Task SendAsync_EndpointMessages_PostsToTheMessagesPath()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var request = await SendAsync(stub, KaleyraFixture.Message(), s => s["endpoint"] = "messages");

        Assert.Equal($"/v1/{KaleyraFixture.Sid}/messages", request.Path);
    }

    [Fact]
    public async Task SendAsync_Devanagari_UnicodeOneAndTextIntact()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        const string text = "आपका OTP 123456 है";

        var form = (await SendAsync(stub, KaleyraFixture.Message(body: text))).FormFields;

        Assert.Equal("1", form["unicode"]);
        Assert.Equal(text, form["body"]);
    }

    [Fact]
    public async Task SendAsync_GsmExtensionCharacters_NoUnicode()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message(body: "Price: 10€ [promo] {code}"))).FormFields;

        Assert.False(form.ContainsKey("unicode"));
    }

    [Theory]
    [InlineData("always", "Plain text", "1")]
    [InlineData("never", "आपका OTP", null)]
    [InlineData("auto", "Smart quotes “hi”", "1")]
    public async Task SendAsync_UnicodeSetting_Honoured(string setting, string body, string? expected)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message(body: body), s => s["unicode"] = setting)).FormFields;

        Assert.Equal(expected, form.GetValueOrDefault("unicode"));
    }

    [Theory]
    [InlineData(MessageTypes.Otp, "DEFAULT", "OTP")]
    [InlineData(MessageTypes.Transactional, "DEFAULT", "TXN")]
    [InlineData(MessageTypes.Marketing, "DEFAULT", "MKT")]
    [InlineData(MessageTypes.Default, "DEFAULT", "DEFAULT")]
    [InlineData(MessageTypes.Default, "TXN", "TXN")]
    [InlineData(MessageTypes.Test, "MKT", "MKT")]
    [InlineData(MessageTypes.Otp, "MKT", "OTP")]
    public async Task SendAsync_HeraldType_MappedToKaleyraType(string heraldType, string settingsType, string expected)
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message(type: heraldType, templateId: KaleyraFixture.TemplateId), s => s["type"] = settingsType)).FormFields;

        Assert.Equal(expected, form["type"]);
    }

    [Theory]
    [InlineData("mkt", "MKT")]
    [InlineData("TXN", "TXN")]
    [InlineData("Default", "DEFAULT")]
    public async Task SendAsync_DynamicFieldType_OverridesTheMessageType(string field, string expected)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var message = KaleyraFixture.Message(type: MessageTypes.Otp, templateId: KaleyraFixture.TemplateId,
            dynamicFields: new Dictionary<string, string> { ["TYPE"] = field });

        var form = (await SendAsync(stub, message)).FormFields;

        Assert.Equal(expected, form["type"]);
    }

    [Fact]
    public void Validate_DynamicFieldTypeUnknown_RenderErrorOnThatField()
    {
        var sender = KaleyraFixture.Sender(KaleyraFixture.Settings());
        var message = KaleyraFixture.Message(dynamicFields: new Dictionary<string, string> { ["type"] = "PROMO" });

        var error = Assert.Throws<MessageRenderException>(() => sender.Validate(message));

        Assert.Equal("dynamicFields.type", error.Field);
        Assert.Contains("OTP, DEFAULT, MKT or TXN", error.Message);
    }

    [Fact]
    public async Task SendAsync_MessageSender_WinsOverTheDefault()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message(sender: "SHOPIN"))).FormFields;

        Assert.Equal("SHOPIN", form["sender"]);
    }

    [Fact]
    public async Task SendAsync_SenderInDynamicFields_UsedAsTheTestSmsFormGivesIt()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var message = KaleyraFixture.Message(dynamicFields: new Dictionary<string, string> { ["Sender"] = "TSTSMS" });

        var form = (await SendAsync(stub, message, s => s.Remove("sender"))).FormFields;

        Assert.Equal("TSTSMS", form["sender"]);
    }

    [Fact]
    public async Task SendAsync_NoSenderAnywhere_RenderErrorOnSenderAndNothingSent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = KaleyraFixture.Settings(stub);
        settings.Remove("sender");
        var sender = KaleyraFixture.Sender(settings);

        var validate = Assert.Throws<MessageRenderException>(() => sender.Validate(KaleyraFixture.Message()));
        var send = await Assert.ThrowsAsync<MessageRenderException>(() => sender.SendAsync(KaleyraFixture.Message(), Ct));

        Assert.Equal("sender", validate.Field);
        Assert.Contains("settings.sender", validate.Message);
        Assert.Equal("sender", send.Field);
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public void Validate_NoBodyNoTemplate_RenderErrorOnBody()
    {
        var sender = KaleyraFixture.Sender(KaleyraFixture.Settings());

        var error = Assert.Throws<MessageRenderException>(() => sender.Validate(KaleyraFixture.Message(body: "")));

        Assert.Equal("body", error.Field);
    }

    [Fact]
    public void Validate_TemplateIdNotDigits_RenderErrorOnTemplateId()
    {
        var sender = KaleyraFixture.Sender(KaleyraFixture.Settings());

        var error = Assert.Throws<MessageRenderException>(() => sender.Validate(KaleyraFixture.Message(templateId: "TPL-1")));

        Assert.Equal("templateId", error.Field);
        Assert.Contains("12 to 30 digits", error.Message);
    }

    [Fact]
    public async Task SendAsync_TemplateOnly_SendsTemplateWithoutBody()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message(body: "", templateId: KaleyraFixture.TemplateId))).FormFields;

        Assert.False(form.ContainsKey("body"));
        Assert.Equal(KaleyraFixture.TemplateId, form["template_id"]);
    }

    [Fact]
    public async Task SendAsync_EntityIdSet_SentAsEntityId()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message(), s => s["entityId"] = "1201159161234567890")).FormFields;

        Assert.Equal("1201159161234567890", form["entity_id"]);
    }

    [Fact]
    public async Task SendAsync_NonIndianNumber_E164WithPlus()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var form = (await SendAsync(stub, KaleyraFixture.Message(to: "+14155550123"))).FormFields;

        Assert.Equal("+14155550123", form["to"]);
    }
}
