using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Campaigns;

/// <summary>
/// A campaign through the real executable, killed with SIGKILL while it sends and started again: every recipient gets one
/// message, nobody is skipped, and the provider sees a message twice only when the dispatcher resends the same message id
/// after the crash (its lease ran out before the answer was recorded).
/// </summary>
public sealed class CampaignCrashTests
{
    private const int Recipients = 1500;

    [Fact]
    public async Task Kill9_MidCampaign_AfterRestartEveryRecipientHasExactlyOneMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            calls.GetOrAdd(form["to"].ToString(), _ => []).Add(form["message_id"].ToString());
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        var dataDir = Directory.CreateTempSubdirectory("herald-campaign-crash-").FullName;
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        using var api = TestHttp.Create(baseUrl, HeraldInstance.ApiKey);
        string campaign;

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
            await TestContacts.SeedSqliteAsync(dataDir, Recipients, i => $"+49151{i:D8}");
            var created = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/campaigns",
                new { name = "Crash", allContacts = true, body = "Offer", throttle = new { perSecond = 500 } }, ct), HttpStatusCode.Created);
            campaign = created["id"]!.GetValue<string>();
            await HeraldInstance.ReadObjectAsync(await api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, ct), HttpStatusCode.OK);
            await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(calls.Count >= Recipients / 3 ? true : null), "a third of the campaign sent");
        } // disposing kills the process with SIGKILL

        var sentBeforeCrash = calls.Count;
        Assert.InRange(sentBeforeCrash, Recipients / 3, Recipients - 1);
        await using (var herald = await StartAsync(baseUrl, dataDir))
        {
            await TestHttp.EventuallyAsync(async () =>
            {
                var report = await HeraldInstance.ReadObjectAsync(await api.GetAsync($"/api/v1/campaigns/{campaign}/report", ct), HttpStatusCode.OK);
                return report["campaign"]!["status"]!.GetValue<string>() == "completed" && report["messages"]?["accepted"]?.GetValue<long>() == Recipients
                    ? report : null;
            }, "the campaign completed after the restart", TimeSpan.FromSeconds(60));
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
        // Every number reached the provider; a number reached it twice only with the same message id (a resend after the crash).
        Assert.Equal(Recipients, calls.Count);
        Assert.All(calls, c => Assert.Single(c.Value.Distinct()));
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
