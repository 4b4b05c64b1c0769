using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace Herald.Tests.Cluster;

/// <summary>
/// Two real <c>herald serve</c> processes on one fresh PostgreSQL database, sending through a counting stub provider:
/// they share the queue (both send, nothing twice), exactly one leads, and when the leader is killed (-9) mid-run the
/// other takes over the lease-expiry sweep and finishes the crashed node's messages.
/// </summary>
public sealed class TwoNodeTests : IAsyncLifetime
{
    private const string ApiKey = "hk_cluster_test_0123456789abcdef";
    private const int Messages = 2000;
    private const int SlowMessages = 160;

    private readonly ConcurrentDictionary<string, int> _sends = new();
    private int _slowRequests;
    private StubProvider _stub = null!;
    private string _database = null!;
    private string _connectionString = null!;
    private readonly string _dataDir = Directory.CreateTempSubdirectory("herald-cluster-").FullName;
    private readonly List<HeraldProcess> _processes = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            var id = form["message_id"].ToString();
            _sends.AddOrUpdate(id, 1, (_, n) => n + 1);
            if (form["body"].ToString().StartsWith("slow", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _slowRequests);
                await Task.Delay(100, context.RequestAborted);
            }
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + id });
        });
        _database = await HeraldInstance.CreatePostgresDatabaseAsync();
        _connectionString = new NpgsqlConnectionStringBuilder(HeraldInstance.PostgresBase()) { Database = _database }.ToString();
    }

    [Fact]
    public async Task TwoNodes_OnePostgres_ShareTheQueueWithoutDoubleSends_AndTheOtherTakesOverWhenTheLeaderDies()
    {
        var (a, apiA) = await StartNodeAsync("node-a");
        var (b, apiB) = await StartNodeAsync("node-b");
        var provider = await CreateProviderAsync(apiA);

        // Exactly one leader, and both nodes agree on it; a SQLite-free cluster says so.
        var viewA = await ClusterAsync(apiA);
        var viewB = await ClusterAsync(apiB);
        Assert.True(viewA["leader"]!.GetValue<bool>() ^ viewB["leader"]!.GetValue<bool>(), $"{viewA.ToJsonString()} / {viewB.ToJsonString()}");
        Assert.True(viewA["leader"]!.GetValue<bool>(), "node-a started first, so it leads");
        Assert.Equal("node-a", viewB["leaderNode"]!.GetValue<string>());
        Assert.Equal("postgres", viewB["database"]!.GetValue<string>());
        Assert.Matches("herald_cluster_leader\\{[^}]*node=\"node-a\"[^}]*\\} 1\n", await MetricsAsync(apiA));
        Assert.Matches("herald_cluster_leader\\{[^}]*node=\"node-b\"[^}]*\\} 0\n", await MetricsAsync(apiB));

        // 2,000 messages submitted to node A: both nodes send, each message exactly once.
        var ids = await SubmitAsync(apiA, Enumerable.Range(0, Messages).Select(i => $"hello {i}"));
        await WaitForAcceptedAsync(apiB, provider, Messages);
        Assert.Equal(Messages, _sends.Count);
        Assert.All(ids, id => Assert.Equal(1, _sends.GetValueOrDefault(id)));
        var byNode = await DispatchesByNodeAsync();
        Assert.Equal(Messages, byNode.Values.Sum());
        Assert.True(byNode.GetValueOrDefault("node-a") >= Messages / 10 && byNode.GetValueOrDefault("node-b") >= Messages / 10,
            $"both nodes should send a share: {string.Join(", ", byNode.Select(n => $"{n.Key}={n.Value}"))}");
        var timeline = (await HeraldInstance.ReadObjectAsync(await apiB.GetAsync($"/api/v1/messages/{ids[0]}", Ct), HttpStatusCode.OK))["timeline"]!.AsArray();
        Assert.Contains(timeline, e => e!["note"]?.GetValue<string>().Contains(" by node-", StringComparison.Ordinal) == true);

        // Kill -9 the leader while it holds claims of slow sends: node B leads, sweeps the expired leases and sends the rest.
        var slow = await SubmitAsync(apiA, Enumerable.Range(0, SlowMessages).Select(i => $"slow {i}"));
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(Volatile.Read(ref _slowRequests) >= 10 ? true : null), "the slow sends to start");
        _processes.Remove(a);
        await a.DisposeAsync(); // Process.Kill: SIGKILL, no shutdown of any kind
        await TestHttp.EventuallyAsync(async () => (await ClusterAsync(apiB))["leader"]!.GetValue<bool>() ? true : (object?)null, "node-b to lead", TimeSpan.FromSeconds(10));
        await WaitForAcceptedAsync(apiB, provider, Messages + SlowMessages, TimeSpan.FromSeconds(60));
        await b.WaitForOutputAsync("Node node-b is now the cluster leader");
        await b.WaitForOutputAsync("whose lease expired to the queue");

        var recovered = await LeaseExpiredAsync();
        Assert.NotEmpty(recovered);
        Assert.All(slow, id => Assert.InRange(_sends.GetValueOrDefault(id), 1, 2));
        // A message the provider saw twice is one node-a sent just before it died: its lease expired and it was resent with the same id.
        Assert.All(slow.Where(id => _sends[id] > 1), id => Assert.Contains(id, recovered));
        Assert.All(ids, id => Assert.Equal(1, _sends[id]));
    }

    private async Task<(HeraldProcess Process, HttpClient Api)> StartNodeAsync(string nodeId)
    {
        var url = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        // One data folder for both: the nodes must share the data-protection keys that encrypt provider secrets.
        var process = HeraldProcess.Start(
            ["serve", "--urls", url.ToString(), "--data-dir", _dataDir, "--database", "postgres", "--connection-string", _connectionString, "--allow-insecure-loopback"],
            new Dictionary<string, string>
            {
                ["HERALD_API_KEY"] = ApiKey,
                ["Herald__Cluster__NodeId"] = nodeId,
                ["Herald__Cluster__LeaderRetryInterval"] = "00:00:00.500",
                ["Herald__Dispatch__PollInterval"] = "00:00:00.100",
                ["Herald__Dispatch__ClaimBatchSize"] = "20",
                ["Herald__Dispatch__MaxConcurrency"] = "8",
                ["Herald__Dispatch__Lease"] = "00:00:05",
                ["Herald__Dispatch__LeaseSweepInterval"] = "00:00:00.500",
                ["Herald__Dispatch__InDoubtHold"] = "00:00:02", // the stub sends no reports: nothing to wait for
            });
        _processes.Add(process);
        await process.WaitForOutputAsync("Herald is running");
        return (process, TestHttp.Create(url, ApiKey));
    }

    private async Task<string> CreateProviderAsync(HttpClient api)
    {
        var created = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                authentication = new { type = "basic", username = "herald", password = "secret-on-node-a" },
                parameters = new[]
                {
                    new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" },
                },
            },
        }, Ct), HttpStatusCode.Created);
        return created["id"]!.GetValue<string>();
    }

    private static async Task<List<string>> SubmitAsync(HttpClient api, IEnumerable<string> bodies)
    {
        var messages = bodies.Select((body, i) => new { to = $"+91981{i:D7}", body, type = "txn", provider = "Stub" }).ToArray();
        var answer = await HeraldInstance.ReadObjectAsync(await api.PostAsJsonAsync("/api/v1/messages/batch", new { messages }, Ct), HttpStatusCode.Accepted);
        Assert.Empty(answer["rejected"]!.AsArray());
        return answer["accepted"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).ToList();
    }

    private static Task<JsonObject> WaitForAcceptedAsync(HttpClient api, string provider, int count, TimeSpan? timeout = null) =>
        TestHttp.EventuallyAsync(async () =>
        {
            var counts = await HeraldInstance.ReadObjectAsync(await api.GetAsync($"/api/v1/messages/counts?provider={provider}", Ct), HttpStatusCode.OK);
            return counts["byStatus"]!["accepted"]?.GetValue<long>() == count ? counts : null;
        }, $"{count} messages to be accepted", timeout ?? TimeSpan.FromSeconds(90));

    private static async Task<JsonObject> ClusterAsync(HttpClient api) =>
        await HeraldInstance.ReadObjectAsync(await api.GetAsync("/api/v1/cluster", Ct), HttpStatusCode.OK);

    private static Task<string> MetricsAsync(HttpClient api) =>
        TestHttp.EventuallyAsync(async () =>
        {
            var text = await api.GetStringAsync("/metrics", Ct);
            return text.Contains("herald_cluster_leader", StringComparison.Ordinal) ? text : null;
        }, "herald_cluster_leader in /metrics");

    /// <summary>
    /// Which node claimed each message, from the claim's timeline note ("attempt 1 through Stub by node-a/…"), which the row ending
    /// the attempt carries, or for the usual success the message row (accepted_owner: the worker, "node-a/…").
    /// </summary>
    private async Task<Dictionary<string, long>> DispatchesByNodeAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT substring(note from ' by ([a-z-]+)/'), COUNT(*) FROM (
                SELECT attempt_note AS note FROM message_events WHERE attempt_note IS NOT NULL
                UNION ALL SELECT ' by ' || accepted_owner FROM messages WHERE accepted_owner IS NOT NULL) x
            GROUP BY 1
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var byNode = new Dictionary<string, long>();
        while (await reader.ReadAsync(Ct))
        {
            byNode[reader.IsDBNull(0) ? "?" : reader.GetString(0)] = reader.GetInt64(1);
        }
        return byNode;
    }

    private async Task<HashSet<string>> LeaseExpiredAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT DISTINCT message_id FROM message_events WHERE event = 'lease-expired'", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var ids = new HashSet<string>();
        while (await reader.ReadAsync(Ct))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        await _stub.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(HeraldInstance.PostgresBase()) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await drop.ExecuteNonQueryAsync();
                break;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
