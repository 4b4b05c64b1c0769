using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Providers.Twilio;
using Herald.Simulator;
using Herald.Tests.Infrastructure;

namespace Herald.Tests;

/// <summary>A twilio provider end to end: Herald sends through the simulator's Twilio face over real HTTP and takes its signed status callbacks.</summary>
public sealed class TwilioProviderTests
{
    private static readonly SimulatorOptions Options = new()
    {
        Urls = "http://127.0.0.1:0",
        DlrDelay = TimeSpan.FromMilliseconds(50),
        DeliveryRate = 1,
        TwilioAccountSid = "AC0123456789abcdef0123456789abcdef",
        TwilioAuthToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    };

    private static Dictionary<string, string?> Fast(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Herald:Dispatch:RetryBaseDelay"] = "00:00:00.050",
            ["Herald:Dispatch:RetryMaxDelay"] = "00:00:00.200",
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return settings;
    }

    private static async Task<JsonObject> CreateProviderAsync(HeraldInstance herald, SimulatorHost simulator) =>
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Twilio",
            kind = "twilio",
            settings = new
            {
                accountSid = Options.TwilioAccountSid,
                authToken = Options.TwilioAuthToken,
                from = "+15005550006",
                host = simulator.BaseUrl.ToString().TrimEnd('/'),
                allowCustomHost = true,
            },
        }), HttpStatusCode.Created);

    private static async Task<string> SendAsync(HeraldInstance herald, string to) =>
        (await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages", new { to, body = "Your code is 123456", provider = "Twilio" }),
            HttpStatusCode.Accepted))["id"]!.GetValue<string>();

    private static async Task<int> StoredReportsAsync(HeraldInstance herald, string providerId) =>
        JsonNode.Parse(await herald.Api.GetStringAsync($"/api/v1/dlr?provider={providerId}&limit=1000"))!["items"]!.AsArray().Count;

    [Fact]
    public async Task Send_ThroughTheTwilioFace_SignedCallbacksTakeTheMessageToDelivered()
    {
        await using var simulator = await SimulatorHost.StartAsync(Options);
        await using var herald = await HeraldInstance.StartAsync(extra: Fast());
        var provider = await CreateProviderAsync(herald, simulator);
        Assert.Equal("****", provider["settings"]!["authToken"]!.GetValue<string>());
        Assert.Equal("****", provider["settings"]!["accountSid"]!.GetValue<string>());

        var id = await SendAsync(herald, "+14155550109");
        var message = await herald.WaitForStatusAsync(id, "delivered");

        Assert.Matches("^SM[0-9a-f]{32}$", message["providerMessageId"]!.GetValue<string>());
        var timeline = message["timeline"]!.AsArray();
        Assert.Equal(["queued", "sent", "delivered"], timeline.Where(e => e!["source"]!.GetValue<string>() == "dlr").Select(e => e!["event"]!.GetValue<string>()));
        var accepted = timeline.Single(e => e!["event"]!.GetValue<string>() == "accepted")!;
        var request = accepted["detail"]!["request"]!;
        Assert.Equal($"{simulator.BaseUrl}2010-04-01/Accounts/****/Messages.json", request["url"]!.GetValue<string>());
        Assert.Contains(request["headers"]!.AsArray(), h => h!["key"]!.GetValue<string>() == "Authorization" && h["value"]!.GetValue<string>() == "Basic ****");
        Assert.DoesNotContain(Options.TwilioAuthToken, message.ToJsonString());
        Assert.Equal(201, accepted["detail"]!["response"]!["status"]!.GetValue<int>());
        var signed = simulator.Inspector.GetCallbacks().Where(c => c.Face == "twilio").ToList();
        Assert.Equal(3, signed.Count);
        Assert.All(signed, c => Assert.Contains(c.Headers, h => h.Key == TwilioSignature.Header));
    }

    [Fact]
    public async Task Callback_ForgedOrUnsigned_Refused403AndStoredNowhere()
    {
        await using var simulator = await SimulatorHost.StartAsync(Options);
        await using var herald = await HeraldInstance.StartAsync(extra: Fast());
        var provider = await CreateProviderAsync(herald, simulator);
        var providerId = provider["id"]!.GetValue<string>();
        var callbackUrl = provider["callbackUrl"]!.GetValue<string>();
        var id = await SendAsync(herald, "+14155550007"); // accepted, and the face never calls back
        var message = await herald.WaitForStatusAsync(id, "accepted");
        var sid = message["providerMessageId"]!.GetValue<string>();
        var before = await StoredReportsAsync(herald, providerId);
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = Options.TwilioAccountSid, ["MessageSid"] = sid, ["MessageStatus"] = "delivered", ["To"] = "+14155550007",
        };

        using var forged = new HttpRequestMessage(HttpMethod.Post, callbackUrl) { Content = new FormUrlEncodedContent(fields) };
        forged.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute("not-the-auth-token", callbackUrl, fields));
        using var forgedAnswer = await herald.Anonymous.SendAsync(forged);
        using var unsignedAnswer = await herald.Anonymous.PostAsync(callbackUrl, new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.Forbidden, forgedAnswer.StatusCode);
        Assert.Contains("X-Twilio-Signature does not match", await forgedAnswer.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, unsignedAnswer.StatusCode);
        Assert.Contains("no X-Twilio-Signature header", await unsignedAnswer.Content.ReadAsStringAsync());
        Assert.Equal(before, await StoredReportsAsync(herald, providerId));
        Assert.Equal("accepted", (await herald.GetMessageAsync(id))["status"]!.GetValue<string>());

        // The same callback signed with the auth token over the URL Herald gave is taken.
        using var genuine = new HttpRequestMessage(HttpMethod.Post, callbackUrl) { Content = new FormUrlEncodedContent(fields) };
        genuine.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(Options.TwilioAuthToken, callbackUrl, fields));
        using var genuineAnswer = await herald.Anonymous.SendAsync(genuine);
        Assert.Equal(HttpStatusCode.OK, genuineAnswer.StatusCode);
        await herald.WaitForStatusAsync(id, "delivered");
        Assert.Equal(before + 1, await StoredReportsAsync(herald, providerId));
    }

    [Fact]
    public async Task Callback_BehindAReverseProxy_CheckedAgainstThePublicUrlHeraldGaveTwilio()
    {
        await using var simulator = await SimulatorHost.StartAsync(Options);
        await using var herald = await HeraldInstance.StartAsync(extra: Fast(("Herald:PublicBaseUrl", "https://sms.example.com")));
        var provider = await CreateProviderAsync(herald, simulator);
        var publicUrl = provider["callbackUrl"]!.GetValue<string>();
        Assert.StartsWith("https://sms.example.com/dlr/", publicUrl, StringComparison.Ordinal);
        var localUrl = new Uri(herald.BaseUrl, new Uri(publicUrl).PathAndQuery + "?ref=msg_unknown").ToString();
        var fields = new Dictionary<string, string> { ["MessageSid"] = "SM0000000000000000000000000000beef", ["MessageStatus"] = "sent" };

        async Task<HttpStatusCode> PostSignedOverAsync(string signedUrl)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, localUrl) { Content = new FormUrlEncodedContent(fields) };
            request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(Options.TwilioAuthToken, signedUrl, fields));
            using var response = await herald.Anonymous.SendAsync(request);
            return response.StatusCode;
        }

        // The proxy forwards Twilio's request to Herald's own address; Twilio signed the public URL, query included.
        Assert.Equal(HttpStatusCode.OK, await PostSignedOverAsync(publicUrl + "?ref=msg_unknown"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostSignedOverAsync(localUrl));
    }

    [Fact]
    public async Task Send_UnsubscribedRecipient21610_FailedPermanentlyWithoutRetry()
    {
        await using var simulator = await SimulatorHost.StartAsync(Options);
        await using var herald = await HeraldInstance.StartAsync(extra: Fast());
        await CreateProviderAsync(herald, simulator);

        var id = await SendAsync(herald, "+14155550001");
        var message = await herald.WaitForStatusAsync(id, "failed");

        var failure = message["timeline"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "permanent-failure")!;
        Assert.Contains("Twilio error 21610", failure["note"]!.GetValue<string>());
        Assert.Contains("unsubscribed", failure["note"]!.GetValue<string>());
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // a retry would have gone out by now
        Assert.Single(simulator.Inspector.GetRequests(), r => r.Path.EndsWith("/Messages.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_RateLimited429_RetriedOnlyAfterItsRetryAfter()
    {
        await using var simulator = await SimulatorHost.StartAsync(Options);
        await using var herald = await HeraldInstance.StartAsync(extra: Fast());
        await CreateProviderAsync(herald, simulator);

        var id = await SendAsync(herald, "+14155550429"); // Twilio face: 429, error 20429, Retry-After: 2, every time

        var sends = await TestHttp.EventuallyAsync(() =>
        {
            var requests = simulator.Inspector.GetRequests().Where(r => r.Path.EndsWith("/Messages.json", StringComparison.Ordinal)).OrderBy(r => r.Id).ToList();
            return Task.FromResult(requests.Count >= 2 ? requests : null);
        }, "a second attempt", TimeSpan.FromSeconds(15));

        Assert.All(sends, s => Assert.Equal(429, s.Response.Status));
        Assert.True(sends[1].ReceivedAt - sends[0].ReceivedAt >= TimeSpan.FromSeconds(1.9),
            $"The retry went out {(sends[1].ReceivedAt - sends[0].ReceivedAt).TotalMilliseconds:0} ms after the 429, before its Retry-After of 2 s.");
        var message = await herald.GetMessageAsync(id);
        Assert.Contains(message["timeline"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "transient-failure"
            && e["note"]!.GetValue<string>().Contains("Twilio error 20429", StringComparison.Ordinal));
    }
}
