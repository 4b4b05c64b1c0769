using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Providers.Tests.Infrastructure;

/// <summary>The generic provider kind as Herald registers it, and builders for its settings and messages.</summary>
public static class Generic
{
    private static readonly Lazy<ServiceProvider> Services = new(() =>
        new ServiceCollection().AddSingleton(TimeProvider.System).AddLogging().AddHeraldProviders()
            .Configure<Herald.Providers.Http.OutboundOptions>(o => o.AllowLoopback = true) // loopback stubs, as with --allow-insecure-loopback
            .BuildServiceProvider());

    /// <summary>Loopback stubs are plain http, so tests validate as <c>herald serve --sandbox</c> does.</summary>
    public static readonly ProviderValidationContext Loopback = new(AllowInsecureLoopback: true);

    public const string ApiKey = "Ak9f3e2c1b0a-kaleyra-api-key";
    public const string Sid = "HXIN1234567890AB";
    public const string Password = "pa55:w0rd/with+odd&chars";

    /// <summary>The registered kind, found by name as the API finds it.</summary>
    public static IProviderKind Kind => Services.Value.GetRequiredService<IProviderKinds>().Find("generic")
        ?? throw new InvalidOperationException("The generic kind is not registered.");

    /// <summary>The seed's configuration, verbatim (seed/clevertap-kaleyra-sms.md steps 3-6).</summary>
    public static JsonObject Seed(string endpoint) => new()
    {
        ["requestType"] = "POST",
        ["endpoint"] = endpoint,
        ["authentication"] = new JsonObject { ["type"] = "none" },
        ["headers"] = Rows(
            ("api-key", ApiKey),
            ("sid", Sid),
            ("kaleyra-host", "api.kaleyra.io"),
            ("callback_url", "https://clevertap.example/sms/dlr/abc123")),
        ["bodyType"] = "x-www-form-urlencoded",
        ["parameters"] = Rows(
            ("to", "$$To"),
            ("sender", "$$Sender"),
            ("body", "$$Body"),
            ("template_id", "$$TemplateID"),
            ("message_id", "$$MessageID"),
            ("campaign_id", "$$CampaignID"),
            ("type", "$$TYPE"),
            ("long_url", "$$LongURL")),
    };

    /// <summary>A small form configuration: to and body only.</summary>
    public static JsonObject Form(string endpoint, string requestType = "POST") => new()
    {
        ["requestType"] = requestType,
        ["endpoint"] = endpoint,
        ["bodyType"] = "form",
        ["parameters"] = Rows(("to", "$$To"), ("text", "$$Body")),
    };

    /// <summary>A JSON-body configuration.</summary>
    public static JsonObject Json(string endpoint, string template) => new()
    {
        ["requestType"] = "POST",
        ["endpoint"] = endpoint,
        ["bodyType"] = "json",
        ["jsonTemplate"] = template,
    };

    public static JsonArray Rows(params (string Key, string Value)[] rows) =>
        new(rows.Select(r => (JsonNode)new JsonObject { ["key"] = r.Key, ["value"] = r.Value }).ToArray());

    public static ProviderValidation Validate(JsonNode settings, ProviderValidationContext? context = null) =>
        Kind.Validate(JsonSerializer.SerializeToElement(settings), context ?? Loopback);

    /// <summary>Validates (asserting the settings are valid) and returns the normalised settings.</summary>
    public static string Valid(JsonNode settings, ProviderValidationContext? context = null)
    {
        var validation = Validate(settings, context);
        Assert.True(validation.IsValid, "expected valid settings, got: " + Describe(validation.Errors));
        return validation.Settings!;
    }

    /// <summary>Validates and builds a sender, as the API does for a saved provider.</summary>
    public static ISmsSender Sender(JsonNode settings) =>
        Kind.CreateSender(Read(Valid(settings)), new ProviderInstance("prv_test", "Kaleyra_SMS", new Uri("https://herald.example/dlr/prv_test/t0ken")));

    /// <summary>Stored settings read as the host reads them (no secrets to unprotect here).</summary>
    public static IProviderSettings Read(string settings) => Kind.Read(settings, s => s);

    public static OutboundMessage Message(
        string body = "Your OTP is 123456",
        IReadOnlyDictionary<string, string>? dynamicFields = null,
        string to = "+919812345678",
        string messageId = "msg_01HZX",
        string? templateId = null,
        string? campaignId = null,
        string? sender = null,
        string type = "test") => new()
        {
            MessageId = messageId,
            Type = type,
            To = PhoneNumber.Parse(to),
            Body = body,
            TemplateId = templateId,
            CampaignId = campaignId,
            Sender = sender,
            DynamicFields = dynamicFields ?? new Dictionary<string, string>(),
        };

    /// <summary>Dynamic fields for the seed's custom placeholders.</summary>
    public static Dictionary<string, string> SeedFields(string sender = "KLRHXA", string type = "OTP") =>
        new() { ["Sender"] = sender, ["TYPE"] = type };

    public static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" | ", e.Value)}"));

    /// <summary>Everything of an exchange a person could see, as one string.</summary>
    public static string Visible(HttpExchange exchange) =>
        string.Join("\n", new[] { exchange.Request.Method, exchange.Request.Url, exchange.Request.Body ?? "", exchange.Error ?? "" }
            .Concat(exchange.Request.Headers.Select(h => $"{h.Key}: {h.Value}"))
            .Concat(exchange.Response is null ? [] : exchange.Response.Headers.Select(h => $"{h.Key}: {h.Value}").Append(exchange.Response.Body)));
}
