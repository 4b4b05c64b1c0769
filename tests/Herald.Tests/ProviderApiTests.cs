using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests;

/// <summary>/api/v1/providers: validation that names the field, masked secrets, updates and removal.</summary>
public sealed class ProviderApiTests : IAsyncLifetime
{
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync() => _herald = await HeraldInstance.StartAsync();

    public async ValueTask DisposeAsync() => await _herald.DisposeAsync();

    private static object Generic(string nickname, object settings) => new { nickname, kind = "generic", settings };

    private static object Settings(string endpoint = "https://sms.example.com/send", object? parameters = null, object? authentication = null, object? headers = null) => new
    {
        requestType = "POST",
        endpoint,
        authentication = authentication ?? new { type = "none" },
        headers = headers ?? Array.Empty<object>(),
        bodyType = "form",
        parameters = parameters ?? new[] { new { key = "to", value = "$$To" }, new { key = "text", value = "$$Body" } },
    };

    private async Task<JsonObject> ExpectInvalidAsync(object body, string field)
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/providers", body);
        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]?.AsObject().ContainsKey(field), $"Expected an error for {field}: {problem.ToJsonString()}");
        Assert.False(string.IsNullOrWhiteSpace(problem["errors"]![field]![0]!.GetValue<string>()));
        return problem;
    }

    [Fact]
    public async Task SenderFor_SameVersionReadAgain_ReusesTheReadSettingsUntilAnEdit()
    {
        var body = Generic("Ready", Settings(headers: new[] { new { key = "api-key", value = "secret-1" } }));
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", body), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var store = _herald.Services.GetRequiredService<Herald.Storage.IProviderStore>();
        var providers = _herald.Services.GetRequiredService<Herald.Api.Providers.ProviderService>();
        var ct = TestContext.Current.CancellationToken;

        // Two reads of the same row (as the once-a-second lookup does) share one parse of its settings and one sender.
        var first = providers.Ready((await store.FindAsync(id, ct))!);
        var again = providers.Ready((await store.FindAsync(id, ct))!);
        Assert.Same(first, again);
        Assert.Same(first.Sender, providers.SenderFor((await store.FindAsync(id, ct))!));
        Assert.Equal(first.CustomPlaceholders, providers.CustomPlaceholders((await store.FindAsync(id, ct))!));

        var edited = await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{id}", Generic("Ready", Settings(endpoint: "https://sms.example.com/v2/send")));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.NotSame(first, providers.Ready((await store.FindAsync(id, ct))!));
    }

    [Fact]
    public async Task Create_WithoutTo_NamesTheFieldAndTheFix()
    {
        var problem = await ExpectInvalidAsync(Generic("NoTo", Settings(parameters: new[] { new { key = "text", value = "$$Body" } })), "settings.parameters");
        Assert.Contains("$$To", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithoutBodyOrTemplate_IsRejected() =>
        await ExpectInvalidAsync(Generic("NoBody", Settings(parameters: new[] { new { key = "to", value = "$$To" } })), "settings.parameters");

    [Fact]
    public async Task Create_PlainHttpToAnotherHost_IsRejected() =>
        await ExpectInvalidAsync(Generic("Plain", Settings(endpoint: "http://sms.example.com/send")), "settings.endpoint");

    [Fact]
    public async Task Create_DuplicateParameterKeys_AreRejected() =>
        await ExpectInvalidAsync(Generic("Dup", Settings(parameters: new[]
        {
            new { key = "to", value = "$$To" }, new { key = "TO", value = "$$To" }, new { key = "text", value = "$$Body" },
        })), "settings.parameters[1].key");

    [Fact]
    public async Task Create_UnknownKindAndMissingNickname_AreRejected()
    {
        var problem = await ExpectInvalidAsync(new { nickname = "", kind = "smpp", settings = new { } }, "kind");
        Assert.True(problem["errors"]!.AsObject().ContainsKey("nickname"));
    }

    [Fact]
    public async Task Create_InvalidJsonTemplate_IsRejected() =>
        await ExpectInvalidAsync(Generic("Json", new
        {
            endpoint = "https://sms.example.com/send",
            bodyType = "json",
            jsonTemplate = "{\"to\": $$To, \"text\": \"$$Body\"",
        }), "settings.jsonTemplate");

    [Fact]
    public async Task Create_NicknameTakenInAnotherCase_IsRejected()
    {
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", Generic("Kaleyra_SMS", Settings())), HttpStatusCode.Created);
        await ExpectInvalidAsync(Generic("kaleyra_sms", Settings()), "nickname");
    }

    [Fact]
    public async Task Secrets_AreMaskedEverywhere_AndAMaskedValueSentBackKeepsTheStoredSecret()
    {
        var simulatorOptions = new SimulatorOptions { Urls = "http://127.0.0.1:0", ApiKey = "the-real-api-key-123", DlrDelay = TimeSpan.FromMilliseconds(10) };
        await using var simulator = await SimulatorHost.StartAsync(simulatorOptions);
        var provider = await _herald.CreateSeedProviderAsync(simulator, simulatorOptions);
        var id = provider["id"]!.GetValue<string>();
        var settings = provider["settings"]!.AsObject();
        settings["authentication"] = new JsonObject { ["type"] = "basic", ["username"] = "ct-user", ["password"] = "p@ss-w0rd-secret" };
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{id}", new { nickname = "Kaleyra_SMS", kind = "generic", settings }), HttpStatusCode.OK);

        var shown = (await _herald.Api.GetStringAsync($"/api/v1/providers/{id}")) + await _herald.Api.GetStringAsync("/api/v1/providers");
        Assert.DoesNotContain("the-real-api-key-123", shown);
        Assert.DoesNotContain("p@ss-w0rd-secret", shown);
        var fetched = JsonNode.Parse(await _herald.Api.GetStringAsync($"/api/v1/providers/{id}"))!;
        Assert.Equal("****", fetched["settings"]!["authentication"]!["password"]!.GetValue<string>());
        Assert.Equal("ct-user", fetched["settings"]!["authentication"]!["username"]!.GetValue<string>());

        // Send the masked settings back unchanged, as a form would: the stored secrets stay.
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{id}",
            new { nickname = "Kaleyra_SMS", kind = "generic", settings = fetched["settings"] }), HttpStatusCode.OK);
        var result = await _herald.TestSmsAsync(id, "9812345678");
        Assert.Equal("accepted", result["outcome"]!.GetValue<string>()); // the simulator checks the real api-key
        Assert.Contains(result["request"]!["headers"]!.AsArray(), h => h!["key"]!.GetValue<string>() == "Authorization" && h["value"]!.GetValue<string>() == "Basic ****");
        var seen = simulator.Inspector.GetRequests(1).Single();
        Assert.Equal("Basic " + Convert.ToBase64String("ct-user:p@ss-w0rd-secret"u8.ToArray()), seen.Headers["Authorization"]);

        // Nor does the stored row hold them in clear text.
        var db = await File.ReadAllBytesAsync(Path.Combine(_herald.DataDir, "herald.db"), TestContext.Current.CancellationToken);
        Assert.DoesNotContain("p@ss-w0rd-secret", System.Text.Encoding.UTF8.GetString(db));
    }

    [Fact]
    public async Task Delete_RemovesTheProvider_ButItsMessagesKeepTheirHistory()
    {
        var simulatorOptions = new SimulatorOptions { Urls = "http://127.0.0.1:0", DlrDelay = TimeSpan.FromMilliseconds(10) };
        await using var simulator = await SimulatorHost.StartAsync(simulatorOptions);
        var provider = await _herald.CreateSeedProviderAsync(simulator, simulatorOptions);
        var id = provider["id"]!.GetValue<string>();
        var messageId = (await _herald.TestSmsAsync(id, "9812345678"))["messageId"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync($"/api/v1/providers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _herald.Api.GetAsync($"/api/v1/providers/{id}")).StatusCode);
        var message = await _herald.GetMessageAsync(messageId);
        Assert.Equal("Kaleyra_SMS", message["provider"]!["nickname"]!.GetValue<string>());
        Assert.NotEmpty(message["timeline"]!.AsArray());
    }

    [Fact]
    public async Task Api_WithoutOrWithWrongKey_Is401ProblemDetails()
    {
        var none = await _herald.Anonymous.GetAsync("/api/v1/providers");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        using var wrong = TestHttp.Create(_herald.BaseUrl, "hk_wrong_key_000000000000");
        var answer = await wrong.GetAsync("/api/v1/providers");
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Contains("unknown or revoked", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Api_BodyOverOneMebibyte_Is413()
    {
        using var content = new ByteArrayContent(new byte[1024 * 1024 + 10]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await _herald.Api.PostAsync("/api/v1/providers", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Health_AndReadiness_Answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await _herald.Anonymous.GetAsync("/healthz")).StatusCode);
        var ready = await HeraldInstance.ReadObjectAsync(await _herald.Anonymous.GetAsync("/readyz"), HttpStatusCode.OK);
        Assert.Equal("sqlite", ready["database"]!.GetValue<string>());
    }
}
