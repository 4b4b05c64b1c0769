using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Providers.Tests.Kaleyra;

/// <summary>The kaleyra provider kind as Herald registers it, settings and message builders, and a Kaleyra-shaped stub answer.</summary>
public static class KaleyraFixture
{
    private static readonly Lazy<ServiceProvider> Services = new(() =>
        new ServiceCollection().AddSingleton(TimeProvider.System).AddLogging().AddHeraldProviders()
            .Configure<Herald.Providers.Http.OutboundOptions>(o => o.AllowLoopback = true) // loopback stubs, as with --allow-insecure-loopback
            .BuildServiceProvider());

    public const string ApiKey = "kl-5f4e3d2c1b0a9f8e7d6c5b4a39281706";
    public const string Sid = "HXIN1234567890AB";
    public const string TemplateId = "1107161234567890123";
    public static readonly Uri CallbackUrl = new("https://herald.example/dlr/prv_kal/t0ken-Abc_123");

    /// <summary>The registered kind, found by name as the API finds it.</summary>
    public static IProviderKind Kind => Services.Value.GetRequiredService<IProviderKinds>().Find("kaleyra")
        ?? throw new InvalidOperationException("The kaleyra kind is not registered.");

    /// <summary>Settings on a real Kaleyra host.</summary>
    public static JsonObject Settings(string host = "api.in.kaleyra.io") => new()
    {
        ["apiKey"] = ApiKey,
        ["sid"] = Sid,
        ["host"] = host,
        ["sender"] = "KLRHXA",
    };

    /// <summary>Settings pointing at a stub on loopback (allowCustomHost, plain http).</summary>
    public static JsonObject Settings(StubProvider stub)
    {
        var settings = Settings("http://" + stub.BaseUrl.Authority);
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

    /// <summary>Validates and builds a sender, as the API does for a saved provider.</summary>
    public static ISmsSender Sender(JsonNode settings) =>
        Kind.CreateSender(Kind.Read(Valid(settings), s => s), new ProviderInstance("prv_kal", "Kaleyra_Native", CallbackUrl));

    public static IBatchSmsSender BatchSender(JsonNode settings) => Assert.IsAssignableFrom<IBatchSmsSender>(Sender(settings));

    public static OutboundMessage Message(
        string body = "Your OTP is 123456",
        string to = "+919812345678",
        string messageId = "msg_01HZX",
        string type = "default",
        string? sender = null,
        string? templateId = null,
        string? campaignId = null,
        IReadOnlyDictionary<string, string>? dynamicFields = null) => new()
        {
            MessageId = messageId,
            To = PhoneNumber.Parse(to),
            Body = body,
            Type = type,
            Sender = sender,
            TemplateId = templateId,
            CampaignId = campaignId,
            DynamicFields = dynamicFields ?? new Dictionary<string, string>(),
        };

    /// <summary>Distinct valid Indian mobile numbers: +9198100000nn...</summary>
    public static string Number(int i) => "+91981" + (1_000_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Kaleyra's documented success body for a request (protocols.md §3): <c>id</c>, one
    /// <c>data[]</c> entry per recipient with <c>message_id</c> = <c>{id}:{n}</c> and the recipient
    /// without <c>+</c>.
    /// </summary>
    public static StubResponse Success(StubRequest request, string id)
    {
        var form = request.FormFields;
        var recipients = form["to"].Split(',');
        var data = new JsonArray(recipients.Select((r, n) => (JsonNode)new JsonObject
        {
            ["message_id"] = $"{id}:{n + 1}",
            ["recipient"] = r.TrimStart('+'),
        }).ToArray());
        var body = new JsonObject
        {
            ["id"] = id,
            ["sender"] = form.GetValueOrDefault("sender"),
            ["type"] = form.GetValueOrDefault("type"),
            ["body"] = form.GetValueOrDefault("body"),
            ["createdDateTime"] = "2019-11-04 10:42:23+00:00",
            ["totalCount"] = recipients.Length,
            ["data"] = data,
            ["dlrurl"] = null,
            ["error"] = new JsonObject(),
        };
        return StubResponse.Json(body.ToJsonString());
    }

    /// <summary>Answers every request like Kaleyra does, with ids k1, k2, ... in request order.</summary>
    public static void AnswerLikeKaleyra(StubProvider stub)
    {
        var count = 0;
        stub.RespondWith(request => Success(request, "k" + Interlocked.Increment(ref count)));
    }
}
