using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core;
using Herald.Core.Experiments;
using Herald.Engagement.Campaigns;
using Herald.Storage;
using Herald.Storage.Records;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Campaigns;

/// <summary>
/// Campaign results (issue 13 §4) on a fake clock with real storage, real HTTP and a stub provider: the A/B split and its
/// determinism, the test phase and its winner, control groups held out and the lift on known numbers, the conversion
/// attribution window's edges, and the CSV export. The campaign runner is driven pass by pass; clicks are the
/// <c>clicked</c> events short links record (<c>{messageId, url, campaignId}</c>), written through the event store.
/// </summary>
public abstract class CampaignResultsTests(TestDatabase database) : IAsyncLifetime
{
    /// <summary>Monday 7 December 2026, 08:30 UTC.</summary>
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 8, 30, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly ConcurrentQueue<(string To, string Body)> _sent = new();
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;
    private string _callbackUrl = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            _sent.Enqueue((form["to"].ToString(), form["body"].ToString()));
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Herald:Campaigns:Enabled"] = "false", // the test drives the runner pass by pass
            ["Herald:Campaigns:GlobalControlPercent"] = "10",
            ["Herald:Policy:FrequencyCaps:0:Count"] = "100",
            ["Herald:Policy:FrequencyCaps:0:Window"] = "00:00:01",
        }, clock: _clock);
        var provider = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, Ct), HttpStatusCode.Created);
        _callbackUrl = provider["callbackUrl"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task Launch_ThreeVariantsAndControl_SplitsInProportionAndRecordsTheSameAssignmentTheHashGives()
    {
        await TestContacts.SeedAsync(_herald, 1000);
        var definition = new
        {
            name = "Split", allContacts = true, controlPercent = 10, globalControl = false,
            variants = new[] { new { body = "A: 20% off", percent = 50.0 }, new { body = "B: 20% off today", percent = 30.0 }, new { body = "C: last chance", percent = 20.0 } },
        };
        var campaign = await CreateAsync(definition);

        await ChangeAsync(campaign, "launch");

        var recipients = await RecipientsAsync(campaign);
        Assert.Equal(1000, recipients.Count);
        var control = recipients.Count(r => r.Status == "control");
        Assert.InRange(control, 70, 130);
        var sent = recipients.Where(r => r.Status != "control").ToList();
        var shares = Enumerable.Range(0, 3).Select(v => (double)sent.Count(r => r.Variant == v) / sent.Count).ToList();
        Assert.InRange(shares[0], 0.44, 0.56);
        Assert.InRange(shares[1], 0.24, 0.36);
        Assert.InRange(shares[2], 0.15, 0.25);
        // Deterministic: every recipient is where the stable hash of (campaign, contact) puts it, whoever launches it.
        var assign = CampaignExperiment.Assignment(campaign, JsonSerializer.Deserialize<CampaignDefinition>(JsonSerializer.Serialize(definition, HeraldJson.Options), HeraldJson.Options)!, 0)!;
        Assert.All(recipients, r =>
        {
            var expected = assign(r.ContactId);
            Assert.Equal((expected.Status, expected.Variant), (r.Status, r.Variant));
        });

        await RunRunnerAsync();
        var report = await ReportAsync(campaign);
        Assert.Equal(control, Count(report["recipients"], "control"));
        Assert.Equal(sent.Count, report["results"]!["sent"]!.GetValue<long>());
        var variants = report["results"]!["variants"]!.AsArray();
        Assert.Equal(["A", "B", "C"], variants.Select(v => v!["name"]!.GetValue<string>()));
        for (var v = 0; v < 3; v++)
        {
            Assert.Equal(sent.Count(r => r.Variant == v), variants[v]!["sent"]!.GetValue<long>());
        }
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(_sent.Count == sent.Count ? true : null), "every non-control recipient reached the provider");
        var controlPhones = recipients.Where(r => r.Status == "control").Select(r => r.Phone).ToHashSet();
        Assert.DoesNotContain(_sent, s => controlPhones.Contains(s.To));
        var bodyOf = recipients.Where(r => r.Status != "control").ToDictionary(r => r.Phone, r => definition.variants[r.Variant].body);
        Assert.All(_sent, s => Assert.Equal(bodyOf[s.To], s.Body));
    }

    [Fact]
    public async Task Launch_GlobalControlGroup_HoldsOutTheSameContactsFromEveryCampaignUnlessItOptsOut()
    {
        await TestContacts.SeedAsync(_herald, 400);
        var first = await CreateAsync(new { name = "First", allContacts = true, body = "One" });
        var second = await CreateAsync(new { name = "Second", allContacts = true, body = "Two", controlPercent = 5 });
        var optedOut = await CreateAsync(new { name = "Service notice", allContacts = true, body = "Three", type = "txn", globalControl = false });

        await ChangeAsync(first, "launch");
        await ChangeAsync(second, "launch");
        await ChangeAsync(optedOut, "launch");

        static HashSet<string> Global(IEnumerable<Recipient> rows) => [.. rows.Where(r => r.Reason == "global-control").Select(r => r.ContactId)];
        var inFirst = Global(await RecipientsAsync(first));
        var inSecond = Global(await RecipientsAsync(second));
        Assert.InRange(inFirst.Count, 20, 60);
        Assert.Equal(inFirst, inSecond);
        Assert.Equal([.. Enumerable.Range(0, 400).Select(i => $"ct_{i}").Where(c => StableBucket.IsIn(CampaignExperiment.GlobalSalt, c, 10)).Order(StringComparer.Ordinal)],
            inFirst.Order(StringComparer.Ordinal));
        Assert.Contains(await RecipientsAsync(second), r => r.Reason == "control");
        Assert.DoesNotContain(await RecipientsAsync(optedOut), r => r.Status == "control");
        var report = await ReportAsync(first);
        Assert.Equal(inFirst.Count, report["results"]!["control"]!["globalControl"]!.GetValue<long>());
    }

    [Fact]
    public async Task AbTest_TestPhaseThenWait_RunnerChoosesTheBestClickRateRecordsItAndSendsTheRestTheWinner()
    {
        await TestContacts.SeedAsync(_herald, 200);
        var campaign = await CreateAsync(new
        {
            name = "A/B", allContacts = true, globalControl = false,
            variants = new[] { new { name = "Plain", body = "Sale today", percent = 50.0 }, new { name = "Urgent", body = "Sale ends tonight!", percent = 50.0 } },
            abTest = new { testPercent = 40, waitHours = 4, winnerBy = "clicks" },
        });
        await ChangeAsync(campaign, "launch");
        var frozen = await RecipientsAsync(campaign);
        var held = frozen.Count(r => r.Status == "held");
        Assert.InRange(held, 90, 150);

        await RunRunnerAsync();
        var test = (await RecipientsAsync(campaign)).Where(r => r.Status == "queued").ToList();
        Assert.Equal(200 - held, test.Count);
        Assert.Equal(held, (await RecipientsAsync(campaign)).Count(r => r.Status == "held"));
        // The test phase's messages reach the provider before the clock jumps hours ahead (a jump past a send's lease would
        // have the dispatcher send it again, as after a crash).
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(_sent.Count == test.Count ? true : null), "the test phase reached the provider");
        // Clicks: 2 on Plain, 6 on Urgent (one contact clicks twice: counted once).
        var plain = test.Where(r => r.Variant == 0).ToList();
        var urgent = test.Where(r => r.Variant == 1).ToList();
        await ClickAsync(campaign, plain.Take(2), Start.AddHours(1));
        await ClickAsync(campaign, urgent.Take(6), Start.AddHours(1));
        await ClickAsync(campaign, urgent.Take(1), Start.AddHours(2), "again");

        _clock.SetUtcNow(Start.AddHours(4).AddMinutes(-1)); // the wait counts from the end of the test phase
        await RunRunnerAsync();
        var waiting = await ReportAsync(campaign);
        Assert.Null(waiting["results"]!["abTest"]!["winner"]);
        Assert.Equal(Start, waiting["results"]!["abTest"]!["testEndedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal("running", waiting["campaign"]!["status"]!.GetValue<string>());

        _clock.SetUtcNow(Start.AddHours(4));
        await RunRunnerAsync();

        var report = await ReportAsync(campaign);
        var ab = report["results"]!["abTest"]!;
        Assert.Equal("Urgent", ab["winner"]!.GetValue<string>());
        Assert.Equal(Start.AddHours(4), ab["decidedAt"]!.GetValue<DateTimeOffset>());
        Assert.Contains($"Urgent: 6 of {urgent.Count} clicked", ab["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"Plain: 2 of {plain.Count} clicked", ab["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var variants = report["results"]!["variants"]!.AsArray();
        Assert.False(variants[0]!["winner"]!.GetValue<bool>());
        Assert.True(variants[1]!["winner"]!.GetValue<bool>());
        Assert.Equal(plain.Count, variants[0]!["sent"]!.GetValue<long>());
        Assert.Equal(urgent.Count + held, variants[1]!["sent"]!.GetValue<long>());
        Assert.Equal(urgent.Count, variants[1]!["testPhaseSent"]!.GetValue<long>());
        Assert.Equal(6, variants[1]!["clicked"]!.GetValue<long>());
        Assert.Equal("completed", report["campaign"]!["status"]!.GetValue<string>());
        var rest = frozen.Where(r => r.Status == "held").Select(r => r.Phone).ToHashSet();
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(_sent.Select(s => s.To).Distinct().Count() == 200 ? true : null), "the whole audience reached the provider");
        Assert.All(_sent.Where(s => rest.Contains(s.To)), s => Assert.Equal("Sale ends tonight!", s.Body));
    }

    [Fact]
    public async Task Control_HeldOutNeverSent_LiftAndIntervalComputedOnKnownNumbers()
    {
        await TestContacts.SeedAsync(_herald, 500);
        var campaign = await CreateAsync(new
        {
            name = "Lift", allContacts = true, body = "20% off", controlPercent = 20, globalControl = false, goal = new { @event = "purchase" },
        });
        await ChangeAsync(campaign, "launch");
        await RunRunnerAsync();
        var recipients = await RecipientsAsync(campaign);
        var sent = recipients.Where(r => r.Status == "queued").ToList();
        var control = recipients.Where(r => r.Status == "control").ToList();
        Assert.Equal(500, sent.Count + control.Count);
        Assert.All(control, r => Assert.Null(r.MessageId));

        // 60 sent recipients click and buy an hour later; 10 control recipients buy within the window after they were due.
        await ClickAsync(campaign, sent.Take(60), Start.AddHours(1));
        await TrackAsync(sent.Take(60), "purchase", Start.AddHours(2));
        await TrackAsync(control.Take(10), "purchase", Start.AddHours(30));
        await TrackAsync(control.Skip(10).Take(5), "purchase", Start.AddDays(3).AddMinutes(1)); // after the window: not counted
        await TrackAsync(control.Skip(20).Take(5), "purchase", Start.AddHours(-1)); // before they were due: not counted

        var report = await ReportAsync(campaign);
        var results = report["results"]!;
        Assert.Equal(60, results["conversions"]!.GetValue<long>());
        var held = results["control"]!;
        Assert.Equal(control.Count, held["heldOut"]!.GetValue<long>());
        Assert.Equal(10, held["converted"]!.GetValue<long>());
        var p1 = 60.0 / sent.Count;
        var p0 = 10.0 / control.Count;
        var margin = 1.96 * Math.Sqrt((p1 * (1 - p1) / sent.Count) + (p0 * (1 - p0) / control.Count));
        var lift = held["lift"]!;
        Assert.Equal(p1, lift["treatedRate"]!.GetValue<double>(), tolerance: 1e-9);
        Assert.Equal(p0, lift["controlRate"]!.GetValue<double>(), tolerance: 1e-9);
        Assert.Equal(p1 - p0, lift["difference"]!.GetValue<double>(), tolerance: 1e-9);
        Assert.Equal(p1 - p0 - margin, lift["low"]!.GetValue<double>(), tolerance: 1e-4);
        Assert.Equal(p1 - p0 + margin, lift["high"]!.GetValue<double>(), tolerance: 1e-4);
        Assert.Equal(p1 - p0 - margin > 0, lift["significant"]!.GetValue<bool>());
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(_sent.Count == sent.Count ? true : null), "every sent recipient reached the provider");
        var controlPhones = control.Select(r => r.Phone).ToHashSet();
        Assert.DoesNotContain(_sent, s => controlPhones.Contains(s.To));

        // The same numbers as CSV, both ways of asking for it (once every message has its answer, so both read the same states).
        await TestHttp.EventuallyAsync(async () => Count((await ReportAsync(campaign))["messages"], "accepted") == sent.Count ? true : (object?)null, "every message accepted");
        var csv = await _herald.Api.GetStringAsync($"/api/v1/campaigns/{campaign}/report.csv", Ct);
        Assert.Equal(csv, await _herald.Api.GetStringAsync($"/api/v1/campaigns/{campaign}/report?format=csv", Ct));
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("campaign_id,campaign,group,name,recipients,delivered,clicked,click_rate,converted,conversion_rate,lift,lift_ci_low,lift_ci_high,winner", lines[0], StringComparison.Ordinal);
        var controlRow = lines.Single(l => l.Contains(",control,held-out,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(control.Count.ToString(CultureInfo.InvariantCulture), controlRow[4]);
        Assert.Equal("10", controlRow[8]);
        Assert.Equal(p1 - p0, double.Parse(controlRow[10], CultureInfo.InvariantCulture), tolerance: 1e-5); // the CSV rounds to 6 places
        Assert.Contains(lines, l => l.Contains(",sent,all," + sent.Count.ToString(CultureInfo.InvariantCulture) + ",", StringComparison.Ordinal));
        var wrong = await _herald.Api.GetAsync($"/api/v1/campaigns/{campaign}/report?format=xml", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
    }

    [Fact]
    public async Task Conversions_AttributionWindow_CountsTheFirstGoalWithinTheWindowAfterDeliveryOrAClickOnce()
    {
        await TestContacts.SeedAsync(_herald, 6);
        var campaign = await CreateAsync(new
        {
            name = "Window", allContacts = true, body = "Complete your order", globalControl = false, goal = new { @event = "checkout_completed", windowHours = 72 },
        });
        await ChangeAsync(campaign, "launch");
        await RunRunnerAsync();
        await TestHttp.EventuallyAsync(async () => Count((await ReportAsync(campaign))["messages"], "accepted") == 6 ? true : (object?)null, "the provider accepted all six");
        var recipients = (await RecipientsAsync(campaign)).OrderBy(r => r.ContactId, StringComparer.Ordinal).ToList();
        var delivered = Start.AddMinutes(10);
        _clock.SetUtcNow(delivered);
        foreach (var r in recipients.Take(5))
        {
            var dlr = await _herald.Anonymous.GetAsync($"{_callbackUrl}?id=kal-{r.MessageId}&status=Delivered&ref={r.MessageId}", Ct);
            Assert.Equal(HttpStatusCode.OK, dlr.StatusCode);
        }
        var window = TimeSpan.FromHours(72);

        await TrackAsync([recipients[0]], "checkout_completed", delivered + window); // the window's last instant: counts
        await TrackAsync([recipients[0]], "checkout_completed", delivered + window - TimeSpan.FromHours(1), "second"); // a second conversion: still one
        await TrackAsync([recipients[1]], "checkout_completed", delivered + window + TimeSpan.FromMilliseconds(1)); // just after: not counted
        await TrackAsync([recipients[2]], "checkout_completed", delivered - TimeSpan.FromMilliseconds(1)); // before delivery: not counted
        await ClickAsync(campaign, [recipients[3]], delivered + TimeSpan.FromHours(100)); // a late click opens its own window
        await TrackAsync([recipients[3]], "checkout_completed", delivered + TimeSpan.FromHours(150));
        await TrackAsync([recipients[4]], "add_to_cart", delivered + TimeSpan.FromHours(1)); // not the goal
        await ClickAsync(campaign, [recipients[5]], delivered + TimeSpan.FromHours(1)); // never delivered, clicked, then bought
        await TrackAsync([recipients[5]], "checkout_completed", delivered + TimeSpan.FromHours(1) + window);

        var results = (await ReportAsync(campaign))["results"]!;
        Assert.Equal(6, results["sent"]!.GetValue<long>());
        Assert.Equal(5, results["delivered"]!.GetValue<long>());
        Assert.Equal(2, results["clicked"]!.GetValue<long>());
        Assert.Equal(3, results["conversions"]!.GetValue<long>());
        Assert.Equal(0.5, results["conversionRate"]!.GetValue<double>());
        Assert.Equal("checkout_completed", results["goal"]!["event"]!.GetValue<string>());
        Assert.Null(results["control"]);
    }

    [Fact]
    public async Task Create_BadVariantsGoalAndControl_SaysWhatToFixByField()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Bad", allContacts = true, body = "x", controlPercent = 100,
            variants = new[] { new { body = "{{ oops", percent = 60.0 }, new { body = "B", percent = 30.0 } },
            abTest = new { testPercent = 0, winnerBy = "conversions" },
            goal = new { @event = "", windowHours = -1 },
        }, Ct);

        var errors = (await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        foreach (var field in new[] { "body", "variants", "variants[0].body", "abTest.testPercent", "goal.event", "goal.windowHours", "controlPercent" })
        {
            Assert.True(errors.ContainsKey(field), $"no error for {field}: {errors}");
        }
        Assert.Contains("add up to 90", errors["variants"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    // ------------------------------------------------------------ helpers

    private sealed record Recipient(string ContactId, string Phone, string Status, string? Reason, string? MessageId, int Variant);

    private async Task RunRunnerAsync()
    {
        var runner = _herald.Services.GetRequiredService<CampaignRunner>();
        for (var i = 0; i < 100 && await runner.RunOnceAsync(Ct); i++)
        {
        }
        await runner.RunOnceAsync(Ct); // completes a campaign with nobody left
    }

    /// <summary>The <c>clicked</c> events short links record: on the contact, naming the message, the link and the campaign.</summary>
    private Task ClickAsync(string campaign, IEnumerable<Recipient> recipients, DateTimeOffset at, string tag = "") =>
        WriteEventsAsync(recipients, "clicked", at, r => new JsonObject { ["messageId"] = r.MessageId, ["url"] = "https://shop.example/cart", ["campaignId"] = campaign }, tag);

    private Task TrackAsync(IEnumerable<Recipient> recipients, string name, DateTimeOffset at, string tag = "") =>
        WriteEventsAsync(recipients, name, at, _ => new JsonObject { ["total"] = 499 }, tag);

    private async Task WriteEventsAsync(IEnumerable<Recipient> recipients, string name, DateTimeOffset at, Func<Recipient, JsonObject> properties, string tag)
    {
        var events = _herald.Services.GetRequiredService<IEventStore>();
        await events.IngestAsync([.. recipients.Select(r => new EventWrite(new EventRecord
        {
            MessageId = $"{name}-{r.ContactId}-{at.ToUnixTimeMilliseconds()}{tag}", ContactId = r.ContactId, Type = "track", Name = name,
            Properties = properties(r).ToJsonString(), At = at, ReceivedAt = at,
        }, null))], Ct);
    }

    private async Task<string> CreateAsync(object definition)
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", definition, Ct), HttpStatusCode.Created);
        return created["id"]!.GetValue<string>();
    }

    private async Task ChangeAsync(string id, string action) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{id}/{action}", null, Ct), HttpStatusCode.OK);

    private async Task<JsonObject> ReportAsync(string id) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/campaigns/{id}/report", Ct), HttpStatusCode.OK);

    private async Task<List<Recipient>> RecipientsAsync(string id)
    {
        var all = new List<Recipient>();
        string? cursor = null;
        do
        {
            var page = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync(
                $"/api/v1/campaigns/{id}/recipients?limit=1000{(cursor is null ? "" : "&cursor=" + cursor)}", Ct), HttpStatusCode.OK);
            all.AddRange(page["items"]!.AsArray().Select(r => new Recipient(r!["contactId"]!.GetValue<string>(), r["phone"]!.GetValue<string>(),
                r["status"]!.GetValue<string>(), r["reason"]?.GetValue<string>(), r["messageId"]?.GetValue<string>(), r["variant"]!.GetValue<int>())));
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);
        return all;
    }

    private static long Count(JsonNode? counts, string key) => counts?[key]?.GetValue<long>() ?? 0;
}

public sealed class SqliteCampaignResultsTests() : CampaignResultsTests(TestDatabase.Sqlite);

public sealed class PostgresCampaignResultsTests() : CampaignResultsTests(TestDatabase.Postgres);
