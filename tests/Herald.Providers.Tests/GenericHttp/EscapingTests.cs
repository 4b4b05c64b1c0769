using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>Values reach the provider intact whatever they contain: form, JSON, query string and path.</summary>
public sealed class EscapingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> AwkwardTexts =>
    [
        "नमस्ते! आपका OTP 123456 है",
        "Order shipped 📦🚚 — thanks ❤️",
        "a&b=c+d e",
        "100% sure? yes/no #1 @home ~tilde",
        "He said \"hi\" and 'bye' \\ backslash",
        "line one\nline two\r\nline three\ttab",
        "   leading and trailing spaces   ",
        "+919812345678 & to=evil&body=injected",
        "$$NotAPlaceholderInAValue and $$To",
        "<script>alert(1)</script> {json: [1,2]}",
    ];

    [Theory]
    [MemberData(nameof(AwkwardTexts))]
    public async Task SendAsync_FormBodyWithAwkwardText_ArrivesIntact(string text)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url());
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "from", ["value"] = "$$Sender" });
        var sender = Generic.Sender(settings);

        var result = await sender.SendAsync(Generic.Message(body: text, dynamicFields: new Dictionary<string, string> { ["Sender"] = text }), Ct);

        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        var form = stub.Only.FormFields;
        Assert.Equal(3, form.Count);
        Assert.Equal(text, form["text"]);
        Assert.Equal(text, form["from"]);
        Assert.Equal("+919812345678", form["to"]);
    }

    [Fact]
    public async Task SendAsync_FormKeysAndLiteralValuesWithReservedCharacters_ArriveIntact()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url());
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "meta[a&b]", ["value"] = "x=1&y=2 + ü" });
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "prefix", ["value"] = "Hi $$Name, see you" });
        var sender = Generic.Sender(settings);

        await sender.SendAsync(Generic.Message(dynamicFields: new Dictionary<string, string> { ["Name"] = "Ana & Bo" }), Ct);

        var form = stub.Only.FormFields;
        Assert.Equal("x=1&y=2 + ü", form["meta[a&b]"]);
        Assert.Equal("Hi Ana & Bo, see you", form["prefix"]);
    }

    [Theory]
    [MemberData(nameof(AwkwardTexts))]
    public async Task SendAsync_JsonTemplateWithAwkwardText_IsValidJsonAndRoundTrips(string text)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Json(stub.Url(),
            """{"to":"$$To","text":"$$Body","meta":{"from":"$$Sender","note":"Dear $$Sender,"},"list":["$$Body",7,true,null]}"""));

        var result = await sender.SendAsync(Generic.Message(body: text, dynamicFields: new Dictionary<string, string> { ["Sender"] = text }), Ct);

        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        var request = stub.Only;
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        using var document = JsonDocument.Parse(request.RawBody);
        var root = document.RootElement;
        Assert.Equal("+919812345678", root.GetProperty("to").GetString());
        Assert.Equal(text, root.GetProperty("text").GetString());
        Assert.Equal(text, root.GetProperty("meta").GetProperty("from").GetString());
        Assert.Equal($"Dear {text},", root.GetProperty("meta").GetProperty("note").GetString());
        var list = root.GetProperty("list");
        Assert.Equal(text, list[0].GetString());
        Assert.Equal(7, list[1].GetInt32());
        Assert.True(list[2].GetBoolean());
        Assert.Equal(JsonValueKind.Null, list[3].ValueKind);
    }

    [Fact]
    public async Task SendAsync_JsonTemplateOptionalPlaceholderWithoutValue_PropertyLeftOut()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Json(stub.Url(),
            """{"to":"$$To","text":"$$Body","template_id":"$$TemplateID","campaign":"$$CampaignID","dlt":{"tid":"$$TemplateId"}}"""));

        await sender.SendAsync(Generic.Message(), Ct);

        var root = JsonNode.Parse(stub.Only.Body)!.AsObject();
        Assert.Equal(["to", "text", "dlt"], root.Select(p => p.Key));
        Assert.Empty(root["dlt"]!.AsObject());
    }

    [Theory]
    [MemberData(nameof(AwkwardTexts))]
    public async Task SendAsync_GetWithAwkwardText_QueryStringEscapedAndDecodesIntact(string text)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Form(stub.Url("/api/send?user=herald&fixed=a%20b"), "GET"));

        var result = await sender.SendAsync(Generic.Message(body: text), Ct);

        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        var request = stub.Only;
        Assert.Equal("GET", request.Method);
        Assert.Equal("/api/send", request.Path);
        Assert.Empty(request.RawBody);
        Assert.Null(request.Form);
        Assert.Equal(
            new Dictionary<string, string> { ["user"] = "herald", ["fixed"] = "a b", ["to"] = "+919812345678", ["text"] = text },
            request.QueryFields);
        // + in the number is escaped, so it cannot be read back as a space
        Assert.Contains("to=%2B919812345678", request.RawTarget);
        Assert.DoesNotContain(' ', request.RawTarget);
    }

    [Fact]
    public async Task SendAsync_GetWithoutQueryInEndpoint_StartsTheQueryString()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Form(stub.Url("/send"), "GET"));

        await sender.SendAsync(Generic.Message(body: "a&b"), Ct);

        Assert.Equal("/send?to=%2B919812345678&text=a%26b", stub.Only.RawTarget);
    }

    [Theory]
    [InlineData("KLR HXA", "KLR%20HXA")]
    [InlineData("a/b?c#d", "a%2Fb%3Fc%23d")]
    [InlineData("नमस्ते", "%E0%A4%A8%E0%A4%AE%E0%A4%B8%E0%A5%8D%E0%A4%A4%E0%A5%87")]
    [InlineData("x&y=z", "x%26y%3Dz")]
    public async Task SendAsync_PlaceholderInEndpointPath_IsUrlEscaped(string value, string escaped)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url("/accounts/$$Account/messages/$$To"));
        var sender = Generic.Sender(settings);

        var result = await sender.SendAsync(Generic.Message(dynamicFields: new Dictionary<string, string> { ["Account"] = value }), Ct);

        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        Assert.Equal($"/accounts/{escaped}/messages/%2B919812345678", stub.Only.RawTarget);
        Assert.Equal(2, stub.Only.FormFields.Count);
    }

    [Fact]
    public async Task SendAsync_PlaceholderInEndpointQuery_IsUrlEscaped()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Form(stub.Url("/send?sender=$$Sender&ref=$$MessageID")));

        await sender.SendAsync(Generic.Message(messageId: "m 1&2", dynamicFields: new Dictionary<string, string> { ["Sender"] = "A+B C" }), Ct);

        Assert.Equal(new Dictionary<string, string> { ["sender"] = "A+B C", ["ref"] = "m 1&2" }, stub.Only.QueryFields);
    }

    [Theory]
    [InlineData("e164", "+919812345678")]
    [InlineData("digits", "919812345678")]
    [InlineData("DIGITS", "919812345678")]
    [InlineData(null, "+919812345678")]
    public async Task SendAsync_ToFormat_RendersRecipientAccordingly(string? toFormat, string expected)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url("/send/$$To"));
        if (toFormat is not null)
        {
            settings["toFormat"] = toFormat;
        }
        var sender = Generic.Sender(settings);

        await sender.SendAsync(Generic.Message(to: "+91 98123 45678"), Ct);

        Assert.Equal(expected, stub.Only.FormFields["to"]);
        Assert.Equal("/send/" + Uri.EscapeDataString(expected), stub.Only.RawTarget);
    }

    [Fact]
    public async Task SendAsync_ToFormatDigitsInJson_RendersDigits()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Json(stub.Url(), """{"to":"$$To","text":"$$Body"}""");
        settings["toFormat"] = "digits";
        var sender = Generic.Sender(settings);

        await sender.SendAsync(Generic.Message(to: "+14155550123"), Ct);

        Assert.Equal("14155550123", JsonNode.Parse(stub.Only.Body)!["to"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_HeaderWithPlaceholder_RendersValue()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url());
        settings["headers"] = Generic.Rows(("X-Message-Ref", "ref-$$MessageID"), ("X-Campaign", "$$CampaignID"));
        var sender = Generic.Sender(settings);

        await sender.SendAsync(Generic.Message(messageId: "msg_9"), Ct);

        Assert.Equal("ref-msg_9", stub.Only.Header("X-Message-Ref"));
        Assert.Null(stub.Only.Header("X-Campaign")); // optional and absent: left out like a parameter
    }

    [Fact]
    public async Task SendAsync_ContentTypeHeaderConfigured_OverridesTheBodyContentType()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Json(stub.Url(), """{"to":"$$To","text":"$$Body"}""");
        settings["headers"] = Generic.Rows(("Content-Type", "application/vnd.provider+json"));
        var sender = Generic.Sender(settings);

        await sender.SendAsync(Generic.Message(), Ct);

        Assert.Equal("application/vnd.provider+json", stub.Only.Header("Content-Type"));
    }
}
