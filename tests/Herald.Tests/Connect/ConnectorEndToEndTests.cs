using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Connect;

/// <summary>
/// Issue 3 §4 end to end over real HTTP: a Herald generic provider configured exactly as the seed, whose HTTP Endpoint
/// is Herald's own <c>/connect/kaleyra</c> and whose kaleyra-host is the simulator's Kaleyra face → test SMS →
/// connector → simulator <c>/v1/{sid}/sms</c> → Kaleyra callbacks → connector → CleverTap-format relay to the
/// provider's Herald <c>/dlr/...</c> callback URL → the generic provider's message reaches its final state.
/// </summary>
public abstract class ConnectorEndToEndTests(TestDatabase database) : IAsyncLifetime
{
    private readonly SimulatorOptions _simulatorOptions = new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = "kaleyra-api-key-secret",
        Sid = "HXIN1234567890",
        DlrDelay = TimeSpan.FromMilliseconds(30),
        DeliveryRate = 1.0,
        DlrRetryBaseDelay = TimeSpan.FromMilliseconds(50),
        KaleyraRetryIntervalScale = 0.01,
        Seed = 11,
    };

    private HeraldInstance _herald = null!;
    private SimulatorHost _simulator = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(_simulatorOptions);
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:Connector:Kaleyra:AdditionalHosts:0"] = _simulator.BaseUrl.Authority,
            ["Herald:Connector:Kaleyra:AdditionalCallbackHosts:0"] = "127.0.0.1",
            ["Herald:Connector:Kaleyra:RelayRetryBaseDelay"] = "00:00:00.050",
            ["Herald:Connector:Kaleyra:RelayPollInterval"] = "00:00:00.050",
            // The seed's provider form uses "No Authentication".
            ["Herald:Connector:Kaleyra:AllowAnonymous"] = "true",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    /// <summary>The seed's provider form, with Herald's connector as the HTTP Endpoint and the simulator as kaleyra-host.</summary>
    private object SeedProvider(string callbackUrl) => new
    {
        nickname = "Kaleyra_SMS",
        kind = "generic",
        settings = new
        {
            requestType = "POST",
            endpoint = new Uri(_herald.BaseUrl, "/connect/kaleyra").ToString(),
            authentication = new { type = "none" },
            headers = new[]
            {
                new { key = "api-key", value = _simulatorOptions.ApiKey },
                new { key = "sid", value = _simulatorOptions.Sid },
                new { key = "kaleyra-host", value = _simulator.BaseUrl.Authority },
                new { key = "callback_url", value = callbackUrl },
            },
            bodyType = "form",
            parameters = new[]
            {
                new { key = "to", value = "$$To" },
                new { key = "sender", value = "$$Sender" },
                new { key = "body", value = "$$Body" },
                new { key = "template_id", value = "$$TemplateID" },
                new { key = "message_id", value = "$$MessageID" },
                new { key = "campaign_id", value = "$$CampaignID" },
                new { key = "type", value = "$$TYPE" },
                new { key = "long_url", value = "$$LongURL" },
            },
        },
    };

    private async Task<string> CreateProviderAsync()
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", SeedProvider("https://placeholder.invalid/"), Ct),
            HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{id}", SeedProvider(created["callbackUrl"]!.GetValue<string>()), Ct),
            HttpStatusCode.OK);
        return id;
    }

    private async Task<JsonObject> ConnectorMessageForAsync(string cleverTapMessageId)
    {
        var page = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/messages?source=connector", Ct), HttpStatusCode.OK);
        foreach (var id in page["items"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()))
        {
            var view = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/connector/kaleyra/messages/{id}", Ct), HttpStatusCode.OK);
            if (view["externalId"]?.GetValue<string>() == cleverTapMessageId)
            {
                return await _herald.GetMessageAsync(id);
            }
        }
        throw new InvalidOperationException($"No connector message carries CleverTap message_id {cleverTapMessageId}.");
    }

    [Fact]
    public async Task TestSms_SeedProviderThroughTheConnectorAndSimulator_IsDeliveredWithTheRelayedReport()
    {
        var providerId = await CreateProviderAsync();

        var result = await _herald.TestSmsAsync(providerId, "9812345678");

        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        var messageId = result["messageId"]!.GetValue<string>();
        var connectorAnswer = JsonNode.Parse(result["response"]!["body"]!.GetValue<string>())!;
        Assert.Equal("accepted", connectorAnswer["status"]!.GetValue<string>());
        Assert.Equal(messageId, connectorAnswer["message_id"]!.GetValue<string>());
        Assert.EndsWith(":1", connectorAnswer["kaleyra_id"]!.GetValue<string>());

        var message = await _herald.WaitForStatusAsync(messageId, "delivered");
        var dlr = message["timeline"]!.AsArray().Last(e => e!["source"]!.GetValue<string>() == "dlr")!;
        Assert.Equal(messageId, dlr["detail"]!["meta"]!.GetValue<string>());

        // What the simulator's Kaleyra face received: the real key, the seed's fields, ref = $$MessageID.
        var kaleyra = _simulator.Inspector.GetRequests().Single(r => r.Path == $"/v1/{_simulatorOptions.Sid}/sms");
        Assert.Equal(_simulatorOptions.ApiKey, kaleyra.Headers["api-key"]);
        var form = System.Web.HttpUtility.ParseQueryString(kaleyra.Body);
        Assert.Equal(messageId, form["ref"]);
        Assert.Equal("+919812345678", form["to"]);
        Assert.Equal("KLRHXA", form["sender"]);
        Assert.Equal("OTP", form["type"]);
        Assert.Contains("/connect/kaleyra/callback/", JsonNode.Parse(form["callback"]!)!["url"]!.GetValue<string>());

        // The connector's own message: CleverTap's request, Kaleyra's answer, both callbacks, the relay.
        // (Kaleyra's Sent may overtake the recording of Kaleyra's own answer; the relay is recorded once CleverTap's side answered.)
        var connector = await TestHttp.EventuallyAsync(async () =>
        {
            var found = await ConnectorMessageForAsync(messageId);
            return found["timeline"]!.AsArray().Any(e => e!["event"]!.GetValue<string>() == "relayed") ? found : null;
        }, "the connector to record the relay");
        Assert.Equal("delivered", connector["status"]!.GetValue<string>());
        var events = connector["timeline"]!.AsArray().Select(e => $"{e!["source"]}/{e["event"]}").ToList();
        Assert.Equal(["connector/received", "dispatch/dispatching", "dlr/Delivered", "dlr/Sent", "provider-response/accepted", "relay/relayed"], events.Order());
        Assert.Equal("connector/received", events[0]);
        Assert.Equal("relay/relayed", events[^1]);
        Assert.True(events.IndexOf("dlr/Sent") < events.IndexOf("dlr/Delivered"));

        // The relayed CleverTap body, as Herald's /dlr endpoint stored it.
        var inbox = _herald.Services.GetRequiredService<IDlrInbox>();
        var relayed = Assert.Single(await inbox.RecentAsync(providerId, 10, Ct));
        var groups = JsonNode.Parse(relayed.Body)!.AsArray();
        var record = Assert.Single(Assert.Single(groups)!["data"]!.AsArray())!;
        Assert.Equal("delivered", groups[0]!["event"]!.GetValue<string>());
        Assert.Equal(messageId, record["meta"]!.GetValue<string>());
        Assert.Equal(10, record["ts"]!.ToJsonString().Length);

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine("CleverTap-side request (as the generic provider sent it):");
        output?.WriteLine(result["request"]!.ToJsonString());
        output?.WriteLine("Kaleyra-side request (as the simulator saw it):");
        output?.WriteLine($"{kaleyra.Method} {kaleyra.Path}  api-key: {kaleyra.Headers["api-key"]}");
        output?.WriteLine(kaleyra.Body);
        output?.WriteLine("Relayed CleverTap callback body:");
        output?.WriteLine(relayed.Body);
    }

    [Fact]
    public async Task TestSms_DndNumberThroughTheConnector_EndsRejectedWith901Relayed()
    {
        var providerId = await CreateProviderAsync();

        var result = await _herald.TestSmsAsync(providerId, "9812340001");

        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        var messageId = result["messageId"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(messageId, "rejected");
        var relayed = Assert.Single(await _herald.Services.GetRequiredService<IDlrInbox>().RecentAsync(providerId, 10, Ct));
        var group = Assert.Single(JsonNode.Parse(relayed.Body)!.AsArray())!;
        Assert.Equal("failed", group["event"]!.GetValue<string>());
        Assert.Equal("901", group["data"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(messageId, group["data"]![0]!["meta"]!.GetValue<string>());
        Assert.Equal("rejected", (await ConnectorMessageForAsync(messageId))["status"]!.GetValue<string>());
    }
}

public sealed class SqliteConnectorEndToEndTests() : ConnectorEndToEndTests(TestDatabase.Sqlite);

public sealed class PostgresConnectorEndToEndTests() : ConnectorEndToEndTests(TestDatabase.Postgres);
