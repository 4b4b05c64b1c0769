using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Providers.Tests.Twilio;

/// <summary>The twilio provider kind as Herald registers it, settings and message builders, and Twilio-shaped answers.</summary>
public static class TwilioFixture
{
    private static readonly Lazy<ServiceProvider> Services = new(() =>
        new ServiceCollection().AddSingleton(TimeProvider.System).AddLogging().AddHeraldProviders()
            .Configure<Herald.Providers.Http.OutboundOptions>(o => o.AllowLoopback = true) // loopback stubs, as with --allow-insecure-loopback
            .BuildServiceProvider());

    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "f3e2d1c0b9a8f7e6d5c4b3a291807f6e";
    public const string ServiceSid = "MG0123456789abcdef0123456789abcdef";
    public static readonly Uri CallbackUrl = new("https://herald.example/dlr/prv_twl/t0ken-Abc_123");

    /// <summary>The registered kind, found by name as the API finds it.</summary>
    public static IProviderKind Kind => Services.Value.GetRequiredService<IProviderKinds>().Find("twilio")
        ?? throw new InvalidOperationException("The twilio kind is not registered.");

    /// <summary>Settings on Twilio's own host (left to its default).</summary>
    public static JsonObject Settings() => new()
    {
        ["accountSid"] = AccountSid,
        ["authToken"] = AuthToken,
        ["from"] = "+15005550006",
    };

    /// <summary>Settings pointing at a stub on loopback (allowCustomHost, plain http).</summary>
    public static JsonObject Settings(StubProvider stub)
    {
        var settings = Settings();
        settings["host"] = "http://" + stub.BaseUrl.Authority;
        settings["allowCustomHost"] = true;
        return settings;
    }

    public static ProviderValidation Validate(JsonNode settings, ProviderValidationContext? context = null) =>
        Kind.Validate(JsonSerializer.SerializeToElement(settings), context ?? Generic.Loopback);

    public static string Valid(JsonNode settings, ProviderValidationContext? context = null)
    {
        var validation = Validate(settings, context);
        Assert.True(validation.IsValid, "expected valid settings, got: " + Generic.Describe(validation.Errors));
        return validation.Settings!;
    }

    public static IProviderSettings Read(JsonNode settings) => Kind.Read(Valid(settings), s => s);

    /// <summary>Validates and builds a sender, as the API does for a saved provider.</summary>
    public static ISmsSender Sender(JsonNode settings) =>
        Kind.CreateSender(Read(settings), new ProviderInstance("prv_twl", "Twilio", CallbackUrl));

    public static OutboundMessage Message(string body = "Your code is 123456", string to = "+14155550100", string messageId = "msg_01TWL", string? sender = null) => new()
    {
        MessageId = messageId,
        To = PhoneNumber.Parse(to),
        Body = body,
        Sender = sender,
    };

    /// <summary>Twilio's 201 answer: the Message resource, queued.</summary>
    public static StubResponse Created(string sid = "SM0123456789abcdef0123456789abcdef", string status = "queued") => StubResponse.Json($$"""
        {"account_sid":"{{AccountSid}}","api_version":"2010-04-01","body":"Your code is 123456","date_created":"Mon, 07 Dec 2026 08:00:00 +0000",
         "date_sent":null,"direction":"outbound-api","error_code":null,"error_message":null,"from":"+15005550006","messaging_service_sid":null,
         "num_media":"0","num_segments":"1","price":null,"price_unit":"USD","sid":"{{sid}}","status":"{{status}}","to":"+14155550100",
         "uri":"/2010-04-01/Accounts/{{AccountSid}}/Messages/{{sid}}.json"}
        """, 201);

    /// <summary>Twilio's error answer.</summary>
    public static StubResponse Error(int status, int code, string message) => StubResponse.Json(
        $$"""{"code":{{code}},"message":"{{message}}","more_info":"https://www.twilio.com/docs/errors/{{code}}","status":{{status}}}""", status);
}
