using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Dashboard;
using Herald.Simulator;
using Herald.Simulator.Inspection;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests;

/// <summary>
/// The seed's flow end to end, over real HTTP: a generic provider configured exactly as the seed,
/// a test SMS through the simulator, and the delivery report that comes back.
/// </summary>
public abstract class SeedFlowTests(TestDatabase database) : IAsyncLifetime
{
    private readonly SimulatorOptions _simulatorOptions = new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = "kaleyra-api-key-secret",
        Sid = "HXIN1234567890",
        DlrDelay = TimeSpan.FromMilliseconds(30),
        DeliveryRate = 1.0,
        DlrRetryBaseDelay = TimeSpan.FromMilliseconds(50),
        TimeoutHang = TimeSpan.FromSeconds(40),
        Seed = 7,
    };

    protected HeraldInstance Herald { get; private set; } = null!;
    protected SimulatorHost Simulator { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Simulator = await SimulatorHost.StartAsync(_simulatorOptions);
        Herald = await HeraldInstance.StartAsync(database);
    }

    public async ValueTask DisposeAsync()
    {
        await Herald.DisposeAsync();
        await Simulator.DisposeAsync();
    }

    [Fact]
    public async Task TestSms_SeedConfiguration_IsDeliveredWithDlrOnTimeline()
    {
        var provider = await Herald.CreateSeedProviderAsync(Simulator, _simulatorOptions);
        var providerId = provider["id"]!.GetValue<string>();
        Assert.StartsWith($"{Herald.BaseUrl.ToString().TrimEnd('/')}/dlr/{providerId}/", provider["callbackUrl"]!.GetValue<string>());
        Assert.Equal(["Sender", "TYPE", "LongURL"], provider["customPlaceholders"]!.AsArray().Select(p => p!.GetValue<string>()));

        var result = await Herald.TestSmsAsync(providerId, "9812345678");

        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        // The message's state when the answer was written: the simulator's report (30 ms) may already have made it delivered.
        Assert.Contains(result["status"]!.GetValue<string>(), new[] { "accepted", "delivered" });
        var request = result["request"]!.AsObject();
        Assert.Equal("POST", request["method"]!.GetValue<string>());
        var form = System.Web.HttpUtility.ParseQueryString(request["body"]!.GetValue<string>());
        Assert.Equal("+919812345678", form["to"]);
        Assert.Equal("KLRHXA", form["sender"]);
        Assert.Equal("This is a test message powered by Kaleyra", form["body"]);
        Assert.Equal(result["messageId"]!.GetValue<string>(), form["message_id"]);
        Assert.Equal("OTP", form["type"]);
        Assert.Null(form["template_id"]); // optional and empty: left out, not sent empty
        Assert.Null(form["campaign_id"]);
        Assert.Null(form["long_url"]);
        var headers = request["headers"]!.AsArray().ToDictionary(h => h!["key"]!.GetValue<string>(), h => h!["value"]!.GetValue<string>());
        Assert.Equal("****", headers["api-key"]);
        Assert.Equal("****", headers["sid"]);
        Assert.DoesNotContain(_simulatorOptions.ApiKey, result.ToJsonString());
        Assert.Equal(200, result["response"]!["status"]!.GetValue<int>());

        var messageId = result["messageId"]!.GetValue<string>();
        var message = await Herald.WaitForStatusAsync(messageId, "delivered");
        Assert.Equal("+919812345678", message["to"]!.GetValue<string>());
        Assert.Equal("test", message["type"]!.GetValue<string>());
        Assert.EndsWith(":1", message["providerMessageId"]!.GetValue<string>());
        var timeline = message["timeline"]!.AsArray();
        Assert.Equal(["queued", "dispatching", "accepted", "delivered"], timeline.Select(e => e!["result"]!.GetValue<string>()));
        var dlr = timeline.Last()!;
        Assert.Equal("dlr", dlr["source"]!.GetValue<string>());
        Assert.Equal(messageId, dlr["detail"]!["meta"]!.GetValue<string>());

        // The simulator saw the real secrets: Herald masks them only in what it shows.
        var seen = Simulator.Inspector.GetRequests(10).Single(r => r.Path == "/connector/sms");
        Assert.Equal(_simulatorOptions.ApiKey, seen.Headers["api-key"]);
    }

    [Fact]
    public async Task TestSms_CallbackUrlPlaceholder_SendsTheProvidersOwnCallbackUrl()
    {
        var seed = (dynamic)HeraldInstance.SeedProvider("WithPlaceholder", Simulator, _simulatorOptions, "$$CallbackURL");
        var created = await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/providers", (object)seed), HttpStatusCode.Created);

        var result = await Herald.TestSmsAsync(created["id"]!.GetValue<string>(), "9812345678");

        var sentHeader = result["request"]!["headers"]!.AsArray().Single(h => h!["key"]!.GetValue<string>() == "callback_url")!["value"]!.GetValue<string>();
        Assert.Equal(created["callbackUrl"]!.GetValue<string>(), sentHeader);
        await Herald.WaitForStatusAsync(result["messageId"]!.GetValue<string>(), "delivered");
    }

    [Theory]
    [InlineData("9812340001", "accepted", "rejected")]   // DLR failed 901 DND
    [InlineData("9812340005", "accepted", "expired")]    // DLR failed 916
    [InlineData("9812340006", "accepted", "rejected")]   // DLR failed 908 DLT
    [InlineData("9812340004", "permanent-failure", "failed")] // 400 from the endpoint
    [InlineData("9812340002", "transient-failure", "failed")] // 503: test messages are not retried
    [InlineData("9812340429", "transient-failure", "failed")] // 429
    public async Task TestSms_ForcedOutcomeNumbers_EndInTheMappedState(string mobile, string outcome, string finalState)
    {
        var provider = await Herald.CreateSeedProviderAsync(Simulator, _simulatorOptions);
        var result = await Herald.TestSmsAsync(provider["id"]!.GetValue<string>(), mobile);
        Assert.Equal(outcome, result["outcome"]!.GetValue<string>());
        if (outcome != "accepted")
        {
            Assert.False(string.IsNullOrEmpty(result["reason"]?.GetValue<string>()));
        }
        await Herald.WaitForStatusAsync(result["messageId"]!.GetValue<string>(), finalState);
    }

    /// <summary>A seed provider with one test SMS delivered, one rejected by the operator and one failed at send; its id.</summary>
    private async Task<string> DeliveredRejectedAndFailedAsync()
    {
        var provider = await Herald.CreateSeedProviderAsync(Simulator, _simulatorOptions);
        var id = provider["id"]!.GetValue<string>();
        var delivered = (await Herald.TestSmsAsync(id, "9812345678"))["messageId"]!.GetValue<string>();
        var rejected = (await Herald.TestSmsAsync(id, "9812340001"))["messageId"]!.GetValue<string>();
        await Herald.TestSmsAsync(id, "9812340004"); // failed at send
        await Herald.WaitForStatusAsync(delivered, "delivered");
        await Herald.WaitForStatusAsync(rejected, "rejected");
        return id;
    }

    [Fact]
    public async Task ProviderStats_CountDeliveriesFailuresAndReportLatency()
    {
        var id = await DeliveredRejectedAndFailedAsync();

        var stats = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync($"/api/v1/providers/{id}/stats"), HttpStatusCode.OK);
        var day = stats["windows"]!["24h"]!;
        Assert.Equal(3, day["total"]!.GetValue<long>());
        Assert.Equal(1, day["delivered"]!.GetValue<long>());
        Assert.Equal(2, day["failed"]!.GetValue<long>());
        Assert.Equal(0.3333, day["deliveryRate"]!.GetValue<double>());
        Assert.Equal(2, day["dlrLatencyMs"]!["count"]!.GetValue<long>());
        Assert.True(day["dlrLatencyMs"]!["p95"]!.GetValue<long>() >= day["dlrLatencyMs"]!["p50"]!.GetValue<long>());
        Assert.Contains(stats["lastErrors"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "permanent-failure");

        var counts = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync("/api/v1/messages/counts?provider=Kaleyra_SMS"), HttpStatusCode.OK);
        Assert.Equal(3, counts["total"]!.GetValue<long>());
        Assert.Equal(1, counts["byStatus"]!["rejected"]!.GetValue<long>());
    }

    [Fact]
    public async Task ProviderStats_ApiAndDashboard_ShowTheSameFigures()
    {
        var id = await DeliveredRejectedAndFailedAsync();

        var api = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync($"/api/v1/providers/{id}/stats"), HttpStatusCode.OK);
        var health = Herald.Services.GetRequiredService<ProviderHealthService>();
        var page = await health.GetAsync(id, TestContext.Current.CancellationToken);
        var providersPage = (await health.LastDayByProviderAsync(TestContext.Current.CancellationToken))[id];

        foreach (var (window, shown) in new[] { ("1h", page.LastHour), ("24h", page.LastDay), ("24h", providersPage) })
        {
            var figures = api["windows"]![window]!;
            Assert.Equal(3, shown.Total);
            Assert.Equal(figures["total"]!.GetValue<long>(), shown.Total);
            Assert.Equal(figures["delivered"]!.GetValue<long>(), shown.Delivered);
            Assert.Equal(figures["failed"]!.GetValue<long>(), shown.Failed);
            Assert.Equal(figures["pending"]!.GetValue<long>(), shown.Pending);
            Assert.Equal(figures["deliveryRate"]!.GetValue<double>(), Math.Round(shown.DeliveryRate!.Value, 4));
        }
        foreach (var (window, shown) in new[] { ("1h", page.LastHour), ("24h", page.LastDay) })
        {
            var latency = api["windows"]![window]!["dlrLatencyMs"]!;
            Assert.Equal(2, shown.LatencySamples);
            Assert.Equal(latency["count"]!.GetValue<long>(), shown.LatencySamples);
            Assert.Equal(latency["p50"]!.GetValue<long>(), (long)shown.LatencyP50!.Value.TotalMilliseconds);
            Assert.Equal(latency["p95"]!.GetValue<long>(), (long)shown.LatencyP95!.Value.TotalMilliseconds);
        }
        Assert.Equal(
            api["lastErrors"]!.AsArray().Select(e => (e!["messageId"]!.GetValue<string>(), e["event"]!.GetValue<string>())),
            page.LastErrors.Select(e => (e.MessageId, e.Event)));
        Assert.NotEmpty(page.LastErrors);
    }

    [Fact]
    public async Task MessagesList_FiltersAndPages_WithoutGapsOrDuplicates()
    {
        var provider = await Herald.CreateSeedProviderAsync(Simulator, _simulatorOptions);
        var providerId = provider["id"]!.GetValue<string>();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Herald.TestSmsAsync(providerId, "981234567" + i))["messageId"]!.GetValue<string>());
        }
        var failed = (await Herald.TestSmsAsync(providerId, "9812340004"))["messageId"]!.GetValue<string>();

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await HeraldInstance.ReadObjectAsync(
                await Herald.Api.GetAsync($"/api/v1/messages?provider=Kaleyra_SMS&limit=2{(cursor is null ? "" : "&cursor=" + cursor)}"), HttpStatusCode.OK);
            seen.AddRange(page["items"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(ids.Append(failed).OrderDescending(), seen);

        var failedOnly = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync("/api/v1/messages?status=failed"), HttpStatusCode.OK);
        Assert.Equal([failed], failedOnly["items"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        var byNumber = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync("/api/v1/messages?to=%2B919812345672"), HttpStatusCode.OK);
        Assert.Equal([ids[2]], byNumber["items"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));

        var badStatus = await Herald.Api.GetAsync("/api/v1/messages?status=lost");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        Assert.Contains("queued", await badStatus.Content.ReadAsStringAsync());
    }
}

public sealed class SqliteSeedFlowTests() : SeedFlowTests(TestDatabase.Sqlite);

public sealed class PostgresSeedFlowTests() : SeedFlowTests(TestDatabase.Postgres);
