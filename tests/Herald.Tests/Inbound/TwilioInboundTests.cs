using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Inbound;

/// <summary>
/// Twilio inbound end to end against the real <c>herald</c> executable: the simulator's Twilio face forwards a person's messages as
/// Twilio's signed incoming-message webhook (form fields From, To, Body, MessageSid, AccountSid; X-Twilio-Signature) to the
/// provider's inbound URL, and Herald's confirmations go back out through the same Twilio face.
/// </summary>
public sealed class TwilioInboundTests : IAsyncLifetime
{
    // Germany: no legal sending window defers the campaign (a US number would wait for 8 am in its zone).
    private const string Person = "+4915155000142";
    private const string TwilioNumber = "+15005550006";
    private const string HelpText = "Acme Shop alerts: help at acme.example/help. Msg & data rates may apply. Reply STOP to unsubscribe.";

    private readonly SimulatorOptions _options = new()
    {
        Urls = "http://127.0.0.1:0",
        DlrDelay = TimeSpan.FromMilliseconds(200),
        DeliveryRate = 1,
        TwilioAccountSid = "AC0123456789abcdef0123456789abcdef",
        TwilioAuthToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    };

    private SimulatorHost _simulator = null!;
    private HeraldProcess _herald = null!;
    private HttpClient _api = null!;
    private HttpClient _anonymous = null!;
    private string _inboundUrl = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(_options);
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}/");
        _herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", Directory.CreateTempSubdirectory("herald-twilio-in-").FullName,
            "--allow-insecure-loopback"], new Dictionary<string, string>
        {
            ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
            ["Herald__Dispatch__PollInterval"] = "00:00:00.050",
            ["Herald__Campaigns__PollInterval"] = "00:00:00.050",
            ["Herald__Inbound__HelpText"] = HelpText,
        });
        await _herald.WaitForOutputAsync("Herald is running");
        _api = TestHttp.Create(baseUrl, HeraldInstance.ApiKey);
        _anonymous = TestHttp.Create(baseUrl);
        var provider = await HeraldInstance.ReadObjectAsync(await _api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Twilio",
            kind = "twilio",
            settings = new
            {
                accountSid = _options.TwilioAccountSid,
                authToken = _options.TwilioAuthToken,
                from = TwilioNumber,
                host = _simulator.BaseUrl.ToString().TrimEnd('/'),
                allowCustomHost = true,
            },
        }, Ct), HttpStatusCode.Created);
        _inboundUrl = provider["inboundUrl"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await _api.PostAsJsonAsync("/api/v1/contacts",
            new { phone = Person, consent = new { promotional = true } }, Ct), HttpStatusCode.Created);
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        _anonymous.Dispose();
        await _herald.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task TwilioWebhook_ReplyHelpStopStartAndReplay_StoredOnceAndObeyed()
    {
        // A plain reply: stored, no keyword, no answer; Twilio gets empty TwiML so it sends nothing by itself.
        var reply = await DeliverAsync("Thanks, got it", "SM00000000000000000000000000reply1");
        Assert.Contains("<Response></Response>", reply, StringComparison.Ordinal);
        var stored = Assert.Single(await InboundAsync($"from={Uri.EscapeDataString(Person)}"))!;
        Assert.Equal(("Thanks, got it", TwilioNumber), (stored["text"]!.GetValue<string>(), stored["to"]!.GetValue<string>()));
        Assert.Null(stored["keyword"]);
        Assert.Null(stored["replyMessageId"]);

        // HELP, then Twilio's retry of the same MessageSid: one record, one help text out through Twilio.
        await DeliverAsync("help", "SM000000000000000000000000000help1");
        await DeliverAsync("help", "SM000000000000000000000000000help1");
        var help = Assert.Single(await InboundAsync("keyword=help"))!;
        var helpReply = await WaitForStatusAsync(help["replyMessageId"]!.GetValue<string>(), "delivered");
        Assert.Equal((Person, "Twilio", HelpText), (helpReply["to"]!.GetValue<string>(), helpReply["provider"]!["nickname"]!.GetValue<string>(), helpReply["body"]!.GetValue<string>()));
        Assert.Single(TwilioSends(HelpText));
        Assert.Equal(2, (await InboundAsync($"from={Uri.EscapeDataString(Person)}")).Count);

        // STOP: suppressed for promotional messages, confirmed once, and the next campaign skips the number.
        await DeliverAsync("STOP", "SM000000000000000000000000000stop1");
        var stop = Assert.Single(await InboundAsync("keyword=stop"))!;
        var stopReply = await WaitForStatusAsync(stop["replyMessageId"]!.GetValue<string>(), "delivered");
        Assert.StartsWith("You are unsubscribed", stopReply["body"]!.GetValue<string>(), StringComparison.Ordinal);
        var suppression = Assert.Single((await GetAsync($"/api/v1/suppressions?phone={Uri.EscapeDataString(Person)}"))["items"]!.AsArray())!;
        Assert.Equal(("opt-out", "promotional"), (suppression["reason"]!.GetValue<string>(), string.Join(",", suppression["categories"]!.AsArray().Select(c => c!.GetValue<string>()))));
        var skipped = await RunCampaignAsync("After STOP");
        Assert.Equal(1, skipped["skippedByReason"]!["suppressed"]!.GetValue<long>());

        // START: resubscribed, and the next campaign sends through Twilio.
        await DeliverAsync("Start", "SM00000000000000000000000000start1");
        var start = Assert.Single(await InboundAsync("keyword=start"))!;
        await WaitForStatusAsync(start["replyMessageId"]!.GetValue<string>(), "delivered");
        Assert.Empty((await GetAsync($"/api/v1/suppressions?phone={Uri.EscapeDataString(Person)}"))["items"]!.AsArray());
        var sent = await RunCampaignAsync("After START");
        Assert.Equal(1, sent["recipients"]!["queued"]!.GetValue<long>());
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(TwilioSends("Winter sale: 20% off").Count == 1 ? true : null), "the campaign's SMS at the Twilio face");

        // Four distinct messages stored (the replayed HELP once), three confirmations sent, nothing else.
        Assert.Equal(4, (await InboundAsync($"from={Uri.EscapeDataString(Person)}")).Count);
        Assert.Equal(3, (await GetAsync($"/api/v1/messages?to={Uri.EscapeDataString(Person)}&source=inbound"))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task TwilioWebhook_ForgedSignature_Refused403AndNothingStored()
    {
        var fields = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM0000000000000000000000000forged1", ["AccountSid"] = _options.TwilioAccountSid, ["From"] = Person, ["To"] = TwilioNumber, ["Body"] = "STOP",
        };
        using var forged = new HttpRequestMessage(HttpMethod.Post, _inboundUrl) { Content = new FormUrlEncodedContent(fields) };
        forged.Headers.Add(Herald.Providers.Twilio.TwilioSignature.Header, Herald.Providers.Twilio.TwilioSignature.Compute("not-the-auth-token", _inboundUrl, fields));
        using var answer = await _anonymous.SendAsync(forged, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Contains("X-Twilio-Signature does not match", await answer.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Empty(await InboundAsync(""));
        Assert.Empty((await GetAsync($"/api/v1/suppressions?phone={Uri.EscapeDataString(Person)}"))["items"]!.AsArray());
    }

    /// <summary>The person writes <paramref name="text"/>; the simulator's Twilio face posts Twilio's signed webhook; Herald's answer (TwiML).</summary>
    private async Task<string> DeliverAsync(string text, string messageSid)
    {
        using var simulator = TestHttp.Create(_simulator.BaseUrl);
        var result = await HeraldInstance.ReadObjectAsync(await simulator.PostAsJsonAsync("/_sim/inbound",
            new { url = _inboundUrl, from = Person, to = TwilioNumber, text, id = messageSid, face = "twilio" }, Ct), HttpStatusCode.OK);
        Assert.True(result["status"]!.GetValue<int>() == 200, result.ToJsonString());
        return result["body"]!.GetValue<string>();
    }

    /// <summary>The Twilio face's accepted sends whose Body is <paramref name="body"/>.</summary>
    private List<string> TwilioSends(string body) =>
        [.. _simulator.Inspector.GetRequests().Where(r => r.Path.EndsWith("/Messages.json", StringComparison.Ordinal) && r.Response.Status == 201
            && System.Web.HttpUtility.ParseQueryString(r.Body) is var form && form["Body"] == body && form["To"] == Person).Select(r => r.Body)];

    private async Task<JsonArray> InboundAsync(string query) => (await GetAsync("/api/v1/inbound?" + query))["items"]!.AsArray();

    private async Task<JsonObject> GetAsync(string path) => await HeraldInstance.ReadObjectAsync(await _api.GetAsync(path, Ct), HttpStatusCode.OK);

    private Task<JsonObject> WaitForStatusAsync(string id, string status) =>
        TestHttp.EventuallyAsync(async () => await GetAsync($"/api/v1/messages/{id}") is var message && message["status"]!.GetValue<string>() == status ? message : null,
            $"message {id} to be {status}");

    private async Task<JsonObject> RunCampaignAsync(string name)
    {
        var campaign = (await HeraldInstance.ReadObjectAsync(await _api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name, allContacts = true, body = "Winter sale: 20% off", type = "mkt", provider = "Twilio",
        }, Ct), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await _api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, Ct), HttpStatusCode.OK);
        return await TestHttp.EventuallyAsync(async () =>
            await GetAsync($"/api/v1/campaigns/{campaign}/report") is var report && report["campaign"]!["status"]!.GetValue<string>() == "completed" ? report : null,
            $"campaign {name} to complete");
    }
}
