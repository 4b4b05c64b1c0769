using System.Net;
using System.Net.Http.Json;
using Herald.Simulator;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Campaigns;

/// <summary>
/// A 10,000-recipient campaign through the real executable and the simulator, killed with SIGKILL while it sends and started
/// again: every recipient gets one message, nobody is skipped, and the simulator sees a number twice only when the dispatcher
/// resends the same message id after the crash (its lease ran out before the answer was recorded).
/// </summary>
[Collection(CampaignsAtScale.Name)]
public sealed class CampaignCrashTests
{
    private const int Recipients = 10_000;

    [Fact]
    public async Task Kill9_MidCampaign_AfterRestartEveryRecipientHasExactlyOneMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new SimulatorOptions
        {
            Urls = "http://127.0.0.1:0", DeliveryRate = 1.0, DlrDelay = TimeSpan.FromMilliseconds(20), RequestLogCapacity = 100_000, Seed = 9,
        };
        await using var simulator = await SimulatorHost.StartAsync(options, ct);
        var dataDir = Directory.CreateTempSubdirectory("herald-campaign-crash-").FullName;
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        using var api = TestHttp.Create(baseUrl, HeraldInstance.ApiKey);
        string campaign;

        await using (var herald = await StartAsync(baseUrl, dataDir))
        {
            var provider = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/providers",
                HeraldInstance.SeedProvider("Kaleyra_SMS", simulator, options, "https://placeholder.invalid/"), ct), HttpStatusCode.Created);
            await HeraldInstance.ReadObjectAsync(await api.PutAsJsonAsync($"/api/v1/providers/{provider["id"]!.GetValue<string>()}",
                HeraldInstance.SeedProvider("Kaleyra_SMS", simulator, options, provider["callbackUrl"]!.GetValue<string>()), ct), HttpStatusCode.OK);
            // Ordinary numbers: none ends in one of the simulator's forced outcomes (0001-0009, 0429).
            await TestContacts.SeedSqliteAsync(dataDir, Recipients, i => $"+49151{i:D6}55");
            var created = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/campaigns",
                new { name = "Crash", allContacts = true, body = "Offer", sender = "HERALD", throttle = new { perSecond = 500 } }, ct), HttpStatusCode.Created);
            campaign = created["id"]!.GetValue<string>();
            await HeraldInstance.ReadObjectAsync(await api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, ct), HttpStatusCode.OK);
            await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(simulator.Inspector.GetStats().Accepted >= Recipients / 3 ? true : null),
                "a third of the campaign at the simulator", TimeSpan.FromSeconds(180));
        } // disposing kills the process with SIGKILL

        var atCrash = simulator.Inspector.GetStats().Accepted;
        Assert.InRange(atCrash, Recipients / 3, Recipients - 1);
        await using (var herald = await StartAsync(baseUrl, dataDir))
        {
            await TestHttp.EventuallyAsync(async () =>
            {
                var report = await HeraldInstance.ReadObjectAsync(await api.GetAsync($"/api/v1/campaigns/{campaign}/report", ct), HttpStatusCode.OK);
                var messages = report["messages"]!.AsObject();
                return report["campaign"]!["status"]!.GetValue<string>() == "completed"
                    && messages.Sum(m => m.Key is "accepted" or "sent" or "delivered" ? m.Value!.GetValue<long>() : 0) == Recipients ? report : null;
            }, "the campaign completed after the restart", TimeSpan.FromSeconds(300));
        }

        // One message per recipient in the database, each recipient marked with it.
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "herald.db")};Pooling=false");
        await connection.OpenAsync(ct);
        await using var perNumber = connection.CreateCommand();
        perNumber.CommandText = "SELECT COUNT(*), COUNT(DISTINCT to_number) FROM messages WHERE campaign_id = $id";
        perNumber.Parameters.AddWithValue("$id", campaign);
        await using (var reader = await perNumber.ExecuteReaderAsync(ct))
        {
            Assert.True(await reader.ReadAsync(ct));
            Assert.Equal(Recipients, reader.GetInt64(0));
            Assert.Equal(Recipients, reader.GetInt64(1));
        }
        // At the simulator: every number got the campaign's message, and one message each. A number's request may come twice only
        // with the same message id (the dispatcher resends a message whose answer the crash cut off, once its lease ran out).
        var received = simulator.Inspector.GetRequests()
            .Where(r => r.Path == "/connector/sms")
            .Select(r => QueryHelpers.ParseQuery(r.Body))
            .GroupBy(f => f["to"].ToString(), f => f["message_id"].ToString())
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        Assert.Equal(Recipients, received.Count);
        Assert.All(received, n => Assert.Single(n.Value.Distinct()));
        var resent = received.Count(n => n.Value.Count > 1);
        var summary = $"kill -9 after {atCrash} of {Recipients} accepted by the simulator; after the restart {received.Count} numbers reached, "
            + $"{received.Values.Sum(v => v.Count)} requests, {resent} number(s) sent twice with the same message id";
        TestContext.Current.SendDiagnosticMessage(summary);
        if (Environment.GetEnvironmentVariable("HERALD_E2E_REPORT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync($"{path}.kill9.txt", summary, ct);
        }
        Assert.True(resent <= 200, $"{resent} numbers got their message twice: more than one claim of the dispatcher was in flight at the crash");
    }

    private static async Task<HeraldProcess> StartAsync(Uri baseUrl, string dataDir)
    {
        var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", dataDir, "--allow-insecure-loopback"],
            new Dictionary<string, string>
            {
                ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
                ["Herald__Dispatch__PollInterval"] = "00:00:00.050",
                ["Herald__Dispatch__Lease"] = "00:00:05",
                ["Herald__Campaigns__PollInterval"] = "00:00:00.050",
                ["Herald__Campaigns__Lease"] = "00:00:05",
                ["Herald__Campaigns__ChunkSize"] = "100",
            });
        await herald.WaitForOutputAsync("Herald is running");
        return herald;
    }
}
