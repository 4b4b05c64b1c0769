using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>The seed's Kaleyra configuration, field for field, against a real HTTP stub.</summary>
public sealed class SeedConfigurationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Validate_SeedConfigurationVerbatim_IsValidAndNormalised()
    {
        var validation = Generic.Validate(Generic.Seed("https://api.kaleyra.io/v1/HXIN1234567890AB/messages"), new(AllowInsecureLoopback: false));

        Assert.True(validation.IsValid, Generic.Describe(validation.Errors));
        var normalised = JsonNode.Parse(validation.Settings!)!;
        Assert.Equal("POST", (string?)normalised["requestType"]);
        Assert.Equal("form", (string?)normalised["bodyType"]);
        Assert.Equal("e164", (string?)normalised["toFormat"]);
        Assert.Equal("none", (string?)normalised["authentication"]!["type"]);
        Assert.Equal(4, normalised["headers"]!.AsArray().Count);
        Assert.Equal(8, normalised["parameters"]!.AsArray().Count);
    }

    [Fact]
    public async Task SendAsync_SeedConfiguration_PostsExactlyTheSeedHeadersAndFormFields()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url("/v1/HXIN1234567890AB/messages")));

        var result = await sender.SendAsync(Generic.Message(
            body: "Your OTP is 123456",
            templateId: "1107161234567890123",
            campaignId: "cmp_42",
            dynamicFields: new Dictionary<string, string> { ["Sender"] = "KLRHXA", ["TYPE"] = "OTP", ["LongURL"] = "https://shop.example/cart?id=7&x=1" }), Ct);

        Assert.Equal(new SendOutcome.Accepted("stub-1"), result.Outcome);
        var request = stub.Only;
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/HXIN1234567890AB/messages", request.Path);
        Assert.StartsWith("application/x-www-form-urlencoded", request.Header("Content-Type"));
        Assert.Equal(Generic.ApiKey, request.Header("api-key"));
        Assert.Equal(Generic.Sid, request.Header("sid"));
        Assert.Equal("api.kaleyra.io", request.Header("kaleyra-host"));
        Assert.Equal("https://clevertap.example/sms/dlr/abc123", request.Header("callback_url"));
        Assert.Null(request.Header("Authorization"));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["to"] = "+919812345678",
                ["sender"] = "KLRHXA",
                ["body"] = "Your OTP is 123456",
                ["template_id"] = "1107161234567890123",
                ["message_id"] = "msg_01HZX",
                ["campaign_id"] = "cmp_42",
                ["type"] = "OTP",
                ["long_url"] = "https://shop.example/cart?id=7&x=1",
            },
            request.FormFields);
        // the form keeps the configured order
        Assert.Equal(["to", "sender", "body", "template_id", "message_id", "campaign_id", "type", "long_url"],
            request.Body.Split('&').Select(pair => pair.Split('=')[0]));
    }

    [Fact]
    public async Task SendAsync_OptionalPlaceholdersWithoutValue_AreLeftOutNotSentEmpty()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        var result = await sender.SendAsync(Generic.Message(dynamicFields: Generic.SeedFields()), Ct);

        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        var form = stub.Only.FormFields;
        Assert.Equal(["body", "message_id", "sender", "to", "type"], form.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("template_id", form.Keys);
        Assert.DoesNotContain("campaign_id", form.Keys);
        Assert.DoesNotContain("long_url", form.Keys);
        Assert.DoesNotContain("template_id", stub.Only.Body);
        Assert.DoesNotContain("long_url", result.Exchange!.Request.Body);
    }

    [Fact]
    public async Task SendAsync_OptionalPlaceholderWithEmptyDynamicField_IsLeftOut()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));
        var fields = Generic.SeedFields();
        fields["LongURL"] = "";

        await sender.SendAsync(Generic.Message(dynamicFields: fields, templateId: "", campaignId: ""), Ct);

        var form = stub.Only.FormFields;
        Assert.False(form.ContainsKey("long_url"));
        Assert.False(form.ContainsKey("template_id"));
        Assert.False(form.ContainsKey("campaign_id"));
    }

    [Theory]
    [InlineData("Sender", "TYPE")]        // by placeholder name, as written
    [InlineData("sender", "type")]        // by parameter key
    [InlineData("SENDER", "Type")]        // case-insensitively
    [InlineData("sEnDeR", "tYpE")]
    public async Task SendAsync_DynamicFieldsByNameOrKeyAnyCase_FillSenderAndType(string senderField, string typeField)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        await sender.SendAsync(Generic.Message(dynamicFields: new Dictionary<string, string> { [senderField] = "KLRHXA", [typeField] = "TXN" }), Ct);

        var form = stub.Only.FormFields;
        Assert.Equal("KLRHXA", form["sender"]);
        Assert.Equal("TXN", form["type"]);
    }

    [Fact]
    public async Task SendAsync_LongUrlByParameterKey_IsSent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));
        var fields = Generic.SeedFields();
        fields["long_url"] = "https://shop.example/p/1";

        await sender.SendAsync(Generic.Message(dynamicFields: fields), Ct);

        Assert.Equal("https://shop.example/p/1", stub.Only.FormFields["long_url"]);
    }

    [Fact]
    public async Task SendAsync_MessageSenderWithoutDynamicField_FillsSender()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        await sender.SendAsync(Generic.Message(sender: "HERALD", dynamicFields: new Dictionary<string, string> { ["type"] = "OTP" }), Ct);

        Assert.Equal("HERALD", stub.Only.FormFields["sender"]);
    }

    [Fact]
    public async Task SendAsync_DynamicFieldsDifferingOnlyInCase_DoNotThrow()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));
        var fields = new Dictionary<string, string> { ["Sender"] = "KLRHXA", ["sender"] = "KLRHXA", ["TYPE"] = "OTP", ["type"] = "OTP" };

        var result = await sender.SendAsync(Generic.Message(dynamicFields: fields), Ct);

        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        Assert.Equal("KLRHXA", stub.Only.FormFields["sender"]);
        Assert.Equal("OTP", stub.Only.FormFields["type"]);
    }

    [Fact]
    public async Task SendAsync_MissingCustomPlaceholder_ThrowsNamingItAndSendsNothing()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        var error = await Assert.ThrowsAsync<MessageRenderException>(() =>
            sender.SendAsync(Generic.Message(dynamicFields: new Dictionary<string, string> { ["Sender"] = "KLRHXA" }), Ct));

        Assert.Contains("$$TYPE", error.Message);
        Assert.Equal("dynamicFields.TYPE", error.Field);
        Assert.Empty(stub.Requests);
    }

    [Theory]
    [InlineData("otp", "OTP")]
    [InlineData("txn", "TXN")]
    [InlineData("mkt", "MKT")]
    [InlineData("default", "DEFAULT")]
    public async Task SendAsync_TypeWithoutDynamicField_FillsTypeFromTheMessageType(string type, string expected)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        await sender.SendAsync(Generic.Message(sender: "KLRHXA", type: type), Ct);

        Assert.Equal(expected, Assert.Single(stub.Requests).FormFields["type"]);
    }

    [Fact]
    public async Task SendAsync_SeveralMissingCustomPlaceholders_NamesEveryOne()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        var error = await Assert.ThrowsAsync<MessageRenderException>(() => sender.SendAsync(Generic.Message(), Ct));

        Assert.Contains("$$Sender", error.Message);
        Assert.Contains("$$TYPE", error.Message);
        Assert.DoesNotContain("$$LongURL", error.Message); // optional
        Assert.Equal("dynamicFields.Sender", error.Field);
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public async Task SendAsync_CustomPlaceholderWithEmptyValue_CountsAsMissing()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        var error = await Assert.ThrowsAsync<MessageRenderException>(() =>
            sender.SendAsync(Generic.Message(dynamicFields: new Dictionary<string, string> { ["Sender"] = "", ["TYPE"] = "OTP" }), Ct));

        Assert.Contains("$$Sender", error.Message);
    }

    [Fact]
    public void CustomPlaceholders_SeedConfiguration_SenderTypeLongUrlWithHolderKeys()
    {
        var settings = Generic.Valid(Generic.Seed("https://api.kaleyra.io/v1/x/messages"));

        var custom = Generic.Kind.CustomPlaceholders(Generic.Read(settings));

        Assert.Equal(
            [("Sender", "sender"), ("TYPE", "type"), ("LongURL", "long_url")],
            custom.Select(c => (c.Placeholder.Name, c.HolderKey)).ToArray());
        Assert.All(custom, c => Assert.True(c.Placeholder.IsCustom));
        Assert.True(custom.Single(c => c.Placeholder.Name == "LongURL").Placeholder.IsOptional);
        Assert.False(custom.Single(c => c.Placeholder.Name == "Sender").Placeholder.IsOptional);
    }

    [Fact]
    public void CustomPlaceholders_SameNameTwiceAnyCase_ListedOnce()
    {
        var settings = Generic.Form("https://api.example.com/sms");
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "from", ["value"] = "$$Sender" });
        settings["headers"] = Generic.Rows(("x-sender", "$$sender"));

        var custom = Generic.Kind.CustomPlaceholders(Generic.Read(Generic.Valid(settings)));

        var only = Assert.Single(custom);
        Assert.Equal("sender", only.Placeholder.Name, ignoreCase: true);
    }

    [Fact]
    public void CustomPlaceholders_JsonTemplate_HolderIsThePropertyName()
    {
        var settings = Generic.Valid(Generic.Json("https://api.example.com/sms",
            """{"to":"$$To","text":"$$Body","meta":{"origin":"$$Sender"},"tags":["$$Tag"]}"""));

        var custom = Generic.Kind.CustomPlaceholders(Generic.Read(settings));

        Assert.Equal([("Sender", "origin"), ("Tag", "tags")], custom.Select(c => (c.Placeholder.Name, c.HolderKey)).ToArray());
    }
}
