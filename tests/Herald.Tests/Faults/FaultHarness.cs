using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Faults;

/// <summary>
/// The real <c>herald</c> executable on a fixed port and data folder (so a restart keeps its callback URLs), the
/// simulator standing in for Kaleyra, and the bookkeeping of a fault test: every message Herald acknowledged (202),
/// whether each reached its final state, how many the provider received twice.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class FaultHarness : IAsyncDisposable
{
    public const string Sender = "KLRHXA";

    private readonly Dictionary<string, string> _environment;
    private HeraldProcess? _herald;

    public FaultHarness(SimulatorOptions simulatorOptions, IReadOnlyDictionary<string, string>? environment = null, string? dataDir = null)
    {
        SimulatorOptions = simulatorOptions;
        Port = HeraldProcess.FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{Port}/");
        DataDir = dataDir ?? Path.Combine(Directory.CreateTempSubdirectory("herald-fault-").FullName, "data");
        _environment = new Dictionary<string, string>
        {
            ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
            ["Herald__Providers__AllowInsecureLoopback"] = "true",
            ["Herald__PublicBaseUrl"] = BaseUrl.ToString(),
            // A crashed node's claims come back after the lease: 5 s here (default 2 min) so a test takes seconds.
            ["Herald__Dispatch__Lease"] = "00:00:05",
            ["Herald__Dispatch__LeaseSweepInterval"] = "00:00:01",
            // ...and wait 20 s (default 60 s) for the simulator's retried reports before a send left in doubt is resent.
            ["Herald__Dispatch__InDoubtHold"] = "00:00:20",
            ["Herald__Dispatch__RetryBaseDelay"] = "00:00:00.500",
            ["Herald__Dispatch__RetryMaxDelay"] = "00:00:02",
            ["Herald__Dispatch__CircuitBreakDuration"] = "00:00:02",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            _environment[key] = value;
        }
        Api = TestHttp.Create(BaseUrl, HeraldInstance.ApiKey);
    }

    public SimulatorOptions SimulatorOptions { get; }
    public SimulatorHost Simulator { get; private set; } = null!;
    public int Port { get; }
    public Uri BaseUrl { get; }
    public string DataDir { get; }
    public HttpClient Api { get; }
    public string ProviderId { get; private set; } = "";
    public string CallbackUrl { get; private set; } = "";

    /// <summary>Ids Herald answered 202 for: each must reach a final state.</summary>
    public ConcurrentDictionary<string, bool> Acknowledged { get; } = new();

    /// <summary>Answers other than 202 while submitting, by status (0: no connection).</summary>
    public ConcurrentDictionary<int, int> Refused { get; } = new();

    public string Output => _herald?.Output ?? "";

    /// <summary>The recipient of message n: ends in 0009, the simulator's "delivered, always" number.</summary>
    public Func<int, string> Number { get; set; } = n => $"+9198{n % 10_000:D4}0009";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Sets an environment variable for the next start of herald.</summary>
    public void Set(string key, string value) => _environment[key] = value;

    public async Task StartSimulatorAsync()
    {
        Simulator = await SimulatorHost.StartAsync(SimulatorOptions);
    }

    public async Task StartHeraldAsync()
    {
        _herald = HeraldProcess.Start(["serve", "--urls", BaseUrl.ToString(), "--data-dir", DataDir], _environment);
        await _herald.WaitForOutputAsync("Herald is running");
    }

    /// <summary><c>kill -9</c>: no shutdown, no drain, whatever was in flight is cut.</summary>
    public async Task KillAsync()
    {
        await _herald!.DisposeAsync();
        _herald = null;
    }

    /// <summary>Starts herald again on the same data folder and port; answers how long until it answered <c>/readyz</c>.</summary>
    public async Task<TimeSpan> RestartAsync()
    {
        var started = Stopwatch.GetTimestamp();
        await StartHeraldAsync();
        await TestHttp.EventuallyAsync(async () =>
        {
            using var ready = await Api.GetAsync("/readyz", Ct);
            return ready.IsSuccessStatusCode ? (object)true : null;
        }, "/readyz after the restart", TimeSpan.FromSeconds(30));
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>A provider configured as the seed, pointed at <paramref name="endpoint"/> (the simulator's connector face by default).</summary>
    public async Task CreateProviderAsync(Uri? endpoint = null, string? kaleyraHost = null)
    {
        var response = await Api.PostAsJsonAsync("/api/v1/providers", Provider("https://placeholder.invalid/", endpoint, kaleyraHost), Ct);
        var created = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Created);
        ProviderId = created["id"]!.GetValue<string>();
        CallbackUrl = created["callbackUrl"]!.GetValue<string>();
        using var updated = await Api.PutAsJsonAsync($"/api/v1/providers/{ProviderId}", Provider(CallbackUrl, endpoint, kaleyraHost), Ct);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
    }

    private JsonNode Provider(string callbackUrl, Uri? endpoint, string? kaleyraHost)
    {
        var seed = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(HeraldInstance.SeedProvider("Kaleyra_SMS", Simulator, SimulatorOptions, callbackUrl)))!;
        if (endpoint is not null)
        {
            seed["settings"]!["endpoint"] = endpoint.ToString();
        }
        if (kaleyraHost is not null)
        {
            seed["settings"]!["headers"]![2]!["value"] = kaleyraHost;
        }
        return seed;
    }

    /// <summary>Submits one message; records it when acknowledged. Never throws for a server that is down.</summary>
    public async Task<bool> SendOneAsync(int n)
    {
        try
        {
            using var response = await Api.PostAsJsonAsync("/api/v1/messages", new
            {
                to = Number(n),
                body = $"Fault test message {n}",
                provider = ProviderId,
                type = "txn",
                dynamicFields = new { sender = Sender },
            }, Ct);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var id = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!.GetValue<string>();
                Acknowledged[id] = true;
                return true;
            }
            Refused.AddOrUpdate((int)response.StatusCode, 1, (_, c) => c + 1);
            return false;
        }
        catch (HttpRequestException)
        {
            Refused.AddOrUpdate(0, 1, (_, c) => c + 1);
            return false;
        }
    }

    /// <summary>Sends <paramref name="count"/> messages one after another, <paramref name="pause"/> apart.</summary>
    public async Task StreamAsync(int from, int count, TimeSpan pause, CancellationToken stop)
    {
        for (var n = from; n < from + count && !stop.IsCancellationRequested; n++)
        {
            await SendOneAsync(n);
            await Task.Delay(pause, CancellationToken.None);
        }
    }

    /// <summary>Waits until every acknowledged message is in a final state; answers the ones that are not delivered.</summary>
    public async Task<(IReadOnlyList<string> NotDelivered, TimeSpan Took)> SettleAsync(TimeSpan timeout, string final = "delivered")
    {
        var started = Stopwatch.GetTimestamp();
        var pending = new HashSet<string>(Acknowledged.Keys);
        var notDelivered = new List<string>();
        var deadline = started + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (pending.Count > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            foreach (var id in pending.ToList())
            {
                using var response = await Api.GetAsync($"/api/v1/messages/{id}", Ct);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    continue; // lost, unless it appears later (it must not)
                }
                var status = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["status"]!.GetValue<string>();
                if (status is "delivered" or "undelivered" or "failed" or "expired" or "rejected")
                {
                    pending.Remove(id);
                    if (status != final)
                    {
                        notDelivered.Add($"{id}: {status}");
                    }
                }
            }
            if (pending.Count > 0)
            {
                await Task.Delay(250, Ct);
            }
        }
        foreach (var id in pending)
        {
            // Say where it stopped, so that a failure on a busy machine can be told from a message that is stuck.
            using var response = await Api.GetAsync($"/api/v1/messages/{id}", Ct);
            notDelivered.Add($"{id}: not final after {timeout.TotalSeconds:0} s: {await response.Content.ReadAsStringAsync(Ct)}");
        }
        return (notDelivered, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Messages the provider received more than once (by Herald's message id).</summary>
    public long DuplicateSends => Simulator.Inspector.GetStats().ByMessageId.Duplicates;

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        if (_herald is not null)
        {
            await _herald.DisposeAsync();
        }
        if (Simulator is not null)
        {
            await Simulator.DisposeAsync();
        }
    }
}

/// <summary>The fault table's rows, as measured: appended to $TMPDIR/i14-hostile-faults.txt and the test output.</summary>
internal static class FaultLog
{
    private static readonly Lock Gate = new();

    public static void Record(string fault, string did, int acknowledged, int lost, long duplicates, string why, string recovery)
    {
        var row = $"| {fault} | {did} | {acknowledged} | {lost} | {duplicates}{(duplicates > 0 ? $" ({why})" : "")} | {recovery} |";
        TestContext.Current.SendDiagnosticMessage(row);
        TestContext.Current.TestOutputHelper?.WriteLine(row);
        lock (Gate)
        {
            File.AppendAllText(Path.Combine(Path.GetTempPath(), "i14-hostile-faults.txt"), row + Environment.NewLine);
        }
    }

    public static string Seconds(TimeSpan time) => $"{time.TotalSeconds:0.0} s";
}
