using Herald.Shared;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Dispatch;

/// <summary>
/// Graceful shutdown through the real executable: on SIGTERM /readyz says "draining", sends already on the wire finish and
/// are recorded, claimed messages not yet sent go back to the queue, and after a restart every message is sent exactly once.
/// </summary>
public sealed class ShutdownDrainTests
{
    private const int Messages = 100;
    private const int Concurrency = 4;

    [Fact]
    public async Task Sigterm_WhileSending_DrainsThenEveryMessageIsSentExactlyOnceAfterRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new ConcurrentDictionary<string, int>();
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            var id = form["message_id"].ToString();
            calls.AddOrUpdate(id, 1, (_, n) => n + 1);
            // The first sends stay on the wire until the test has seen the server draining.
            await release.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + id });
        });
        var dataDir = Directory.CreateTempSubdirectory("herald-drain-").FullName;
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        using var api = TestHttp.Create(baseUrl, HeraldInstance.ApiKey);
        using var anonymous = TestHttp.Create(baseUrl);

        await using (var herald = await StartAsync(baseUrl, dataDir))
        {
            await CreateProviderAsync(api, stub.Url);
            var batch = Enumerable.Range(0, Messages).Select(i => new { to = $"+91981{i:D7}", body = $"drain {i}" }).ToArray();
            var queued = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/messages/batch", new { messages = batch }, ct), HttpStatusCode.Accepted);
            Assert.Equal(Messages, queued["accepted"]!.AsArray().Count);
            await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(calls.Count >= Concurrency ? true : null), $"{Concurrency} sends on the wire");

            var stopping = TimeProvider.System.GetTimestamp();
            herald.Terminate();
            // Not at once: the server must still listen while the drain runs, not only in the first moments after the signal.
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var ready = await TestHttp.EventuallyAsync(async () =>
            {
                using var response = await anonymous.GetAsync("/readyz", ct);
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
                return response.StatusCode == HttpStatusCode.ServiceUnavailable ? body : null;
            }, "/readyz to say draining");
            Assert.Equal("draining", ready["status"]!.GetValue<string>());
            Assert.False(herald.HasExited, "herald exited while sends were still on the wire.");

            release.SetResult();
            await herald.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(herald.ExitCode == 0, $"herald exited {herald.ExitCode}:\n{herald.Output}");
            Assert.True(TimeProvider.System.GetElapsedTime(stopping) < TimeSpan.FromSeconds(25), "the drain took the whole shutdown timeout");
        }

        // Stopped: every message is either answered (accepted, with the provider's id) or back in the queue. None held, none lost.
        var sent = calls.Keys.ToHashSet();
        Assert.Equal(Concurrency, sent.Count);
        var rows = await ReadStatesAsync(dataDir, ct);
        Assert.Equal(Messages, rows.Count);
        Assert.DoesNotContain(rows, r => r.Status == "dispatching");
        Assert.All(rows.Where(r => sent.Contains(r.Id)), r => Assert.Equal(("accepted", "stub-" + r.Id), (r.Status, r.ProviderMessageId)));
        Assert.All(rows.Where(r => !sent.Contains(r.Id)), r => Assert.Equal("queued", r.Status));

        // After a restart the rest go out; nothing goes out twice.
        await using (var again = await StartAsync(baseUrl, dataDir))
        {
            await TestHttp.EventuallyAsync(async () =>
            {
                var page = JsonNode.Parse(await api.GetStringAsync("/api/v1/messages?status=accepted&limit=500", ct))!;
                return page["items"]!.AsArray().Count == Messages ? page : null;
            }, "every message to be accepted after the restart", TimeSpan.FromSeconds(60));
        }
        Assert.Equal(Messages, calls.Count);
        Assert.All(calls, c => Assert.True(c.Value == 1, $"message {c.Key} was sent {c.Value} times"));
    }

    private static async Task<HeraldProcess> StartAsync(Uri baseUrl, string dataDir)
    {
        var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", dataDir, "--allow-insecure-loopback"],
            new Dictionary<string, string>
            {
                ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
                ["Herald__Dispatch__MaxConcurrency"] = Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Herald__Dispatch__PollInterval"] = "00:00:00.050",
                ["Herald__ShutdownTimeout"] = "00:00:30",
            });
        await herald.WaitForOutputAsync("Herald is running");
        return herald;
    }

    private static async Task CreateProviderAsync(HttpClient api, Uri url) =>
        await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Slow", kind = "generic",
            settings = new
            {
                endpoint = url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, TestContext.Current.CancellationToken), HttpStatusCode.Created);

    private static async Task<List<(string Id, string Status, string? ProviderMessageId)>> ReadStatesAsync(string dataDir, CancellationToken ct)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "herald.db")};Pooling=false");
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, status, provider_message_id FROM messages";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(string, string, string?)>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        return rows;
    }
}
