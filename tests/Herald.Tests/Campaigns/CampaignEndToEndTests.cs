using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Herald.Tests.Campaigns;

/// <summary>
/// Issue 12's end-to-end run: 10,000 contacts (opted out, without consent, suppressed, Indian numbers at 23:00 IST, over
/// their frequency caps, numbers the provider fails, a number written twice) and one campaign through the real simulator over
/// real HTTP, on a clock that starts at 23:00 IST. The report's counts and the recipients' list equal what the test computed
/// from the seed; the Indian numbers wait for 10:00 IST and then go; the simulator gets each number once.
/// </summary>
[Collection(CampaignsAtScale.Name)]
public abstract class CampaignEndToEndTests(TestDatabase database) : IAsyncLifetime
{
    /// <summary>Monday 7 December 2026, 17:30 UTC: 23:00 in India (outside 10:00-21:00 IST), 18:30 in Germany (no window).</summary>
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 17, 30, 0, TimeSpan.Zero);

    /// <summary>10:00 IST the next morning, when India's window opens.</summary>
    private static readonly DateTimeOffset TenIst = new(2026, 12, 8, 10, 0, 0, TimeSpan.FromHours(5.5));

    private const string TemplateId = "1107160000000000001";
    private const string Body = "Hi {{ contact.first_name | default: \"there\" }}, 20% off at Herald stores today. -HERALD";

    private readonly ShiftedClock _clock = new(Start.AddHours(-20));
    private readonly SimulatorOptions _options = new()
    {
        Urls = "http://127.0.0.1:0", DeliveryRate = 1.0, DlrDelay = TimeSpan.FromMilliseconds(20), RequestLogCapacity = 100_000, Seed = 12,
    };
    private SimulatorHost _simulator = null!;
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(_options);
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Herald:Campaigns:PollInterval"] = "00:00:00.050",
        }, clock: _clock);
        await _herald.CreateSeedProviderAsync(_simulator, _options);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Campaign_TenThousandContacts_ReportAndRecipientsEqualTheExpectedCounts()
    {
        var ct = TestContext.Current.CancellationToken;
        var seed = Seed.Build();
        await TestContacts.SeedManyAsync(_herald, seed.Contacts, seed.Suppressed);
        // A number written another way is the same contact (the upsert key is the normalised number): the audience cannot hold it twice.
        foreach (var (id, written) in seed.WrittenAgain)
        {
            var upserted = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/contacts", new { phone = written }, ct), HttpStatusCode.OK);
            Assert.Equal(id, upserted["id"]!.GetValue<string>());
        }

        // Earlier marketing messages, so the caps hit: three 5 hours apart (3 per 24 h), or one an hour before (1 per 4 h).
        await SendEarlierAsync(seed.ThreeInADay, Start.AddHours(-20));
        await SendEarlierAsync(seed.ThreeInADay, Start.AddHours(-15));
        await SendEarlierAsync(seed.ThreeInADay, Start.AddHours(-10));
        await SendEarlierAsync(seed.OneAnHourAgo, Start.AddHours(-1));
        _clock.Set(Start);

        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates", new
        {
            templateId = TemplateId, entityId = "1201160000000000001", header = "HERALD", category = "promotional",
            text = "Hi {#var#}, 20% off at Herald stores today. -HERALD",
        }, ct), HttpStatusCode.Created);
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns",
            new { name = "Winter sale", allContacts = true, type = "mkt", sender = "HERALD", templateId = TemplateId, body = Body }, ct), HttpStatusCode.Created);
        var campaign = created["id"]!.GetValue<string>();
        var launched = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, ct), HttpStatusCode.OK);
        Assert.Equal(Seed.Total, launched["audienceCount"]!.GetValue<long>());

        // At 23:00 IST: everyone else is sent and reported; the Indian numbers wait in the queue for 10:00 IST.
        var night = await WaitForReportAsync(campaign, r => Status(r) == "completed" && Count(r["messages"], "delivered") == seed.SentAtOnce - seed.Failing.Count
            && Count(r["messages"], "rejected") == seed.Failing.Count);
        Assert.Equal(Seed.Total, night["audience"]!.GetValue<long>());
        Assert.Equal(Seed.Total - seed.SkippedTotal, Count(night["recipients"], "queued"));
        Assert.Equal(seed.SkippedTotal, Count(night["recipients"], "skipped"));
        Assert.Equal(seed.Skipped, Counts(night["skippedByReason"]));
        // The provider's DND failure (901) makes a message rejected: the number refuses marketing.
        Assert.Equal(new Dictionary<string, long> { ["delivered"] = seed.SentAtOnce - seed.Failing.Count, ["queued"] = seed.Deferred.Count, ["rejected"] = seed.Failing.Count },
            Counts(night["messages"]));
        Assert.Equal(new Dictionary<string, long> { ["code 901: DND Failure"] = seed.Failing.Count }, Counts(night["failuresByReason"]));
        Assert.Equal(new Dictionary<string, long> { ["legal-window"] = seed.Deferred.Count }, Counts(night["deferredByReason"]));
        foreach (var (reason, contacts) in seed.SkippedContacts)
        {
            Assert.Equal(contacts.Order(StringComparer.Ordinal), (await RecipientsAsync(campaign, "skipped", reason)).Select(r => r["contactId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        }
        var waiting = await RecipientsAsync(campaign, "queued", null);
        Assert.Equal(seed.Deferred.Order(StringComparer.Ordinal),
            waiting.Where(r => r["messageStatus"]!.GetValue<string>() == "queued").Select(r => r["contactId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(CampaignRequests(campaign), r => r.To.StartsWith("91", StringComparison.Ordinal));

        // 09:59 IST: still waiting. 10:00 IST: they go.
        _clock.Set(TenIst.AddMinutes(-1));
        await Task.Delay(500, ct);
        Assert.Equal(seed.Deferred.Count, Count((await ReportAsync(campaign))["messages"], "queued"));
        _clock.Set(TenIst.AddSeconds(1));
        var morning = await WaitForReportAsync(campaign, r => Count(r["messages"], "delivered") == seed.SentAtOnce - seed.Failing.Count + seed.Deferred.Count);
        Assert.Equal(new Dictionary<string, long> { ["delivered"] = seed.SentAtOnce - seed.Failing.Count + seed.Deferred.Count, ["rejected"] = seed.Failing.Count },
            Counts(morning["messages"]));
        Assert.Equal(new Dictionary<string, long> { ["queued"] = Seed.Total - seed.SkippedTotal, ["skipped"] = seed.SkippedTotal }, Counts(morning["recipients"]));
        Assert.Equal(seed.Skipped, Counts(morning["skippedByReason"]));
        Assert.Equal(0.9989, morning["deliveryRate"]!.GetValue<double>(), 4);
        // Per minute, by when they went: everyone at 23:00 IST, the Indian numbers at 10:00 IST.
        var minutes = morning["perMinute"]!.AsArray().Select(m => (At: m!["minute"]!.GetValue<DateTimeOffset>(), Sent: m["sent"]!.GetValue<long>())).ToList();
        Assert.Equal(seed.SentAtOnce, minutes.Where(m => m.At < TenIst).Sum(m => m.Sent));
        Assert.Equal((TenIst, (long)seed.Deferred.Count), minutes.Single(m => m.At >= TenIst));

        // The simulator got exactly one message for each recipient the campaign queued, and none for anyone else.
        var perNumber = CampaignRequests(campaign).GroupBy(r => r.To).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.Equal(Seed.Total - seed.SkippedTotal, perNumber.Count);
        Assert.All(perNumber, n => Assert.Equal(1, n.Value));
        Assert.Equal(seed.Queued.Select(Digits).Order(StringComparer.Ordinal), perNumber.Keys.Order(StringComparer.Ordinal));
        var longNames = CampaignRequests(campaign).Where(r => r.Body.Contains(Seed.LongName, StringComparison.Ordinal)).ToList();
        Assert.All(longNames, r => Assert.False(r.To.StartsWith("91", StringComparison.Ordinal)));

        var report = (await _herald.Api.GetStringAsync($"/api/v1/campaigns/{campaign}/report", ct));
        if (Environment.GetEnvironmentVariable("HERALD_E2E_REPORT") is { Length: > 0 } path)
        {
            // The evidence for docs/campaigns.md: the report, and (SQLite) the data folder with the campaign's id for the dashboard's screenshot.
            await File.WriteAllTextAsync($"{path}.{database.ToString().ToLowerInvariant()}.json", JsonNode.Parse(report)!.ToJsonString(new() { WriteIndented = true }), ct);
            await File.WriteAllTextAsync(Path.Combine(_herald.DataDir, "campaign-id"), campaign, ct);
            await File.WriteAllTextAsync($"{path}.{database.ToString().ToLowerInvariant()}.datadir", _herald.DataDir, ct);
        }
    }

    [Fact]
    public async Task Campaign_IndianNumbersWithoutARegisteredTemplate_IsRefusedBeforeAnythingIsSent()
    {
        var ct = TestContext.Current.CancellationToken;
        _clock.Set(TenIst.AddHours(4)); // 14:00 IST: inside India's window
        SeedContact[] contacts =
        [
            new("ct_in1", "+919812300011", "IN", "{}", true), new("ct_in2", "+919812300012", "IN", "{}", true),
            new("ct_de1", "+4915112345655", "DE", "{}", true),
        ];
        await TestContacts.SeedManyAsync(_herald, contacts, []);

        // Saving is where a campaign that would reach +91 numbers without a registered template is stopped, with what to fix.
        var without = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns",
            new { name = "No template", allContacts = true, type = "mkt", sender = "HERALD", body = "Winter sale: 20% off today" }, ct), HttpStatusCode.BadRequest);
        Assert.Contains("+91", without["errors"]!["templateId"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var unregistered = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns",
            new { name = "Unknown template", contactIds = new[] { "ct_in1", "ct_in2" }, type = "txn", sender = "HERALD", templateId = "1107169999999999999", body = "Your order shipped" }, ct),
            HttpStatusCode.BadRequest);
        Assert.Contains("No DLT template 1107169999999999999", unregistered["errors"]!["templateId"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(_simulator.Inspector.GetRequests(), r => r.Path == "/connector/sms");
    }

    // ------------------------------------------------------------ the seed

    /// <summary>
    /// Who the 10,000 contacts are, by index: 0-399 refused promotional consent, 400-499 gave none, 500-799 on the suppression list
    /// (500-549 also refused consent: the suppression list comes first), 800-1799 Indian (+91; 800-899 with a first name longer
    /// than DLT's 30 characters), 1800-1999 sent one mkt message an hour ago, 2000-2099 sent three in the last 24 hours, 2100-2109
    /// numbers the simulator reports failed (ending 0001), the rest ordinary German numbers.
    /// </summary>
    private sealed record Seed(IReadOnlyList<SeedContact> Contacts, IReadOnlyList<string> Suppressed, IReadOnlyList<(string Id, string Written)> WrittenAgain)
    {
        public const int Total = 10_000;
        public const string LongName = "Venkatanarasimharajuvaripeta Ramaswamy";

        public IReadOnlyList<SeedContact> ThreeInADay => Range(2000, 100);
        public IReadOnlyList<SeedContact> OneAnHourAgo => Range(1800, 200);
        public List<SeedContact> Failing => Range(2100, 10);
        public IReadOnlyList<string> Deferred => [.. Range(900, 900).Select(c => c.Id)];

        public IReadOnlyDictionary<string, IReadOnlyList<string>> SkippedContacts => new Dictionary<string, IReadOnlyList<string>>
        {
            ["no-consent"] = [.. Range(0, 500).Select(c => c.Id)],
            ["suppressed"] = [.. Range(500, 300).Select(c => c.Id)],
            ["dlt-mismatch"] = [.. Range(800, 100).Select(c => c.Id)],
            ["frequency-cap"] = [.. Range(1800, 300).Select(c => c.Id)],
        };

        public Dictionary<string, long> Skipped => SkippedContacts.ToDictionary(s => s.Key, s => (long)s.Value.Count);

        public long SkippedTotal => Skipped.Values.Sum();

        /// <summary>Sent at 23:00 IST (everyone queued but the Indian numbers).</summary>
        public long SentAtOnce => Total - SkippedTotal - Deferred.Count;

        public IEnumerable<string> Queued => Contacts.Where(c => !SkippedContacts.Values.Any(s => s.Contains(c.Id))).Select(c => c.Phone);

        private List<SeedContact> Range(int from, int count) => [.. Contacts.Skip(from).Take(count)];

        public static Seed Build()
        {
            var contacts = new List<SeedContact>(Total);
            for (var i = 0; i < Total; i++)
            {
                var indian = i is >= 800 and < 1800;
                var phone = indian ? $"+9198{i:D8}" : i is >= 2100 and < 2110 ? $"+49151{i:D4}0001" : $"+49151{i:D6}55";
                var name = i is >= 800 and < 900 ? LongName : $"Asha{i}";
                bool? consent = i switch { < 400 => false, < 500 => null, < 550 => false, _ => true };
                contacts.Add(new SeedContact($"ct_{i}", phone, indian ? "IN" : "DE", $$"""{"first_name":"{{name}}"}""", consent));
            }
            var suppressed = contacts.Skip(500).Take(300).Select(c => c.Phone).ToList();
            // Ordinary contacts, their numbers written as people write them.
            var again = new[] { 3000, 4000, 5000 }.Select(i => (contacts[i].Id, $"+49 151 {i:D6} 55")).Append((contacts[9999].Id, $"0049-151-{9999:D6}-55")).ToList();
            return new Seed(contacts, suppressed, again);
        }
    }

    // ------------------------------------------------------------ helpers

    /// <summary>Marketing messages to these contacts at <paramref name="at"/>, through the API, reaching the simulator.</summary>
    private async Task SendEarlierAsync(IReadOnlyList<SeedContact> contacts, DateTimeOffset at)
    {
        _clock.Set(at);
        var before = _simulator.Inspector.GetStats().Accepted;
        var answer = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new
        {
            messages = contacts.Select(c => new { to = c.Phone, body = "New arrivals this week", type = "mkt", sender = "HERALD" }),
        }, TestContext.Current.CancellationToken), HttpStatusCode.Accepted);
        Assert.Equal(contacts.Count, answer["accepted"]!.AsArray().Count(m => m!["status"]!.GetValue<string>() == "queued"));
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(_simulator.Inspector.GetStats().Accepted >= before + contacts.Count ? true : null),
            $"{contacts.Count} earlier messages at the simulator");
    }

    /// <summary>The simulator's send requests of a campaign: the number (digits) and the text.</summary>
    private List<(string To, string Body)> CampaignRequests(string campaign) =>
        [.. _simulator.Inspector.GetRequests()
            .Where(r => r.Path == "/connector/sms" && r.Response.Status == 200)
            .Select(r => QueryHelpers.ParseQuery(r.Body))
            .Where(f => f.GetValueOrDefault("campaign_id").ToString() == campaign)
            .Select(f => (Digits(f["to"].ToString()), f["body"].ToString()))];

    private static string Digits(string number) => new([.. number.Where(char.IsAsciiDigit)]);

    private async Task<List<JsonNode>> RecipientsAsync(string campaign, string status, string? reason)
    {
        var all = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync(
                $"/api/v1/campaigns/{campaign}/recipients?status={status}&reason={reason}&limit=1000&cursor={cursor}", TestContext.Current.CancellationToken), HttpStatusCode.OK);
            all.AddRange(page["items"]!.AsArray().Select(i => i!));
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);
        return all;
    }

    private async Task<JsonObject> ReportAsync(string campaign) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/campaigns/{campaign}/report", TestContext.Current.CancellationToken), HttpStatusCode.OK);

    private async Task<JsonObject> WaitForReportAsync(string campaign, Func<JsonObject, bool> done)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(300);
        while (true)
        {
            var report = await ReportAsync(campaign);
            if (done(report))
            {
                return report;
            }
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"campaign {campaign} did not get there: {report}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private static string Status(JsonObject report) => report["campaign"]!["status"]!.GetValue<string>();

    private static long Count(JsonNode? counts, string key) => counts?[key]?.GetValue<long>() ?? 0;

    private static Dictionary<string, long> Counts(JsonNode? counts) =>
        counts?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<long>()) ?? [];
}

public sealed class SqliteCampaignEndToEndTests() : CampaignEndToEndTests(TestDatabase.Sqlite);

public sealed class PostgresCampaignEndToEndTests() : CampaignEndToEndTests(TestDatabase.Postgres);

/// <summary>
/// The 10,000-recipient campaign tests run one at a time and apart from the rest of the suite: each keeps both cores busy for a
/// minute, and side by side they only wait for each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CampaignsAtScale
{
    public const string Name = "Campaigns at scale";
}

/// <summary>The real clock moved by an offset that a test sets: timers run in real time, "now" is wherever the test put it.</summary>
internal sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
{
    private long _offsetTicks = (start - System.GetUtcNow()).Ticks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Jumps to <paramref name="now"/>; time goes on from there.</summary>
    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _offsetTicks, (now - System.GetUtcNow()).Ticks);
}
