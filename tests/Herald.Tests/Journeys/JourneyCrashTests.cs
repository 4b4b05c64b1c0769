using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Tests.Campaigns;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Journeys;

/// <summary>
/// The abandoned-cart journey through the real executable with short waits, killed with SIGKILL during the wait for the
/// checkout and again during the delay before the second reminder: after the restarts every contact without a checkout
/// has exactly its two reminders, every contact with one has none, and nobody is left waiting.
/// </summary>
public sealed class JourneyCrashTests
{
    private const int Contacts = 1000;

    [Fact]
    public async Task Kill9_DuringTheWaits_EveryDueReminderIsSentOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            calls.GetOrAdd(form["to"].ToString(), _ => []).Add(form["message_id"].ToString());
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        var dataDir = Directory.CreateTempSubdirectory("herald-journey-crash-").FullName;
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        using var api = TestHttp.Create(baseUrl, HeraldInstance.ApiKey);
        string journey;

        await using (var herald = await StartAsync(baseUrl, dataDir))
        {
            await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/providers", new
            {
                nickname = "Stub", kind = "generic",
                settings = new
                {
                    endpoint = stub.Url.ToString(),
                    parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
                },
            }, ct), HttpStatusCode.Created);
            await TestContacts.SeedSqliteAsync(dataDir, Contacts, i => $"+49151{i:D8}");
            await using (var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "herald.db")};Pooling=false"))
            {
                await connection.ExecuteAsync("UPDATE contacts SET external_id = id");
            }
            // The example with waits of seconds, and transactional reminders (no frequency cap between the two).
            var definition = JourneyTests.Example(null, "Crash cart");
            definition["nodes"]![1]!["timeout"] = "PT10S";
            definition["nodes"]![2]!["messageType"] = "txn";
            definition["nodes"]![3]!["duration"] = "PT10S";
            definition["nodes"]![4]!["messageType"] = "txn";
            var created = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/journeys", definition, ct), HttpStatusCode.Created);
            journey = created["id"]!.GetValue<string>();
            await HeraldInstance.ReadObjectAsync(await api.PostAsync($"/api/v1/journeys/{journey}/publish", null, ct), HttpStatusCode.OK);

            // Every contact adds a cart; every third checks out at once.
            var batch = new JsonArray();
            for (var i = 0; i < Contacts; i++)
            {
                batch.Add(Track(i, "added_to_cart", new JsonObject { ["cart_id"] = $"c{i}", ["item_name"] = "blue shoes", ["cart_url"] = $"https://shop.example/c/{i}" }));
                if (i % 3 == 0)
                {
                    batch.Add(Track(i, "checkout_completed", new JsonObject { ["cart_id"] = $"c{i}" }));
                }
            }
            (await api.PostAsJsonAsync("/api/v1/batch", new JsonObject { ["batch"] = batch }, ct)).EnsureSuccessStatusCode();
            await TestHttp.EventuallyAsync(async () => (await ReportAsync(api, journey))["entered"]?.GetValue<long>() == Contacts ? true : (bool?)null,
                "every contact entered (and waiting for its checkout)", TimeSpan.FromSeconds(120));
        } // disposing kills the process with SIGKILL, during the wait

        await using (var herald = await StartAsync(baseUrl, dataDir))
        {
            await TestHttp.EventuallyAsync(async () => (await ReportAsync(api, journey))["sent"]?.GetValue<long>() > 0 ? true : (bool?)null,
                "first reminders sent and contacts in the delay", TimeSpan.FromSeconds(120));
        } // killed again, during the delay

        await using (var herald = await StartAsync(baseUrl, dataDir))
        {
            var report = await TestHttp.EventuallyAsync(async () =>
            {
                var r = await ReportAsync(api, journey);
                return r["active"]!.GetValue<long>() == 0 && r["entered"]!.GetValue<long>() == Contacts ? r : null;
            }, "every contact through the journey", TimeSpan.FromSeconds(240));
            var bought = Enumerable.Range(0, Contacts).Count(i => i % 3 == 0);
            Assert.Equal(bought, report["exitedByReason"]!["goal"]!.GetValue<long>());
            Assert.Equal(Contacts - bought, report["exitedByReason"]!["completed"]!.GetValue<long>());
            Assert.Equal(2 * (Contacts - bought), report["sent"]!.GetValue<long>());
            await TestHttp.EventuallyAsync(() => Task.FromResult(calls.Values.Sum(c => c.Distinct().Count()) >= 2 * (Contacts - bought) ? true : (bool?)null),
                "every reminder at the provider", TimeSpan.FromSeconds(120));
        }

        // In the database: two messages for each contact without a checkout, none for the others.
        await using var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "herald.db")};Pooling=false");
        var perNumber = (await db.QueryAsync<(string To, long Count, long Bodies)>(
            "SELECT to_number, COUNT(*), COUNT(DISTINCT body) FROM messages WHERE source = 'journey' GROUP BY to_number")).ToDictionary(r => r.To);
        for (var i = 0; i < Contacts; i++)
        {
            var number = $"+49151{i:D8}";
            if (i % 3 == 0)
            {
                Assert.False(perNumber.ContainsKey(number), $"{number} checked out but got a reminder");
            }
            else
            {
                Assert.Equal((2L, 2L), (perNumber[number].Count, perNumber[number].Bodies));
            }
        }
        // At the provider: a number saw a message id twice only when the dispatcher resent it after a crash, never two messages more.
        Assert.All(calls, c => Assert.Equal(2, c.Value.Distinct().Count()));
    }

    private static JsonObject Track(int contact, string name, JsonObject properties) => new()
    {
        ["type"] = "track", ["userId"] = $"ct_{contact}", ["event"] = name, ["messageId"] = $"{name}-{contact}", ["properties"] = properties,
    };

    private static async Task<JsonObject> ReportAsync(HttpClient api, string journey) =>
        await HeraldInstance.ReadObjectAsync(await api.GetAsync($"/api/v1/journeys/{journey}/report", TestContext.Current.CancellationToken), HttpStatusCode.OK);

    private static async Task<HeraldProcess> StartAsync(Uri baseUrl, string dataDir)
    {
        var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", dataDir, "--allow-insecure-loopback"],
            new Dictionary<string, string>
            {
                ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
                ["Herald__Dispatch__PollInterval"] = "00:00:00.050",
                ["Herald__Dispatch__Lease"] = "00:00:05",
                ["Herald__Dispatch__InDoubtHold"] = "00:00:10",
                ["Herald__Journeys__PollInterval"] = "00:00:00.100",
                ["Herald__Journeys__Lease"] = "00:00:05",
                ["Herald__Journeys__BatchSize"] = "200",
            });
        await herald.WaitForOutputAsync("Herald is running");
        return herald;
    }
}
