using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Providers.Twilio;
using Herald.Simulator;
using Herald.Tests.Campaigns;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Inbound;

/// <summary>
/// Inbound replies end to end over real HTTP: the simulator's Kaleyra face delivers a person's message to Herald's inbound URL,
/// Herald reads the keyword, suppresses or resubscribes, answers once through the same provider, and the next campaign obeys.
/// </summary>
public abstract class InboundTests(TestDatabase database) : IAsyncLifetime
{
    private const string Person = "+4915155000000";
    private const string OurNumber = "+4930901820";

    private readonly SimulatorOptions _options = new()
    {
        Urls = "http://127.0.0.1:0", ApiKey = "kaleyra-api-key-secret", Sid = "HXIN1234567890", DlrDelay = TimeSpan.FromMilliseconds(20), DeliveryRate = 1.0, Seed = 3,
    };

    private SimulatorHost _simulator = null!;
    private HeraldInstance _herald = null!;
    private string _providerId = null!;
    private string _inboundUrl = null!;

    public async ValueTask InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(_options);
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Herald:Campaigns:PollInterval"] = "00:00:00.050",
            ["Herald:Inbound:StopKeywords:0"] = "ARRET",
        });
        var provider = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Kaleyra",
            kind = "kaleyra",
            settings = new { apiKey = _options.ApiKey, sid = _options.Sid, host = _simulator.BaseUrl.ToString().TrimEnd('/'), allowCustomHost = true, sender = "KLRHXA" },
        }), HttpStatusCode.Created);
        _providerId = provider["id"]!.GetValue<string>();
        _inboundUrl = provider["inboundUrl"]!.GetValue<string>();
        await TestContacts.SeedAsync(_herald, 1, phone: _ => Person);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Stop_ThenStart_SuppressedForTheNextCampaignThenResubscribed()
    {
        var stop = await DeliverAsync(" Opt out ");
        Assert.Equal("stop", stop["keyword"]!.GetValue<string>());
        var confirmation = await _herald.WaitForStatusAsync(stop["replyMessageId"]!.GetValue<string>(), "delivered");
        Assert.Equal((Person, "Kaleyra", "txn"), (confirmation["to"]!.GetValue<string>(), confirmation["provider"]!["nickname"]!.GetValue<string>(), confirmation["type"]!.GetValue<string>()));
        Assert.StartsWith("You are unsubscribed", confirmation["body"]!.GetValue<string>(), StringComparison.Ordinal);
        var suppression = Assert.Single((await GetAsync($"/api/v1/suppressions?phone={Uri.EscapeDataString(Person)}"))["items"]!.AsArray())!;
        Assert.Equal(("opt-out", "promotional"), (suppression["reason"]!.GetValue<string>(), string.Join(",", suppression["categories"]!.AsArray().Select(c => c!.GetValue<string>()))));
        var replied = (await GetAsync("/api/v1/contacts/ct_0/events"))["items"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "replied")!;
        Assert.Equal("stop", replied["properties"]!["keyword"]!.GetValue<string>());

        var skipped = await RunCampaignAsync("After STOP");
        Assert.Equal(1, skipped["skippedByReason"]!["suppressed"]!.GetValue<long>());

        var start = await DeliverAsync("start");
        Assert.Equal("start", start["keyword"]!.GetValue<string>());
        Assert.Empty((await GetAsync($"/api/v1/suppressions?phone={Uri.EscapeDataString(Person)}"))["items"]!.AsArray());
        var welcome = await _herald.WaitForStatusAsync(start["replyMessageId"]!.GetValue<string>(), "delivered");
        Assert.StartsWith("You are subscribed again", welcome["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True((await GetAsync("/api/v1/contacts/ct_0"))["consent"]!["promotional"]!["granted"]!.GetValue<bool>());

        var sent = await RunCampaignAsync("After START");
        Assert.Equal(1, sent["recipients"]!["queued"]!.GetValue<long>());
    }

    [Fact]
    public async Task Help_DeliveredTwice_OneHelpReply()
    {
        var first = await DeliverAsync("help", id: "kal-in-42");
        var again = await DeliverAsync("help", id: "kal-in-42");

        Assert.Equal("help", first["keyword"]!.GetValue<string>());
        Assert.True(again["replay"]!.GetValue<bool>());
        Assert.Equal(first["id"]!.GetValue<string>(), again["id"]!.GetValue<string>());
        var reply = await _herald.WaitForStatusAsync(first["replyMessageId"]!.GetValue<string>(), "delivered");
        Assert.Contains("Msg & data rates may apply", reply["body"]!.GetValue<string>(), StringComparison.Ordinal);
        var toPerson = (await GetAsync($"/api/v1/messages?to={Uri.EscapeDataString(Person)}&source=inbound"))["items"]!.AsArray();
        Assert.Single(toPerson);
        Assert.Single((await GetAsync($"/api/v1/inbound?from={Uri.EscapeDataString(Person)}"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Reply_PlainText_RepliedOnTheLastMessageAndNoAnswer()
    {
        var sent = (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = Person, body = "Your order shipped", type = "txn", sender = "KLRHXA" }), HttpStatusCode.Accepted))["id"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(sent, "delivered");

        var reply = await DeliverAsync("Thanks! When does it arrive?");
        var locale = await DeliverAsync("Arrêt".Replace("ê", "e", StringComparison.Ordinal));

        Assert.Null(reply["keyword"]);
        Assert.Null(reply["replyMessageId"]);
        Assert.Equal(sent, reply["messageId"]!.GetValue<string>());
        var timeline = (await _herald.GetMessageAsync(sent))["timeline"]!.AsArray();
        Assert.Contains(timeline, e => e!["event"]!.GetValue<string>() == "replied" && e["note"]!.GetValue<string>().Contains("When does it arrive", StringComparison.Ordinal));
        Assert.Equal("stop", locale["keyword"]!.GetValue<string>());
    }

    [Fact]
    public async Task Inbound_WrongTokenOrBadBody_RefusedAndNothingStored()
    {
        var wrong = await _herald.Anonymous.PostAsync(_inboundUrl[..^3] + "xyz", new FormUrlEncodedContent(new Dictionary<string, string> { ["sender"] = "49151", ["message"] = "STOP" }));
        var empty = await _herald.Anonymous.PostAsync(_inboundUrl, new FormUrlEncodedContent(new Dictionary<string, string> { ["unrelated"] = "1" }));

        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("sender", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty((await GetAsync("/api/v1/inbound"))["items"]!.AsArray());
    }

    [Fact]
    public async Task OptOut_ThroughTheApi_SuppressesWithoutAReply()
    {
        var entry = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync("/api/v1/contacts/ct_0/opt-out", null), HttpStatusCode.OK);

        Assert.Equal("opt-out", entry["reason"]!.GetValue<string>());
        Assert.False((await GetAsync("/api/v1/contacts/ct_0"))["consent"]!["promotional"]!["granted"]!.GetValue<bool>());
        Assert.Empty((await GetAsync($"/api/v1/messages?to={Uri.EscapeDataString(Person)}"))["items"]!.AsArray());
    }

    /// <summary>The person writes <paramref name="text"/>; the simulator's Kaleyra face forwards it to Herald; Herald's answer for it.</summary>
    private async Task<JsonObject> DeliverAsync(string text, string? id = null)
    {
        using var client = TestHttp.Create(_simulator.BaseUrl);
        var result = await HeraldInstance.ReadObjectAsync(await client.PostAsJsonAsync("/_sim/inbound", new { url = _inboundUrl, from = Person, to = OurNumber, text, id }), HttpStatusCode.OK);
        Assert.Equal(200, result["status"]!.GetValue<int>());
        return JsonNode.Parse(result["body"]!.GetValue<string>())!["messages"]![0]!.AsObject();
    }

    private async Task<JsonObject> RunCampaignAsync(string name)
    {
        var campaign = (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name, allContacts = true, body = "Winter sale: 20% off", type = "mkt", sender = "KLRHXA",
        }), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null), HttpStatusCode.OK);
        return await TestHttp.EventuallyAsync(async () =>
            await GetAsync($"/api/v1/campaigns/{campaign}/report") is var report && report["campaign"]!["status"]!.GetValue<string>() == "completed" ? report : null,
            $"campaign {name} to complete");
    }

    private async Task<JsonObject> GetAsync(string path) => await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync(path), HttpStatusCode.OK);
}

public sealed class SqliteInboundTests() : InboundTests(TestDatabase.Sqlite);

public sealed class PostgresInboundTests() : InboundTests(TestDatabase.Postgres);
