using System.Net;
using System.Net.Http.Json;
using Herald.Simulator;
using Herald.Tests.Infrastructure;

namespace Herald.Tests;

/// <summary>POST /api/v1/providers/{id}/test-sms: input checks and what a failing provider shows.</summary>
public sealed class TestSmsTests : IAsyncLifetime
{
    private readonly SimulatorOptions _options = new() { Urls = "http://127.0.0.1:0", DlrDelay = TimeSpan.FromMilliseconds(10), TimeoutHang = TimeSpan.FromSeconds(5) };
    private HeraldInstance _herald = null!;
    private SimulatorHost _simulator = null!;
    private string _providerId = null!;

    public async ValueTask InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(_options);
        _herald = await HeraldInstance.StartAsync();
        _providerId = (await _herald.CreateSeedProviderAsync(_simulator, _options))["id"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    private async Task<string> ExpectBadRequestAsync(object body, string field)
    {
        var response = await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{_providerId}/test-sms", body);
        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]!.AsObject().ContainsKey(field), problem.ToJsonString());
        return problem["detail"]!.GetValue<string>();
    }

    [Fact]
    public async Task TestSms_MissingDynamicField_Is400NamingThePlaceholder_AndSendsNothing()
    {
        var detail = await ExpectBadRequestAsync(new { countryCode = "+91", mobile = "9812345678", message = "hi", dynamicFields = new { type = "OTP" } }, "dynamicFields.Sender");
        Assert.Contains("$$Sender", detail);
        Assert.Empty(_simulator.Inspector.GetRequests());
    }

    [Fact]
    public async Task TestSms_DynamicFieldsMatchByPlaceholderNameCaseInsensitively()
    {
        var response = await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{_providerId}/test-sms",
            new { countryCode = "+91", mobile = "9812345678", message = "hi", dynamicFields = new Dictionary<string, string> { ["SENDER"] = "KLRHXA", ["Type"] = "TXN", ["long_url"] = "https://shop.example/cart" } });
        var result = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
        var form = System.Web.HttpUtility.ParseQueryString(result["request"]!["body"]!.GetValue<string>());
        Assert.Equal("KLRHXA", form["sender"]);
        Assert.Equal("TXN", form["type"]);
        Assert.Equal("https://shop.example/cart", form["long_url"]);
    }

    [Fact]
    public async Task TestSms_ImpossibleNumber_Is400OnMobile()
    {
        var detail = await ExpectBadRequestAsync(new { countryCode = "+91", mobile = "12", message = "hi", dynamicFields = new { sender = "A", type = "OTP" } }, "mobile");
        Assert.Contains("12", detail);
    }

    [Fact]
    public async Task TestSms_NoMessageNorTemplate_Is400() =>
        await ExpectBadRequestAsync(new { countryCode = "+91", mobile = "9812345678", dynamicFields = new { sender = "A", type = "OTP" } }, "message");

    [Fact]
    public async Task TestSms_UnknownProvider_Is404()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/providers/nope/test-sms", new { countryCode = "+91", mobile = "9812345678", message = "hi" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TestSms_ProviderThatTimesOut_ShowsATransientFailureWithTheRequest()
    {
        var provider = await _herald.GetProviderSettingsAsync(_providerId);
        provider["timeoutSeconds"] = 1;
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{_providerId}", new { nickname = "Kaleyra_SMS", kind = "generic", settings = provider }), HttpStatusCode.OK);

        var result = await _herald.TestSmsAsync(_providerId, "9812340003");

        Assert.Equal("transient-failure", result["outcome"]!.GetValue<string>());
        Assert.Contains("timeout", result["reason"]!.GetValue<string>());
        Assert.Null(result["response"]);
        Assert.NotNull(result["request"]);
        Assert.Equal("failed", result["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task WrongApiKey_MarksTheProvidersCredentialsAsFailing_UntilAMessageIsAcceptedAgain()
    {
        var settings = await _herald.GetProviderSettingsAsync(_providerId);
        settings["headers"]![0]!["value"] = "wrong-key";
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{_providerId}", new { nickname = "Kaleyra_SMS", kind = "generic", settings }), HttpStatusCode.OK);

        var refused = await _herald.TestSmsAsync(_providerId, "9812345678");
        Assert.Equal("permanent-failure", refused["outcome"]!.GetValue<string>());
        var provider = System.Text.Json.Nodes.JsonNode.Parse(await _herald.Api.GetStringAsync($"/api/v1/providers/{_providerId}"))!;
        Assert.True(provider["credentials"]!["failing"]!.GetValue<bool>());
        Assert.Contains("401", provider["credentials"]!["error"]!.GetValue<string>());

        // Through the dispatcher too: a queued message refused for its credentials keeps the mark.
        var queued = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345678", body = "hi", sender = "KLRHXA", provider = _providerId }), HttpStatusCode.Accepted);
        await _herald.WaitForStatusAsync(queued["id"]!.GetValue<string>(), "failed");

        settings["headers"]![0]!["value"] = _options.ApiKey;
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{_providerId}", new { nickname = "Kaleyra_SMS", kind = "generic", settings }), HttpStatusCode.OK);
        Assert.Equal("accepted", (await _herald.TestSmsAsync(_providerId, "9812345678"))["outcome"]!.GetValue<string>());
        provider = System.Text.Json.Nodes.JsonNode.Parse(await _herald.Api.GetStringAsync($"/api/v1/providers/{_providerId}"))!;
        Assert.False(provider["credentials"]!["failing"]!.GetValue<bool>());
    }

    [Fact]
    public async Task TestSms_ConnectionRefused_IsTransientFailure()
    {
        await _simulator.StopAsync();
        var result = await _herald.TestSmsAsync(_providerId, "9812345678");
        Assert.Equal("transient-failure", result["outcome"]!.GetValue<string>());
        Assert.Equal("could not connect to the provider", result["reason"]!.GetValue<string>()); // no port-telling detail
    }
}
