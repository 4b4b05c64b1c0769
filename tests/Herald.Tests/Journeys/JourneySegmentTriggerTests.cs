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
/// Journeys triggered by entering a segment, over real HTTP, a real database and a stub provider, on a fake clock: contacts
/// change through /api/v1/identify, the runner's segment evaluation enters the new members, the SMS reaches the provider.
/// </summary>
public abstract class JourneySegmentTriggerTests(TestDatabase database) : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        ["Herald:Journeys:PollInterval"] = "00:00:00.050",
        ["Herald:Journeys:SegmentEvaluationInterval"] = "00:01:00",
        ["Herald:Journeys:SegmentChangeDelay"] = "00:00:05",
        // One contact gets several welcomes here: the default cap (one promotional SMS in 4 hours) would skip them.
        ["Herald:Policy:FrequencyCaps:0:Count"] = "100",
        ["Herald:Policy:FrequencyCaps:0:Window"] = "1.00:00:00",
    };

    private readonly ConcurrentDictionary<string, (string To, string Body)> _calls = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;
    private string _gold = null!;
    private int _messages;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
        var segment = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/segments", new
        {
            name = "Gold members", rule = new { attribute = "tier", op = "eq", value = "gold" },
        }, Ct), HttpStatusCode.Created);
        _gold = segment["id"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task SegmentTrigger_ContactBecomesAMember_EntersOnceAndGetsTheSms_MembersAtPublishDoNot()
    {
        await IdentifyAsync("ct_1", "gold"); // a member before the journey exists
        var journey = await PublishAsync(Welcome("Welcome to gold", reEntry: "everyTime"));
        var existing = await PublishAsync(Welcome("Gold, existing included", reEntry: "everyTime", includeExisting: true));

        _clock.Advance(TimeSpan.FromSeconds(1));
        await IdentifyAsync("ct_0", "gold");
        // A change brings the evaluation forward: 5 s, not the 60 s interval.
        _clock.Advance(TimeSpan.FromSeconds(6));

        await EventuallyAsync(() => Task.FromResult(Sent.Count == 3 ? Sent : null), "three welcome messages");
        Assert.Equal("+4915155000000", Assert.Single(Sent, s => s.Body == "Welcome to gold").To);
        Assert.Equal(["+4915155000000", "+4915155000001"], Sent.Where(s => s.Body == "Gold, existing included").Select(s => s.To).Order());

        // Later evaluations find nobody new: nothing more is sent.
        _clock.Advance(TimeSpan.FromSeconds(61));
        await IdentifyAsync("ct_0", "gold");
        _clock.Advance(TimeSpan.FromSeconds(61));
        var evaluated = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        await EventuallyAsync(async () => await ScalarAsync("SELECT MIN(segment_evaluated_at) FROM journeys") >= evaluated ? "" : null, "both journeys to evaluate again");
        await Task.Delay(300, Ct);
        Assert.Equal(3, Sent.Count);
        var report = await ReportAsync(journey);
        Assert.Equal(1, report["entered"]!.GetValue<long>());
        Assert.Equal(1, report["sent"]!.GetValue<long>());
        Assert.Equal(2, (await ReportAsync(existing))["entered"]!.GetValue<long>());
        var instance = (await _herald.Api.GetFromJsonAsync<JsonArray>($"/api/v1/journeys/{journey}/instances", Ct))!.Single()!;
        Assert.Equal("ct_0", instance["contactId"]!.GetValue<string>());
    }

    [Fact]
    public async Task SegmentTrigger_LeaveAndComeBack_OnceEntersOnceAndEveryTimeEntersAgain()
    {
        var once = await PublishAsync(Welcome("Once", reEntry: "once"));
        var every = await PublishAsync(Welcome("Every time", reEntry: "everyTime"));

        await IdentifyAsync("ct_2", "gold");
        _clock.Advance(TimeSpan.FromSeconds(61));
        await WaitForAsync(every, r => r["entered"]!.GetValue<long>() == 1 && Sent.Count == 2);

        await IdentifyAsync("ct_2", "silver");
        _clock.Advance(TimeSpan.FromSeconds(61));
        await EventuallyAsync(async () => await ScalarAsync("SELECT COUNT(*) FROM journey_segment_members") == 0 ? "" : null, "ct_2 to leave the segment");

        await IdentifyAsync("ct_2", "gold");
        _clock.Advance(TimeSpan.FromSeconds(61));
        await WaitForAsync(every, r => r["entered"]!.GetValue<long>() == 2 && Sent.Count == 3);
        await Task.Delay(300, Ct);

        Assert.Equal(1, (await ReportAsync(once))["entered"]!.GetValue<long>());
        Assert.Equal(3, Sent.Count);
        Assert.Equal(2, Sent.Count(s => s.Body == "Every time"));
        Assert.All(Sent, s => Assert.Equal("+4915155000002", s.To));
    }

    [Fact]
    public async Task Create_UnknownSegmentOrEventAndSegment_Answers400AtTheTriggerNode()
    {
        var unknown = Welcome("Hi", reEntry: "once");
        unknown["nodes"]![0]!["segment"] = "seg_nope";
        var both = Welcome("Hi", reEntry: "once");
        both["nodes"]![0]!["event"] = "added_to_cart";
        var matching = Welcome("Hi", reEntry: "once");
        matching["goal"] = new JsonObject { ["event"] = "purchased", ["matchTrigger"] = new JsonArray("cart_id") };

        Assert.Contains("nodes[0].segment", await ErrorsAsync(unknown));
        Assert.Contains("nodes[0]", await ErrorsAsync(both));
        Assert.Contains("goal.matchTrigger", await ErrorsAsync(matching));
        var validation = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/journeys/validate", unknown, Ct), HttpStatusCode.OK);
        Assert.False(validation["valid"]!.GetValue<bool>());
        Assert.Contains("seg_nope", validation["errors"]!["nodes[0].segment"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    // ------------------------------------------------------------ helpers

    private JsonObject Welcome(string body, string reEntry, bool includeExisting = false)
    {
        var trigger = new JsonObject { ["id"] = "became_gold", ["type"] = "trigger", ["segment"] = _gold, ["next"] = "welcome" };
        if (includeExisting)
        {
            trigger["includeExisting"] = true;
        }
        return new JsonObject
        {
            ["name"] = body,
            ["reEntry"] = new JsonObject { ["mode"] = reEntry },
            ["nodes"] = new JsonArray(
                trigger,
                new JsonObject { ["id"] = "welcome", ["type"] = "sendSms", ["body"] = body, ["next"] = "done" },
                new JsonObject { ["id"] = "done", ["type"] = "exit" }),
        };
    }

    private async Task<List<string>> ErrorsAsync(JsonObject definition)
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/journeys", definition, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return [.. (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["errors"]!.AsObject().Select(e => e.Key)];
    }

    private async Task<string> PublishAsync(JsonObject definition)
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/journeys", definition, Ct), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var published = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/journeys/{id}/publish", null, Ct), HttpStatusCode.OK);
        Assert.Equal("active", published["status"]!.GetValue<string>());
        return id;
    }

    private async Task IdentifyAsync(string userId, string tier)
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/identify", new { userId, traits = new { tier }, messageId = $"identify-{++_messages}" }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task<JsonObject> ReportAsync(string journey) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/journeys/{journey}/report", Ct), HttpStatusCode.OK);

    private Task<JsonObject> WaitForAsync(string journey, Func<JsonObject, bool> done) =>
        EventuallyAsync(async () => await ReportAsync(journey) is var r && done(r) ? r : null, $"journey {journey} to reach the expected state");

    private Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what) where T : class => TestHttp.EventuallyAsync(_clock, probe, what);

    private async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = database == TestDatabase.Postgres
            ? new NpgsqlConnection(_herald.Settings["Herald:Database:ConnectionString"])
            : new SqliteConnection($"Data Source={Path.Combine(_herald.DataDir, "herald.db")}");
        await connection.OpenAsync(Ct);
        return connection;
    }

    private async Task ExecAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await connection.ExecuteAsync(sql);
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }
}

public sealed class SqliteJourneySegmentTriggerTests() : JourneySegmentTriggerTests(TestDatabase.Sqlite);

public sealed class PostgresJourneySegmentTriggerTests() : JourneySegmentTriggerTests(TestDatabase.Postgres);
