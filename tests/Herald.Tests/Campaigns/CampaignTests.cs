using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Campaigns;

/// <summary>Campaigns over real HTTP, a real database and a stub provider: launch, throttle, pause, resume, cancel, report.</summary>
public abstract class CampaignTests(TestDatabase database) : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        ["Herald:Campaigns:PollInterval"] = "00:00:00.050",
        ["Herald:Campaigns:ChunkSize"] = "40",
    };

    private readonly ConcurrentQueue<string> _sentTo = new();
    private readonly ConcurrentQueue<string> _bodies = new();
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            _sentTo.Enqueue(form["to"].ToString());
            _bodies.Enqueue(form["body"].ToString());
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(database, extra: Fast);
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }), HttpStatusCode.Created);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task Launch_AllContacts_SendsEachNumberOnceAndReportsTheCounts()
    {
        await TestContacts.SeedAsync(_herald, 60, erased: 2, withoutPhone: 3);
        var campaign = await CreateAsync(new { name = "Diwali offer", allContacts = true, body = "Diwali sale: 20% off today", type = "mkt" });

        var launched = await ChangeAsync(campaign, "launch");
        Assert.Equal("running", launched["status"]!.GetValue<string>());
        Assert.Equal(55, launched["audienceCount"]!.GetValue<long>());
        var report = await WaitForAsync(campaign, r => r["campaign"]!["status"]!.GetValue<string>() == "completed" && Count(r["messages"], "accepted") == 55);

        Assert.Equal(55, Count(report["recipients"], "queued"));
        Assert.Equal(55, _sentTo.Count);
        Assert.Equal(55, _sentTo.Distinct().Count());
        var recipients = await GetAsync($"/api/v1/campaigns/{campaign}/recipients?limit=1000");
        Assert.All(recipients["items"]!.AsArray(), r => Assert.Equal("accepted", r!["messageStatus"]!.GetValue<string>()));
    }

    [Fact]
    public async Task PauseResume_Throttled_TakesBackUnsentAndSendsEveryoneOnce()
    {
        await TestContacts.SeedAsync(_herald, 120);
        var campaign = await CreateAsync(new { name = "Slow one", allContacts = true, body = "Hello", throttle = new { perSecond = 40 } });
        await ChangeAsync(campaign, "launch");
        await WaitForAsync(campaign, r => Count(r["recipients"], "queued") >= 20);

        var paused = await ChangeAsync(campaign, "pause");
        Assert.Equal("paused", paused["status"]!.GetValue<string>());
        var atPause = await ReportAsync(campaign);
        var sentAtPause = Count(atPause["recipients"], "queued");
        Assert.InRange(sentAtPause, 1, 119);
        Assert.Equal(120 - sentAtPause, Count(atPause["recipients"], "pending"));
        await Task.Delay(300);
        Assert.Equal(sentAtPause, Count((await ReportAsync(campaign))["recipients"], "queued"));

        await ChangeAsync(campaign, "resume");
        await WaitForAsync(campaign, r => r["campaign"]!["status"]!.GetValue<string>() == "completed" && Count(r["messages"], "accepted") == 120);
        Assert.Equal(120, _sentTo.Count);
        Assert.Equal(120, _sentTo.Distinct().Count());
    }

    [Fact]
    public async Task Cancel_Running_CancelsEveryoneNotYetSent()
    {
        await TestContacts.SeedAsync(_herald, 100);
        var campaign = await CreateAsync(new { name = "Cancelled", allContacts = true, body = "Hello", throttle = new { per5Minutes = 600 } });
        await ChangeAsync(campaign, "launch");
        await WaitForAsync(campaign, r => Count(r["recipients"], "queued") >= 2);

        var cancelled = await ChangeAsync(campaign, "cancel");

        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        var report = await ReportAsync(campaign);
        var sent = Count(report["recipients"], "queued");
        Assert.Equal(100 - sent, Count(report["recipients"], "cancelled"));
        Assert.Equal(0, Count(report["recipients"], "pending"));
        var conflict = await _herald.Api.PostAsync($"/api/v1/campaigns/{campaign}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
    }

    [Fact]
    public async Task Launch_ScheduledLaterAndLocalTime_WaitsAndSetsEachZonesTime()
    {
        await TestContacts.SeedAsync(_herald, 2);
        await TestContacts.SetTimeZoneAsync(_herald, 0, "Asia/Kolkata");
        await TestContacts.SetTimeZoneAsync(_herald, 1, "America/New_York");
        var later = await CreateAsync(new { name = "Tomorrow", allContacts = true, body = "Hi", schedule = new { localTime = "10:30", date = "2027-01-15" } });

        var launched = await ChangeAsync(later, "launch");

        Assert.Equal("scheduled", launched["status"]!.GetValue<string>());
        var due = (await GetAsync($"/api/v1/campaigns/{later}/recipients"))["items"]!.AsArray()
            .ToDictionary(r => r!["contactId"]!.GetValue<string>(), r => r!["dueAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(DateTimeOffset.Parse("2027-01-15T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture), due["ct_0"]);
        Assert.Equal(DateTimeOffset.Parse("2027-01-15T15:30:00Z", System.Globalization.CultureInfo.InvariantCulture), due["ct_1"]);
        await Task.Delay(300);
        Assert.Empty(_sentTo);
        Assert.Equal("scheduled", (await GetAsync($"/api/v1/campaigns/{later}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Launch_BodyNeedsAnAttributeTheContactsLack_SkipsWithARenderErrorInsteadOfSendingBraces()
    {
        await TestContacts.SeedAsync(_herald, 3);
        var campaign = await CreateAsync(new { name = "Personal", contactIds = new[] { "ct_0", "ct_1", "ct_2", "ct_unknown" }, body = "Hi {{ contact.first_name }}" });

        await ChangeAsync(campaign, "launch");
        var report = await WaitForAsync(campaign, r => r["campaign"]!["status"]!.GetValue<string>() == "completed");

        Assert.Equal(3, Count(report["recipients"], "skipped"));
        Assert.StartsWith("render-error", report["skippedByReason"]!.AsObject().Single().Key, StringComparison.Ordinal);
        Assert.Empty(_sentTo);
    }

    [Fact]
    public async Task Launch_LiquidBody_PersonalisesEachMessage()
    {
        await TestContacts.SeedAsync(_herald, 2);
        await TestContacts.SetAttributesAsync(_herald, 0, """{"first_name":"Asha"}""");
        var campaign = await CreateAsync(new { name = "Personal", allContacts = true, body = "Hi {{ contact.first_name | default: \"there\" }}, 20% off today" });

        await ChangeAsync(campaign, "launch");
        await WaitForAsync(campaign, r => Count(r["messages"], "accepted") == 2);

        Assert.Equal(["Hi Asha, 20% off today", "Hi there, 20% off today"], _bodies.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Launch_ProviderRefusesEveryMessage_PausesWithTheReasonAndSkipsNobody()
    {
        await TestContacts.SeedAsync(_herald, 5);
        var campaign = await CreateAsync(new { name = "Wrong provider", allContacts = true, body = "Hi", provider = "NoSuchProvider" });

        await ChangeAsync(campaign, "launch");
        var report = await WaitForAsync(campaign, r => r["campaign"]!["status"]!.GetValue<string>() == "paused");

        Assert.Contains("NoSuchProvider", report["campaign"]!["statusReason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(5, Count(report["recipients"], "pending"));
        Assert.Empty(_sentTo);
    }

    [Fact]
    public async Task Create_InvalidDefinition_SaysWhatToFixByField()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "", body = "x", segmentId = "seg_1", allContacts = true, type = "otp", throttle = new { perSecond = 0 },
            schedule = new { localTime = "25:99", date = "soon" }, stopOnErrorRate = 2,
        });

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        foreach (var field in new[] { "name", "audience", "type", "throttle", "schedule.localTime", "schedule.date", "stopOnErrorRate" })
        {
            Assert.True(errors.ContainsKey(field), $"no error for {field}: {problem}");
        }
    }

    [Fact]
    public async Task Update_AfterLaunch_IsAConflictAndUnknownIsNotFound()
    {
        await TestContacts.SeedAsync(_herald, 1);
        var campaign = await CreateAsync(new { name = "Once", allContacts = true, body = "Hi" });
        await ChangeAsync(campaign, "launch");

        var update = await _herald.Api.PutAsJsonAsync($"/api/v1/campaigns/{campaign}", new { name = "Twice", allContacts = true, body = "Hi again" });
        Assert.Equal(HttpStatusCode.Conflict, update.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _herald.Api.GetAsync("/api/v1/campaigns/cmp_nope/report")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _herald.Api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null)).StatusCode);
    }

    // ------------------------------------------------------------ helpers

    private async Task<string> CreateAsync(object definition)
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", definition), HttpStatusCode.Created);
        Assert.Equal("draft", created["status"]!.GetValue<string>());
        return created["id"]!.GetValue<string>();
    }

    private async Task<JsonObject> ChangeAsync(string id, string action) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{id}/{action}", null), HttpStatusCode.OK);

    private async Task<JsonObject> GetAsync(string path) => await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync(path), HttpStatusCode.OK);

    private Task<JsonObject> ReportAsync(string id) => GetAsync($"/api/v1/campaigns/{id}/report");

    private async Task<JsonObject> WaitForAsync(string id, Func<JsonObject, bool> done)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        while (true)
        {
            var report = await ReportAsync(id);
            if (done(report))
            {
                return report;
            }
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"campaign {id} did not get there: {report}");
            await Task.Delay(50);
        }
    }

    private static long Count(JsonNode? counts, string key) => counts?[key]?.GetValue<long>() ?? 0;
}

public sealed class SqliteCampaignTests() : CampaignTests(TestDatabase.Sqlite);

public sealed class PostgresCampaignTests() : CampaignTests(TestDatabase.Postgres);
