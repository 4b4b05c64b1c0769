using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Herald.Simulator;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Dispatch;

/// <summary>How the dispatcher treats a provider in trouble, and providers that take batches.</summary>
public sealed class ProviderTroubleTests
{
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

    private static async Task CreateStubProviderAsync(HeraldInstance herald, Uri url) =>
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new { endpoint = url.ToString(), parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
        }), HttpStatusCode.Created);

    private static async Task<string> SendAsync(HeraldInstance herald, string to, string body = "hi") =>
        (await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages", new { to, body }), HttpStatusCode.Accepted))["id"]!.GetValue<string>();

    [Fact]
    public async Task RetryAfter_PausesTheProvider_NotJustTheMessage()
    {
        var calls = new ConcurrentQueue<(string Body, long At)>();
        var first = 1;
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            calls.Enqueue((form["body"].ToString(), TimeProvider.System.GetTimestamp()));
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "1";
                return;
            }
            await context.Response.WriteAsJsonAsync(new { id = "ok" });
        });
        await using var herald = await HeraldInstance.StartAsync(extra: Fast());
        await CreateStubProviderAsync(herald, stub.Url);

        var a = await SendAsync(herald, "+919812345671", "first");
        // The pause starts when the 429 is answered and recorded: a send already on its way on another worker is not recalled.
        await TestHttp.EventuallyAsync(async () =>
        {
            var message = await herald.GetMessageAsync(a);
            return message["timeline"]!.AsArray().Any(e => e!["event"]!.GetValue<string>() == "transient-failure") ? message : null;
        }, "the 429 to be recorded");
        var b = await SendAsync(herald, "+919812345672", "second");

        var second = await herald.WaitForStatusAsync(b, "accepted");
        await herald.WaitForStatusAsync(a, "accepted");
        var secondCall = calls.First(c => c.Body == "second").At;
        var firstCall = calls.First().At;
        Assert.True(TimeProvider.System.GetElapsedTime(firstCall, secondCall) >= TimeSpan.FromMilliseconds(900),
            "The second message went out while the provider had asked to wait a second.");
        Assert.Contains(second["timeline"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "deferred");
    }

    [Fact]
    public async Task ProviderLimits_CapTheRateAndTheRequestsInFlight()
    {
        var stamps = new ConcurrentQueue<long>();
        var inFlight = 0;
        var maxInFlight = 0;
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            stamps.Enqueue(TimeProvider.System.GetTimestamp());
            await Task.Delay(20);
            Interlocked.Decrement(ref inFlight);
            await context.Response.WriteAsJsonAsync(new { id = "ok" });
        });
        await using var herald = await HeraldInstance.StartAsync(extra: Fast());
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new { endpoint = stub.Url.ToString(), parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
            limits = new { messagesPerSecond = 20, maxInFlight = 2 },
        }), HttpStatusCode.Created);

        var messages = Enumerable.Range(0, 60).Select(i => new { to = $"+919{i:D3}123456", body = "paced" }).ToArray();
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new { messages }), HttpStatusCode.Accepted);
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(stamps.Count >= 60 ? true : null), "60 sends", TimeSpan.FromSeconds(30));

        var times = stamps.Order().ToList();
        // The bucket starts full (20), then refills at 20 a second: the other 40 need at least ~2 s.
        var elapsed = TimeProvider.System.GetElapsedTime(times[0], times[^1]);
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.8), $"60 messages at 20/s took only {elapsed.TotalSeconds:0.00} s");
        Assert.True(maxInFlight <= 2, $"{maxInFlight} requests were in flight at once; the limit is 2");

        var view = JsonNode.Parse(await herald.Api.GetStringAsync("/api/v1/providers/Stub"))!;
        Assert.Equal(20, view["limits"]!["messagesPerSecond"]!.GetValue<int>());
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public async Task CircuitBreaker_OpensAfterTransientFailures_ThenAProbeClosesIt()
    {
        var healthy = 0;
        var calls = 0;
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            Interlocked.Increment(ref calls);
            if (Volatile.Read(ref healthy) == 0)
            {
                context.Response.StatusCode = 503;
                return;
            }
            await context.Response.WriteAsJsonAsync(new { id = "ok" });
        });
        await using var herald = await HeraldInstance.StartAsync(extra: Fast(
            ("Herald:Dispatch:CircuitBreakerThreshold", "3"),
            ("Herald:Dispatch:CircuitBreakDuration", "00:00:01"),
            ("Herald:Dispatch:CircuitProbeInterval", "00:00:00.100"),
            ("Herald:Dispatch:RetryBaseDelay", "00:00:00.020")));
        await CreateStubProviderAsync(herald, stub.Url);

        var id = await SendAsync(herald, "+919812345671");
        var deferred = await TestHttp.EventuallyAsync(async () =>
        {
            var message = await herald.GetMessageAsync(id);
            return message["timeline"]!.AsArray().Any(e => e!["note"]?.GetValue<string>().Contains("circuit open", StringComparison.Ordinal) == true) ? message : null;
        }, "the circuit to open");
        var callsWhenOpen = Volatile.Read(ref calls);
        Assert.Equal(3, callsWhenOpen);

        Volatile.Write(ref healthy, 1);
        var accepted = await herald.WaitForStatusAsync(id, "accepted");
        Assert.Equal(4, Volatile.Read(ref calls)); // no call while open; one probe closed it
        Assert.NotNull(deferred);
        Assert.Equal(3, accepted["timeline"]!.AsArray().Count(e => e!["event"]!.GetValue<string>() == "transient-failure"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task KaleyraProvider_SendsBatchesOf100_AndEveryMessageGetsItsDelivery(TestDatabase database)
    {
        var options = new SimulatorOptions { Urls = "http://127.0.0.1:0", ApiKey = "kaleyra-key", Sid = "HXAP1", DlrDelay = TimeSpan.FromMilliseconds(20), DeliveryRate = 1, Seed = 3 };
        await using var simulator = await SimulatorHost.StartAsync(options);
        await using var herald = await HeraldInstance.StartAsync(database, extra: Fast(("Herald:Dispatch:ClaimBatchSize", "500")));
        var provider = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Kaleyra",
            kind = "kaleyra",
            settings = new { apiKey = options.ApiKey, sid = options.Sid, host = simulator.BaseUrl.ToString().TrimEnd('/'), allowCustomHost = true, sender = "KLRHXA" },
        }), HttpStatusCode.Created);
        Assert.Equal("****", provider["settings"]!["apiKey"]!.GetValue<string>());

        // default, not mkt: these numbers are not contacts, so the send-path policy would skip mkt messages to them (no-consent).
        var messages = Enumerable.Range(0, 250).Select(i => new { to = $"+919{i:D3}123456", body = "Sale starts now", type = "default", templateId = "1107160000000012345" }).ToArray();
        var answer = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new { messages }), HttpStatusCode.Accepted);
        var ids = answer["accepted"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(250, ids.Count);

        await TestHttp.EventuallyAsync(async () =>
        {
            var page = JsonNode.Parse(await herald.Api.GetStringAsync("/api/v1/messages?status=delivered&limit=500"))!;
            return page["items"]!.AsArray().Count == 250 ? page : null;
        }, "250 deliveries", TimeSpan.FromSeconds(30));
        var sends = simulator.Inspector.GetRequests().Where(r => r.Path.EndsWith("/sms", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sends.Count);
        Assert.Equal([50, 100, 100], sends.Select(r => System.Web.HttpUtility.ParseQueryString(r.Body)["to"]!.Split(',').Length).Order());
        // Sent is on the timeline; it may read "ignored" when it was parked (it overtook the send's answer) and Delivered came first,
        // and a parked report reaches the timeline when the pending-report worker applies it, shortly after the answer is recorded.
        var sample = await TestHttp.EventuallyAsync(async () => await herald.GetMessageAsync(ids[123]) is var m
            && m["timeline"]!.AsArray().Any(e => e!["event"]!.GetValue<string>() == "Sent") ? m : null, "the Sent report on the timeline");
        Assert.Matches(@"^[0-9a-f\-]+:\d+$", sample["providerMessageId"]!.GetValue<string>());

        // Three requests, the first of them sampled (one success in 100 keeps its bodies): its 100-recipient request is kept on
        // one of its messages, not on each of them.
        var kept = 0;
        foreach (var id in ids)
        {
            var accepted = (await herald.GetMessageAsync(id))["timeline"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "accepted")!;
            kept += accepted["detail"]!.ToJsonString().Contains("bodiesKept", StringComparison.Ordinal) ? 0 : 1;
        }
        Assert.Equal(1, kept);
    }
}
