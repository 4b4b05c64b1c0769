using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Tests.Campaigns;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Herald.Tests.Journeys;

/// <summary>
/// The abandoned-cart journey (examples/abandoned-cart.json) over real HTTP, a real database and a stub provider, on a fake
/// clock: events in through /api/v1/track, reminders out to the provider, the report as the API gives it.
/// </summary>
public abstract class JourneyTests(TestDatabase database) : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        ["Herald:Journeys:PollInterval"] = "00:00:00.050",
    };

    // By message id: a jump of the fake clock can outlast the dispatcher's lease on a message in flight, which it then sends
    // again with the same id; these tests count messages, not provider calls.
    private readonly ConcurrentDictionary<string, (string To, string Body)> _calls = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The messages the provider received, in no particular order.</summary>
    /// <summary>The body is the text with its URL shortened (issue 13: links are shortened per message), and the short link leads to the cart.</summary>
    private async Task AssertShortLinkAsync(string body, string text, string longUrl)
    {
        var prefix = text + new Uri(_herald.BaseUrl, "/l/");
        Assert.StartsWith(prefix, body, StringComparison.Ordinal);
        using var client = TestHttp.CreateNoRedirect();
        using var redirect = await client.GetAsync(body[text.Length..], Ct);
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal(longUrl, redirect.Headers.Location?.ToString());
    }

    private List<(string To, string Body)> Sent => [.. _calls.Values];

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            _calls.TryAdd(form["message_id"].ToString(), (form["to"].ToString(), form["body"].ToString()));
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(database, extra: Fast, clock: _clock);
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, Ct), HttpStatusCode.Created);
        await TestContacts.SeedAsync(_herald, 3);
        await ExecAsync("UPDATE contacts SET external_id = id");
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task AbandonedCart_NoCheckout_SendsTheReminderAfter30MinutesThenTheSecondAfter24Hours()
    {
        var journey = await PublishExampleAsync();

        await TrackAsync("ct_0", "added_to_cart", "m-1", new { cart_id = "c1", item_name = "blue shoes", cart_url = "https://shop.example/c/1" });
        await WaitForAsync(journey, r => Active(r, "wait_checkout") == 1);
        _clock.Advance(TimeSpan.FromMinutes(29));
        await Task.Delay(300, Ct);
        Assert.Empty(Sent);

        _clock.Advance(TimeSpan.FromMinutes(2));
        await WaitForAsync(journey, r => Active(r, "wait_day") == 1 && Sent.Count == 1);
        Assert.Equal("+4915155000000", Sent.Single().To);
        await AssertShortLinkAsync(Sent.Single().Body, "You left blue shoes in your cart: ", "https://shop.example/c/1");

        _clock.Advance(TimeSpan.FromHours(24));
        var report = await WaitForAsync(journey, r => Count(r["exitedByReason"], "completed") == 1 && Sent.Count == 2);
        Assert.Contains(Sent, s => s.Body.Contains("CART10", StringComparison.Ordinal));
        Assert.Equal(1, report["entered"]!.GetValue<long>());
        Assert.Equal(2, report["sent"]!.GetValue<long>());
        Assert.Equal(0, report["converted"]!.GetValue<long>());
        Assert.Equal(1, Edge(report, "wait_checkout", "first_reminder"));
        Assert.Equal(1, Edge(report, "second_reminder", "done"));
        Assert.Equal(0, Edge(report, "wait_checkout", "bought"));
    }

    [Fact]
    public async Task AbandonedCart_CheckoutWithTheSameCartIn10Minutes_SendsNothingAndCountsAConversion()
    {
        var journey = await PublishExampleAsync();

        await TrackAsync("ct_0", "added_to_cart", "m-1", new { cart_id = "c1", item_name = "blue shoes", cart_url = "https://shop.example/c/1" });
        await TrackAsync("ct_1", "added_to_cart", "m-2", new { cart_id = "c2", item_name = "red hat", cart_url = "https://shop.example/c/2" });
        await WaitForAsync(journey, r => Active(r, "wait_checkout") == 2);
        _clock.Advance(TimeSpan.FromMinutes(10));
        await TrackAsync("ct_0", "checkout_completed", "m-3", new { cart_id = "c1" });
        await TrackAsync("ct_1", "checkout_completed", "m-4", new { cart_id = "another cart" });
        await WaitForAsync(journey, r => Count(r["exitedByReason"], "goal") == 1);

        _clock.Advance(TimeSpan.FromMinutes(25));
        var report = await WaitForAsync(journey, r => Active(r, "wait_day") == 1 && Sent.Count == 1);
        Assert.Equal("+4915155000001", Sent.Single().To); // the other cart's checkout did not count for ct_1
        Assert.Equal(1, report["converted"]!.GetValue<long>());
        Assert.Equal(0.5, report["conversionRate"]!.GetValue<double>());
    }

    [Fact]
    public async Task AbandonedCart_CheckoutDuringTheDayLongDelay_ExitsOnTheGoalBeforeTheSecondReminder()
    {
        var journey = await PublishExampleAsync();
        await TrackAsync("ct_0", "added_to_cart", "m-1", new { cart_id = "c1", item_name = "blue shoes", cart_url = "https://shop.example/c/1" });
        await WaitForAsync(journey, r => Active(r, "wait_checkout") == 1);
        _clock.Advance(TimeSpan.FromMinutes(31));
        await WaitForAsync(journey, r => Active(r, "wait_day") == 1 && Sent.Count == 1);

        _clock.Advance(TimeSpan.FromHours(2));
        await TrackAsync("ct_0", "checkout_completed", "m-2", new { cart_id = "c1" });
        await WaitForAsync(journey, r => Count(r["exitedByReason"], "goal") == 1);
        _clock.Advance(TimeSpan.FromHours(23));
        await Task.Delay(300, Ct);

        var report = await ReportAsync(journey);
        Assert.Single(Sent);
        Assert.Equal(1, report["converted"]!.GetValue<long>());
        Assert.Equal(0, report["active"]!.GetValue<long>());
    }

    [Fact]
    public async Task ReEntry_OnceAndEveryTime_EntersAsTheRuleSaysAndNeverTwiceForOneMessageId()
    {
        var once = await PublishAsync(Example(reEntry: new JsonObject { ["mode"] = "once" }, name: "Once"));
        var every = await PublishAsync(Example(reEntry: null, name: "Every time"));
        var cart = new { cart_id = "c1", item_name = "blue shoes", cart_url = "https://shop.example/c/1" };

        await TrackAsync("ct_0", "added_to_cart", "m-1", cart);
        await TrackAsync("ct_0", "added_to_cart", "m-1", cart); // a replay
        await WaitForAsync(every, r => r["entered"]!.GetValue<long>() == 1);
        await TrackAsync("ct_0", "added_to_cart", "m-2", new { cart_id = "c2", item_name = "red hat", cart_url = "https://shop.example/c/2" });

        await WaitForAsync(every, r => r["entered"]!.GetValue<long>() == 2);
        Assert.Equal(1, (await ReportAsync(once))["entered"]!.GetValue<long>());
    }

    [Fact]
    public async Task ReEntry_AfterHours_EntersAgainOnlyOnceOutAndPastTheHours()
    {
        var journey = await PublishAsync(Example(reEntry: new JsonObject { ["mode"] = "afterHours", ["hours"] = 48 }, name: "Every two days"));
        var cart = new { cart_id = "c1", item_name = "blue shoes", cart_url = "https://shop.example/c/1" };

        await TrackAsync("ct_0", "added_to_cart", "m-1", cart);
        await WaitForAsync(journey, r => Active(r, "wait_checkout") == 1);
        await TrackAsync("ct_0", "added_to_cart", "m-2", cart); // still inside
        _clock.Advance(TimeSpan.FromHours(30));
        await WaitForAsync(journey, r => Count(r["exitedByReason"], "completed") == 1);
        await TrackAsync("ct_0", "added_to_cart", "m-3", cart); // out, but 30 h after entering
        await Task.Delay(300, Ct);
        Assert.Equal(1, (await ReportAsync(journey))["entered"]!.GetValue<long>());

        _clock.Advance(TimeSpan.FromHours(20));
        await TrackAsync("ct_0", "added_to_cart", "m-4", cart);
        await WaitForAsync(journey, r => r["entered"]!.GetValue<long>() == 2);
    }

    [Fact]
    public async Task Timers_ServerRestartsDuringTheWait_TheReminderIsSentOnce()
    {
        var journey = await PublishExampleAsync();
        await TrackAsync("ct_0", "added_to_cart", "m-1", new { cart_id = "c1", item_name = "blue shoes", cart_url = "https://shop.example/c/1" });
        await TrackAsync("ct_1", "added_to_cart", "m-2", new { cart_id = "c2", item_name = "red hat", cart_url = "https://shop.example/c/2" });
        await WaitForAsync(journey, r => Active(r, "wait_checkout") == 2);

        _herald = await _herald.RestartAsync(database, _clock);
        _clock.Advance(TimeSpan.FromMinutes(31));

        await WaitForAsync(journey, r => Active(r, "wait_day") == 2 && Sent.Count == 2);
        await Task.Delay(300, Ct);
        Assert.Equal(2, Sent.Count);
        Assert.Equal(2, Sent.Select(s => s.To).Distinct().Count());
    }

    [Fact]
    public async Task Publish_NewVersion_RunningInstancesFinishOnTheirs()
    {
        var definition = Example(reEntry: null, name: "Versions");
        var journey = await PublishAsync(definition);
        await TrackAsync("ct_0", "added_to_cart", "m-1", new { cart_id = "c1", item_name = "blue shoes", cart_url = "https://shop.example/c/1" });
        await WaitForAsync(journey, r => Active(r, "wait_checkout") == 1);

        definition["nodes"]![2]!["body"] = "Version two: {{ event.properties.item_name }}";
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/journeys/{journey}", definition, Ct), HttpStatusCode.OK);
        var published = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/journeys/{journey}/publish", null, Ct), HttpStatusCode.OK);
        Assert.Equal(2, published["version"]!.GetValue<int>());
        await TrackAsync("ct_1", "added_to_cart", "m-2", new { cart_id = "c2", item_name = "red hat", cart_url = "https://shop.example/c/2" });
        await WaitForAsync(journey, r => Active(r, "wait_checkout") == 2);
        _clock.Advance(TimeSpan.FromMinutes(31));

        await WaitForAsync(journey, r => Sent.Count == 2);
        var bodies = Sent.ToDictionary(s => s.To, s => s.Body);
        await AssertShortLinkAsync(bodies["+4915155000000"], "You left blue shoes in your cart: ", "https://shop.example/c/1");
        Assert.Equal("Version two: red hat", bodies["+4915155000001"]);
    }

    [Fact]
    public async Task Create_BadDefinition_Answers400NamingEachField()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/journeys", new
        {
            name = "Broken",
            nodes = new object[]
            {
                new { id = "t", type = "trigger", @event = "added_to_cart", next = "w" },
                new { id = "w", type = "waitForEvent", @event = "checkout_completed", timeout = "30 minutes", onEvent = "x", onTimeout = "nowhere" },
                new { id = "x", type = "sendSms", body = "Hi {{ contact.first_name", next = "t" },
            },
        }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["errors"]!.AsObject();
        Assert.Contains("nodes[1].timeout", errors.Select(e => e.Key));
        Assert.Contains("nodes[2].body", errors.Select(e => e.Key));
    }

    // ------------------------------------------------------------ helpers

    internal static JsonObject Example(JsonObject? reEntry, string name)
    {
        var example = JsonNode.Parse(File.ReadAllText(Path.Combine(ReadmeTests.RepositoryRoot(), "examples", "abandoned-cart.json")))!.AsObject();
        example["name"] = name;
        example["reEntry"] = reEntry ?? new JsonObject { ["mode"] = "everyTime" };
        return example;
    }

    private Task<string> PublishExampleAsync() => PublishAsync(Example(reEntry: null, name: "Abandoned cart"));

    private async Task<string> PublishAsync(JsonObject definition)
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/journeys", definition, Ct), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("draft", created["status"]!.GetValue<string>());
        var published = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/journeys/{id}/publish", null, Ct), HttpStatusCode.OK);
        Assert.Equal("active", published["status"]!.GetValue<string>());
        return id;
    }

    private async Task TrackAsync(string userId, string name, string messageId, object properties)
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/track", new { userId, @event = name, messageId, properties, timestamp = _clock.GetUtcNow() }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task<JsonObject> ReportAsync(string journey) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/journeys/{journey}/report", Ct), HttpStatusCode.OK);

    private Task<JsonObject> WaitForAsync(string journey, Func<JsonObject, bool> done) =>
        TestHttp.EventuallyAsync(_clock, async () => await ReportAsync(journey) is var r && done(r) ? r : null, $"journey {journey} to reach the expected state");

    private static long Active(JsonObject report, string node) => Count(report["activeByNode"], node);

    private static long Count(JsonNode? counts, string key) => counts?[key]?.GetValue<long>() ?? 0;

    private static long Edge(JsonObject report, string from, string to) =>
        report["edges"]!.AsArray().Single(e => e!["from"]!.GetValue<string>() == from && e["to"]!.GetValue<string>() == to)!["count"]!.GetValue<long>();

    private async Task ExecAsync(string sql)
    {
        await using DbConnection connection = database == TestDatabase.Postgres
            ? new NpgsqlConnection(_herald.Settings["Herald:Database:ConnectionString"])
            : new SqliteConnection($"Data Source={Path.Combine(_herald.DataDir, "herald.db")}");
        await connection.OpenAsync(Ct);
        await connection.ExecuteAsync(sql);
    }
}

public sealed class SqliteJourneyTests() : JourneyTests(TestDatabase.Sqlite);

public sealed class PostgresJourneyTests() : JourneyTests(TestDatabase.Postgres);
