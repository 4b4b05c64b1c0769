using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Herald.Tests.Campaigns;

/// <summary>
/// The campaign dry run, per-campaign policy overrides and the DLT rule at save (issue 12 §4-§6), over real HTTP and a real
/// database on a fake clock: 17:30 UTC is 23:00 in India (outside its promotional window) and 18:30 in Berlin.
/// </summary>
public abstract class CampaignDryRunTests(TestDatabase database) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 17, 30, 0, TimeSpan.Zero);
    private const string TemplateId = "1107161234567890123";

    private readonly FakeTimeProvider _clock = new(Start);
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Herald:Campaigns:PollInterval"] = "00:00:00.050",
            ["Herald:Campaigns:Pricing:Stub"] = "0.25",
            ["Herald:Campaigns:Currency"] = "INR",
            // Every message the dispatcher claims is checked again, so a campaign's overrides must hold at dispatch too.
            ["Herald:Policy:RecheckAfter"] = "00:00:00",
        }, clock: _clock);
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
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates", new
        {
            templateId = TemplateId, entityId = "1101234567890123", header = "HERALD", category = "promotional", text = "Hello {#var#}, 20% off today",
        }, Ct), HttpStatusCode.Created);
        // ct_0-ct_5 and ct_9 in Germany, ct_6-ct_8 in India; all with promotional consent.
        await TestContacts.SeedAsync(_herald, 10, phone: i => i is >= 6 and <= 8 ? $"+91981234500{i}" : $"+4915155{i:D6}");
        for (var i = 0; i < 9; i++)
        {
            await TestContacts.SetAttributesAsync(_herald, i, i == 8 ? """{"code":"a value far longer than thirty characters"}""" : """{"code":"A1"}""");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task DryRun_MixedAudience_CountsEachReasonCostsAndSamplesWithoutChangingAnything()
    {
        await ExecAsync("INSERT INTO suppressions (phone, reason, categories, source, created_at, updated_at) VALUES ('+4915155000000', 'opt-out', '*', 'sms', 0, 0)");
        await ExecAsync("UPDATE contact_consents SET granted = 0 WHERE contact_id = 'ct_1'");
        var earlier = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+4915155000002", body = "New arrivals", type = "mkt" }, Ct), HttpStatusCode.Accepted);
        Assert.Equal("queued", earlier["status"]!.GetValue<string>());
        var campaign = await CreateAsync(new
        {
            name = "Diwali offer", body = "Hello {{ contact.code }}, 20% off today", sender = "HERALD", templateId = TemplateId,
            contactIds = new[] { "ct_0", "ct_1", "ct_2", "ct_3", "ct_3", "ct_4", "ct_5", "ct_6", "ct_7", "ct_8", "ct_9" },
            policy = new { frequencyCaps = new[] { new { count = 1, window = "P1D" } } },
        });

        var run = await DryRunAsync(campaign);

        Assert.Equal(10, Count(run, "audience"));
        Assert.Equal(10, Count(run, "evaluated"));
        Assert.Equal(5, Count(run, "wouldSend"));
        Assert.Equal(3, Count(run, "wouldSendNow"));
        Assert.Equal(2, Count(run["deferred"], "legal-window"));
        var skipped = run["skipped"]!;
        Assert.Equal(1, Count(skipped, "suppressed"));
        Assert.Equal(1, Count(skipped, "no-consent"));
        Assert.Equal(1, Count(skipped, "frequency-cap"));
        Assert.Equal(1, Count(skipped, "dlt-mismatch"));
        Assert.Equal(1, Count(skipped, "render-error"));
        Assert.Equal(1, Count(skipped, "duplicate-number"));
        Assert.Equal(0, Count(skipped, "quiet-hours"));
        Assert.Equal(5, Count(run, "segments"));
        Assert.Equal(1.25m, run["estimatedCost"]!["amount"]!.GetValue<decimal>());
        Assert.Equal("INR", run["estimatedCost"]!["currency"]!.GetValue<string>());
        var samples = run["samples"]!.AsArray();
        Assert.Equal(5, samples.Count);
        var sent = samples.First(s => s!["outcome"]!.GetValue<string>() == "send")!;
        Assert.Equal("Hello A1, 20% off today", sent["body"]!.GetValue<string>());
        Assert.Equal(1, sent["segments"]!.GetValue<int>());
        Assert.Equal("gsm7", sent["encoding"]!.GetValue<string>());
        Assert.Contains(samples, s => s!["reason"]?.GetValue<string>() == "suppressed");

        // Nothing changed: still a draft with no recipients, and no campaign message exists.
        var after = await GetAsync($"/api/v1/campaigns/{campaign}");
        Assert.Equal("draft", after["status"]!.GetValue<string>());
        Assert.Equal(0, Count(after, "audienceCount"));
        Assert.Empty((await GetAsync($"/api/v1/campaigns/{campaign}/recipients"))["items"]!.AsArray());
        Assert.Empty((await GetAsync($"/api/v1/messages?campaign={campaign}"))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await _herald.Api.PostAsync("/api/v1/campaigns/cmp_nope/dry-run", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task DryRunAndLaunch_CampaignQuietHours_DeferOrDropAsTheCampaignSays()
    {
        // 18:30 in Berlin: inside the campaign's quiet hours (the server has none).
        var deferring = await CreateAsync(new { name = "Evening", body = "Hello {{ contact.code }}", contactIds = new[] { "ct_3", "ct_4" },
            policy = new { quietHours = "18:00-20:00", inQuietHours = "defer" } });
        var dropping = await CreateAsync(new { name = "Evening, dropped", body = "Hello {{ contact.code }}", contactIds = new[] { "ct_3", "ct_4" },
            policy = new { quietHours = "18:00-20:00", inQuietHours = "drop" } });

        var deferred = await DryRunAsync(deferring);
        var dropped = await DryRunAsync(dropping);

        Assert.Equal(2, Count(deferred["deferred"], "quiet-hours"));
        Assert.Equal(2, Count(deferred, "wouldSend"));
        Assert.Equal(0, Count(deferred, "wouldSendNow"));
        Assert.Equal(2, Count(dropped["skipped"], "quiet-hours"));
        Assert.Equal(0, Count(dropped, "wouldSend"));

        // The runner applies the same overrides: the dropping campaign skips both with quiet-hours.
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{dropping}/launch", null, Ct), HttpStatusCode.OK);
        JsonObject report;
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        do
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(50, Ct);
            report = await GetAsync($"/api/v1/campaigns/{dropping}/report");
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, report.ToJsonString());
        }
        while (Count(report["recipients"], "skipped") < 2);
        Assert.Equal(2, Count(report["skippedByReason"], "quiet-hours"));
    }

    [Fact]
    public async Task Launch_CampaignWithoutCaps_ItsMessageIsNotCappedAgainAtDispatch()
    {
        var earlier = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+4915155000004", body = "New arrivals", type = "mkt" }, Ct), HttpStatusCode.Accepted);
        Assert.Equal("queued", earlier["status"]!.GetValue<string>());
        // The server's caps (1 per 4 h) would skip a second promotional message; this campaign has none.
        var campaign = await CreateAsync(new { name = "Uncapped", body = "Hello {{ contact.code }}", contactIds = new[] { "ct_4" }, policy = new { frequencyCaps = Array.Empty<object>() } });

        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, Ct), HttpStatusCode.OK);

        JsonObject report;
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        do
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(50, Ct);
            report = await GetAsync($"/api/v1/campaigns/{campaign}/report");
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, report.ToJsonString());
        }
        while (new[] { "accepted", "delivered", "rejected", "failed" }.Sum(state => Count(report["messages"], state)) == 0);
        Assert.Equal(0, Count(report["messages"], "rejected"));
        Assert.Equal(1, Count(report["messages"], "accepted") + Count(report["messages"], "delivered"));
    }

    [Fact]
    public async Task Create_BadPolicyOverrides_SaysWhatToFixByField()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Bad", allContacts = true, body = "Hi",
            policy = new { frequencyCaps = new object[] { new { count = 0, window = "P1M" } }, quietHours = "25:00-26:00", inQuietHours = "later" },
        }, Ct);

        var errors = (await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        foreach (var field in new[] { "policy.frequencyCaps[0].count", "policy.frequencyCaps[0].window", "policy.quietHours", "policy.inQuietHours" })
        {
            Assert.True(errors.ContainsKey(field), $"no error for {field}: {errors}");
        }
    }

    [Fact]
    public async Task Create_DltRule_RefusesWhatCannotBeSentToIndiaAndSaysWhy()
    {
        var noTemplate = await RefusedAsync(new { name = "India", body = "Hello {{ contact.code }}, 20% off today", contactIds = new[] { "ct_3", "ct_6" } });
        Assert.Contains("+91", noTemplate["templateId"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var unknown = await RefusedAsync(new { name = "India", body = "Hi", allContacts = true, templateId = "1107000000000000000" });
        Assert.Contains("No DLT template 1107000000000000000 is registered", unknown["templateId"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var differs = await RefusedAsync(new { name = "India", body = "Hi {{ contact.code }}, 20% off today", allContacts = true, templateId = TemplateId });
        var why = differs["body"]![0]!.GetValue<string>();
        Assert.Contains("before the first output", why, StringComparison.Ordinal);
        Assert.Contains("\"Hello \"", why, StringComparison.Ordinal);

        var twoOutputs = await RefusedAsync(new { name = "India", body = "Hello {{ contact.code }}{{ contact.city }}, 20% off today", allContacts = true, templateId = TemplateId });
        Assert.Contains("1 {#var#} slot", twoOutputs["body"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var sender = await RefusedAsync(new { name = "India", body = "Hello {{ contact.code }}, 20% off today", allContacts = true, templateId = TemplateId, sender = "OTHER" });
        Assert.Contains("HERALD", sender["sender"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        // Without +91 numbers no template is needed; with a fitting body the template is accepted.
        await CreateAsync(new { name = "Germany", body = "Hallo", contactIds = new[] { "ct_3", "ct_4" } });
        await CreateAsync(new { name = "India", body = "Hello {{ contact.code }}, 20% off today", allContacts = true, templateId = TemplateId, sender = "HERALD-P" });
    }

    [Fact]
    public async Task Launch_SegmentGainedIndianMembersAfterSave_IsRefusedWithTheDltRule()
    {
        var segment = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/segments", new
        {
            name = "Coders", rule = new { attribute = "code", op = "eq", value = "B2" },
        }, Ct), HttpStatusCode.Created);
        await TestContacts.SetAttributesAsync(_herald, 3, """{"code":"B2"}""");
        var campaign = await CreateAsync(new { name = "Segment", body = "Hello {{ contact.code }}", segmentId = segment["id"]!.GetValue<string>() });
        await TestContacts.SetAttributesAsync(_herald, 6, """{"code":"B2"}""");

        var launch = await _herald.Api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, Ct);

        var errors = (await HeraldInstance.ReadObjectAsync(launch, HttpStatusCode.BadRequest))["errors"]!;
        Assert.Contains("+91", errors["templateId"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("draft", (await GetAsync($"/api/v1/campaigns/{campaign}"))["status"]!.GetValue<string>());
    }

    // ------------------------------------------------------------ helpers

    private async Task<string> CreateAsync(object definition) =>
        (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", definition, Ct), HttpStatusCode.Created))["id"]!.GetValue<string>();

    private async Task<JsonObject> RefusedAsync(object definition) =>
        (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", definition, Ct), HttpStatusCode.BadRequest))["errors"]!.AsObject();

    private async Task<JsonObject> DryRunAsync(string id) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{id}/dry-run", null, Ct), HttpStatusCode.OK);

    private async Task<JsonObject> GetAsync(string path) => await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync(path, Ct), HttpStatusCode.OK);

    private static long Count(JsonNode? counts, string key) => counts?[key]?.GetValue<long>() ?? 0;

    private async Task ExecAsync(string sql)
    {
        await using DbConnection connection = database == TestDatabase.Postgres
            ? new NpgsqlConnection(_herald.Settings["Herald:Database:ConnectionString"])
            : new SqliteConnection($"Data Source={Path.Combine(_herald.DataDir, "herald.db")}");
        await connection.OpenAsync(Ct);
        await connection.ExecuteAsync(sql);
    }
}

public sealed class SqliteCampaignDryRunTests() : CampaignDryRunTests(TestDatabase.Sqlite);

public sealed class PostgresCampaignDryRunTests() : CampaignDryRunTests(TestDatabase.Postgres);
