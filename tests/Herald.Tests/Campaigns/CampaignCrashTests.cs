using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;

namespace Herald.Tests.Campaigns;

/// <summary>
/// A 10,000-recipient campaign through the real executable and the simulator, killed with SIGKILL while it sends and started
/// again: every recipient gets one message, nobody is skipped, and the simulator receives each number exactly once. Sends the
/// crash left in doubt (claimed, perhaps on the wire, answer not recorded) wait for the simulator's retried delivery reports,
/// which settle those that did reach it; only the others are sent after the hold.
/// </summary>
[Collection(CampaignsAtScale.Name)]
public sealed class CampaignCrashTests
{
    private const int Recipients = 10_000;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Kill9_MidCampaign_AfterRestartEverySimulatorNumberGetsExactlyOneRequest(string database)
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new SimulatorOptions
        {
            Urls = "http://127.0.0.1:0", DeliveryRate = 1.0, DlrDelay = TimeSpan.FromMilliseconds(20), RequestLogCapacity = 100_000, Seed = 9,
            // A report Herald does not take (it is dead) is retried after 1, 2, 4 ... 64 s: for 127 s after the kill, so no report is
            // lost however slowly herald restarts, and the next retry after a restart R seconds after the kill comes by about 2R + 1 s.
            DlrRetryCount = 7, DlrRetryBaseDelay = TimeSpan.FromSeconds(1),
        };
        await using var simulator = await SimulatorHost.StartAsync(options, ct);
        var dataDir = Directory.CreateTempSubdirectory("herald-campaign-crash-").FullName;
        var postgres = database == "postgres"
            ? new NpgsqlConnectionStringBuilder(HeraldInstance.PostgresBase()) { Database = await HeraldInstance.CreatePostgresDatabaseAsync(), Pooling = false }.ToString()
            : null;
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        using var api = TestHttp.Create(baseUrl, HeraldInstance.ApiKey);
        string campaign;

        await using (var herald = await StartAsync(baseUrl, dataDir, postgres))
        {
            var provider = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/providers",
                HeraldInstance.SeedProvider("Kaleyra_SMS", simulator, options, "https://placeholder.invalid/"), ct), HttpStatusCode.Created);
            await HeraldInstance.ReadObjectAsync(await api.PutAsJsonAsync($"/api/v1/providers/{provider["id"]!.GetValue<string>()}",
                HeraldInstance.SeedProvider("Kaleyra_SMS", simulator, options, provider["callbackUrl"]!.GetValue<string>()), ct), HttpStatusCode.OK);
            // Ordinary numbers: none ends in one of the simulator's forced outcomes (0001-0009, 0429).
            await TestContacts.SeedProcessAsync(dataDir, postgres, Recipients, i => $"+49151{i:D6}55");
            var created = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/campaigns",
                new { name = "Crash", allContacts = true, body = "Offer", sender = "HERALD", throttle = new { perSecond = 500 } }, ct), HttpStatusCode.Created);
            campaign = created["id"]!.GetValue<string>();
            await HeraldInstance.ReadObjectAsync(await api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, ct), HttpStatusCode.OK);
            await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(simulator.Inspector.GetStats().Accepted >= Recipients / 3 ? true : null),
                "a third of the campaign at the simulator", TimeSpan.FromSeconds(180));
        } // disposing kills the process with SIGKILL

        var atCrash = simulator.Inspector.GetStats().Accepted;
        Assert.InRange(atCrash, Recipients / 3, Recipients - 1);
        var killedAt = TimeProvider.System.GetTimestamp();
        TimeSpan restart;
        await using (var herald = await StartAsync(baseUrl, dataDir, postgres))
        {
            restart = TimeProvider.System.GetElapsedTime(killedAt);
            JsonObject? last = null;
            try
            {
                await TestHttp.EventuallyAsync(async () =>
                {
                    last = await HeraldInstance.ReadObjectAsync(await api.GetAsync($"/api/v1/campaigns/{campaign}/report", ct), HttpStatusCode.OK);
                    return last["campaign"]!["status"]!.GetValue<string>() == "completed"
                        && last["messages"]!["delivered"]?.GetValue<long>() == Recipients ? last : null;
                }, "every recipient delivered after the restart", TimeSpan.FromSeconds(300));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"{database}: not every recipient delivered 300 s after the restart ({restart.TotalSeconds:0.0} s after the kill); "
                    + $"the report: {last?["campaign"]?.ToJsonString()} {last?["messages"]?.ToJsonString()}");
            }
        }

        // One message per recipient in the database, each delivered (the simulator's scenario delivers every ordinary number).
        await using var connection = TestContacts.OpenProcessDatabase(dataDir, postgres);
        await connection.OpenAsync(ct);
        var (messages, numbers, delivered) = await connection.QuerySingleAsync<(long, long, long)>(
            "SELECT COUNT(*), COUNT(DISTINCT to_number), SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) FROM messages WHERE campaign_id = @campaign",
            new { campaign });
        Assert.Equal((Recipients, Recipients, Recipients), (messages, numbers, delivered));
        var (inDoubt, settled, resent) = await connection.QuerySingleAsync<(long, long, long)>("""
            SELECT SUM(CASE WHEN event = 'lease-expired' THEN 1 ELSE 0 END),
                SUM(CASE WHEN note LIKE '%settled by a report while in doubt%' THEN 1 ELSE 0 END),
                SUM(CASE WHEN attempt_note LIKE '%resent-after-crash%' THEN 1 ELSE 0 END)
            FROM message_events
            """);
        // At the simulator: every number got the campaign's message, exactly once.
        var received = simulator.Inspector.GetRequests()
            .Where(r => r.Path == "/connector/sms")
            .Select(r => QueryHelpers.ParseQuery(r.Body))
            .GroupBy(f => f["to"].ToString(), f => f["message_id"].ToString())
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var requests = received.Values.Sum(v => v.Count);
        var summary = $"{database}: kill -9 after {atCrash} of {Recipients} accepted by the simulator, herald ready {restart.TotalSeconds:0.0} s later; "
            + $"{inDoubt} sends found in doubt (lease expired), {settled} settled by a retried report, {resent} resent after the hold, "
            + $"{inDoubt - settled - resent} settled by their own late answer (a claim that outlived its lease before the kill); "
            + $"the simulator got {requests} requests for {received.Count} numbers";
        TestContext.Current.SendDiagnosticMessage(summary);
        if (Environment.GetEnvironmentVariable("HERALD_E2E_REPORT") is { Length: > 0 } path)
        {
            await File.AppendAllTextAsync($"{path}.kill9.txt", summary + Environment.NewLine, ct);
        }
        Assert.Equal(Recipients, received.Count);
        Assert.All(received, n => Assert.Single(n.Value));
        Assert.Equal(Recipients, requests);
    }

    private static async Task<HeraldProcess> StartAsync(Uri baseUrl, string dataDir, string? postgres)
    {
        string[] database = postgres is null ? [] : ["--database", "postgres", "--connection-string", postgres];
        var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", dataDir, .. database, "--allow-insecure-loopback"],
            new Dictionary<string, string>
            {
                ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
                ["Herald__Dispatch__PollInterval"] = "00:00:00.050",
                ["Herald__Dispatch__Lease"] = "00:00:05",
                // The hold counts from the restart, and the simulator's next retry of a refused report comes about as long after the
                // restart as the restart took: 35 s covers restarts up to half a minute, so every send that reached the simulator
                // before the crash is settled by its report rather than sent again.
                ["Herald__Dispatch__InDoubtHold"] = "00:00:35",
                ["Herald__Campaigns__PollInterval"] = "00:00:00.050",
                ["Herald__Campaigns__Lease"] = "00:00:05",
                ["Herald__Campaigns__ChunkSize"] = "100",
            });
        await herald.WaitForOutputAsync("Herald is running");
        return herald;
    }
}
