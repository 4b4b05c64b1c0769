using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Campaigns;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;

namespace Herald.Tests.Journeys;

/// <summary>
/// The abandoned-cart journey for 10,000 contacts through real processes (the <c>herald</c> executable and <c>herald simulate</c>),
/// with waits of seconds, killed with SIGKILL while the contacts wait for their checkout, again while the first reminders are being
/// sent, and again during the delay before the second: afterwards every contact without a checkout has exactly two reminders (one
/// message id each) at the simulator, every contact who checked out in time has none, and nobody is left waiting. A number that
/// saw the same message id twice is the dispatcher resending a message whose answer the kill cut off (at-least-once at the provider
/// boundary); those are counted and reported, not hidden.
/// </summary>
[Collection(CampaignsAtScale.Name)]
public sealed class JourneyCrashTests
{
    private const int Contacts = 10_000;
    private const string FirstReminder = "You left";
    private const string SecondReminder = "Still thinking";

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Kill9_DuringTheWaitsAndTheSends_EveryDueReminderIsSentOnce(TestDatabase database)
    {
        var ct = TestContext.Current.CancellationToken;
        var simulatorUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        await using var simulatorProcess = HeraldProcess.Start(["simulate", "--urls", simulatorUrl.ToString(), "--api-key", "sim-key", "--sid", "SIM1",
            "--delivery-rate", "1", "--dlr-delay", "00:00:00.020", "--seed", "13", "--request-log", "200000"]);
        await simulatorProcess.WaitForOutputAsync("Simulator listening");
        using var simulator = TestHttp.Create(simulatorUrl);

        var environment = new Dictionary<string, string>
        {
            ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
            ["Herald__Dispatch__PollInterval"] = "00:00:00.050",
            ["Herald__Dispatch__Lease"] = "00:00:05",
            ["Herald__Dispatch__InDoubtHold"] = "00:00:10",
            ["Herald__Journeys__PollInterval"] = "00:00:00.100",
            ["Herald__Journeys__Lease"] = "00:00:05",
        };
        string? postgres = null;
        if (database == TestDatabase.Postgres)
        {
            postgres = await HeraldInstance.CreatePostgresDatabaseAsync();
            environment["Herald__Database__Provider"] = "postgres";
            environment["Herald__Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(HeraldInstance.PostgresBase()) { Database = postgres }.ToString();
        }
        var dataDir = Directory.CreateTempSubdirectory("herald-journey-crash-").FullName;
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        using var api = TestHttp.Create(baseUrl, HeraldInstance.ApiKey);
        var bought = Enumerable.Range(0, Contacts).Where(i => i % 3 == 0).ToHashSet();
        var due = Contacts - bought.Count;
        string journey;
        long atFirstKill, atSecondKill, atThirdKill;
        try
        {
            await using (var herald = await StartAsync(baseUrl, dataDir, environment))
            {
                var provider = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/providers",
                    HeraldInstance.SeedProvider("Simulator", new Uri(simulatorUrl, "connector/sms"), "sim-key", "SIM1", "https://placeholder.invalid/"), ct),
                    HttpStatusCode.Created);
                await HeraldInstance.ReadObjectAsync(await api.PutAsJsonAsync($"/api/v1/providers/{provider["id"]!.GetValue<string>()}",
                    HeraldInstance.SeedProvider("Simulator", new Uri(simulatorUrl, "connector/sms"), "sim-key", "SIM1", provider["callbackUrl"]!.GetValue<string>()), ct),
                    HttpStatusCode.OK);
                // The example with waits of seconds, transactional reminders (no consent or frequency cap between the two) and the sender id
                // the seed's provider sends.
                var definition = JourneyTests.Example(null, "Crash cart");
                definition["nodes"]![1]!["timeout"] = "PT40S";
                definition["nodes"]![2]!["messageType"] = "txn";
                definition["nodes"]![3]!["duration"] = "PT40S";
                definition["nodes"]![4]!["messageType"] = "txn";
                definition["nodes"]![2]!["sender"] = "HERALD";
                definition["nodes"]![4]!["sender"] = "HERALD";
                var created = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/journeys", definition, ct), HttpStatusCode.Created);
                journey = created["id"]!.GetValue<string>();
                await HeraldInstance.ReadObjectAsync(await api.PostAsync($"/api/v1/journeys/{journey}/publish", null, ct), HttpStatusCode.OK);

                // The contacts (identify with a number), then every contact adds a cart: 10,000 items a batch.
                // Numbers: none ends in one of the simulator's forced outcomes (0001-0009, 0429).
                await PostBatchAsync(api, Enumerable.Range(0, Contacts).Select(i => new JsonObject
                {
                    ["type"] = "identify", ["userId"] = $"ct_{i}", ["messageId"] = $"identify-{i}", ["traits"] = new JsonObject { ["phone"] = Phone(i) },
                }));
                await PostBatchAsync(api, Enumerable.Range(0, Contacts).Select(i => Track(i, "added_to_cart",
                    new JsonObject { ["cart_id"] = $"c{i}", ["item_name"] = "blue shoes", ["cart_url"] = $"https://shop.example/c/{i}" })));
                await TestHttp.EventuallyAsync(async () => (await ReportAsync(api, journey))["entered"]?.GetValue<long>() == Contacts ? true : (bool?)null,
                    "every contact entered (and waiting for its checkout)", TimeSpan.FromSeconds(300));
                // Every third checks out within the wait.
                await PostBatchAsync(api, bought.Select(i => Track(i, "checkout_completed", new JsonObject { ["cart_id"] = $"c{i}" })));
                await TestHttp.EventuallyAsync(async () => (await ReportAsync(api, journey))["exitedByReason"]?["goal"]?.GetValue<long>() == bought.Count ? true : (bool?)null,
                    "the checkouts ended their contacts' waits", TimeSpan.FromSeconds(300));
                atFirstKill = await AcceptedAsync(simulator);
            } // disposing kills the process with SIGKILL, while 6,666 contacts wait for their timeout

            await using (var herald = await StartAsync(baseUrl, dataDir, environment))
            {
                await TestHttp.EventuallyAsync(async () => await AcceptedAsync(simulator) >= due / 5 ? true : (bool?)null,
                    "a fifth of the first reminders at the simulator", TimeSpan.FromSeconds(180));
            } // killed again, while the first reminders are being sent
            atSecondKill = await AcceptedAsync(simulator);

            await using (var herald = await StartAsync(baseUrl, dataDir, environment))
            {
                await TestHttp.EventuallyAsync(async () => await AcceptedAsync(simulator) >= due ? true : (bool?)null,
                    "the first reminders at the simulator", TimeSpan.FromSeconds(180));
            } // killed again, during the delay before the second reminder
            atThirdKill = await AcceptedAsync(simulator);

            await using (var herald = await StartAsync(baseUrl, dataDir, environment))
            {
                var report = await TestHttp.EventuallyAsync(async () =>
                {
                    var r = await ReportAsync(api, journey);
                    return r["active"]!.GetValue<long>() == 0 && r["entered"]!.GetValue<long>() == Contacts ? r : null;
                }, "every contact through the journey", TimeSpan.FromSeconds(300));
                Assert.Equal(bought.Count, report["exitedByReason"]!["goal"]!.GetValue<long>());
                Assert.Equal(due, report["exitedByReason"]!["completed"]!.GetValue<long>());
                Assert.Equal(2 * due, report["sent"]!.GetValue<long>());
                await TestHttp.EventuallyAsync(async () => (await ReceivedAsync(simulator)).Sum(n => n.Value.Distinct().Count()) >= 2 * due ? true : (bool?)null,
                    "every reminder at the simulator", TimeSpan.FromSeconds(180));
            }
        }
        finally
        {
            if (postgres is not null)
            {
                await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(HeraldInstance.PostgresBase()) { Pooling = false }.ToString());
                await admin.OpenAsync(CancellationToken.None);
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{postgres}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }

        // At the simulator, per number: a contact who checked out in time got nothing; every other contact got exactly one message id
        // for each reminder (the journey layer sends each due reminder once). The same id more than once is a provider-side repeat.
        var received = await ReceivedAsync(simulator);
        for (var i = 0; i < Contacts; i++)
        {
            var number = Phone(i);
            if (bought.Contains(i))
            {
                Assert.False(received.ContainsKey(number), $"{number} checked out in time but got a reminder");
                continue;
            }
            Assert.True(received.TryGetValue(number, out var requests), $"{number} got no reminder");
            Assert.Single(requests.Where(r => r.Body.StartsWith(FirstReminder, StringComparison.Ordinal)).Select(r => r.MessageId).Distinct());
            Assert.Single(requests.Where(r => r.Body.StartsWith(SecondReminder, StringComparison.Ordinal)).Select(r => r.MessageId).Distinct());
            Assert.Equal(2, requests.Select(r => r.MessageId).Distinct().Count());
        }
        var requestsTotal = received.Values.Sum(v => v.Count);
        var repeated = received.Values.Sum(v => v.Count - v.Select(r => r.MessageId).Distinct().Count());
        var summary = $"{database}: {Contacts} contacts, {bought.Count} checked out in time, {due} due: kill -9 while waiting (simulator at {atFirstKill}), "
            + $"while sending the first reminders (at {atSecondKill}), during the delay (at {atThirdKill}); afterwards {received.Count} numbers reached, "
            + $"{received.Values.Sum(v => v.Select(r => r.MessageId).Distinct().Count())} distinct message ids (2 per due contact), {requestsTotal} requests: "
            + $"{repeated} provider-side repeat(s) of an id already sent (the dispatcher's resend after a kill)";
        TestContext.Current.SendDiagnosticMessage(summary);
        if (Environment.GetEnvironmentVariable("HERALD_E2E_REPORT") is { Length: > 0 } path)
        {
            await File.AppendAllTextAsync($"{path}.journey-kill9.txt", summary + Environment.NewLine, ct);
        }
    }

    private static string Phone(int i) => $"+49151{i:D6}55";

    private static JsonObject Track(int contact, string name, JsonObject properties) => new()
    {
        ["type"] = "track", ["userId"] = $"ct_{contact}", ["event"] = name, ["messageId"] = $"{name}-{contact}", ["properties"] = properties,
    };

    private static async Task PostBatchAsync(HttpClient api, IEnumerable<JsonObject> items)
    {
        foreach (var chunk in items.Chunk(10_000))
        {
            var response = await api.PostAsJsonAsync("/api/v1/batch", new JsonObject { ["batch"] = new JsonArray([.. chunk]) }, TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }

    private static async Task<JsonObject> ReportAsync(HttpClient api, string journey) =>
        await HeraldInstance.ReadObjectAsync(await api.GetAsync($"/api/v1/journeys/{journey}/report", TestContext.Current.CancellationToken), HttpStatusCode.OK);

    /// <summary>Send requests the simulator accepted so far (repeats included).</summary>
    private static async Task<long> AcceptedAsync(HttpClient simulator) =>
        (await HeraldInstance.ReadObjectAsync(await simulator.GetAsync("/_sim/stats", TestContext.Current.CancellationToken), HttpStatusCode.OK))["accepted"]!.GetValue<long>();

    /// <summary>The send requests the simulator answered 200, per number: message id and body.</summary>
    private static async Task<Dictionary<string, List<(string MessageId, string Body)>>> ReceivedAsync(HttpClient simulator)
    {
        var requests = JsonNode.Parse(await simulator.GetStringAsync("/_sim/requests?limit=200000", TestContext.Current.CancellationToken))!.AsArray();
        return requests
            .Where(r => r!["path"]!.GetValue<string>() == "/connector/sms" && r["response"]!["status"]!.GetValue<int>() == 200)
            .Select(r => QueryHelpers.ParseQuery(r!["body"]!.GetValue<string>()))
            .GroupBy(f => f["to"].ToString(), f => (MessageId: f["message_id"].ToString(), Body: f["body"].ToString()))
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    private static async Task<HeraldProcess> StartAsync(Uri baseUrl, string dataDir, IReadOnlyDictionary<string, string> environment)
    {
        var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", dataDir, "--allow-insecure-loopback"], environment);
        await herald.WaitForOutputAsync("Herald is running");
        return herald;
    }
}
