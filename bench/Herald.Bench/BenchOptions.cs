namespace Herald.Bench;

/// <summary>How the provider is reached.</summary>
internal enum BenchMode
{
    /// <summary>The seed's generic provider through the simulator's connector face: one request and one DLR per message.</summary>
    Single,

    /// <summary>The native Kaleyra provider: up to 100 recipients per request, Kaleyra callbacks (Sent + final) per recipient.</summary>
    Batch,
}

/// <summary>Everything one invocation of the harness was asked to do.</summary>
internal sealed record BenchOptions
{
    public int Messages { get; init; } = 100_000;

    public string Database { get; init; } = "sqlite";

    public BenchMode Mode { get; init; } = BenchMode.Single;

    /// <summary>Simulator send requests per second (both faces) above which it answers 429; 0 = unlimited.</summary>
    public int ProviderRate { get; init; }

    /// <summary>Added by the simulator before it answers each send request (herald simulate --latency); 0 = none.</summary>
    public TimeSpan ProviderLatency { get; init; }

    public string? JsonPath { get; init; }

    /// <summary>Kannel's JSON lines (run-kannel-bench.sh's results/*.jsonl): print the ratio rows of issue 11's targets 1 and 2.</summary>
    public string? KannelPath { get; init; }

    public int Runs { get; init; } = 1;

    public int Otp { get; init; } = 200;

    /// <summary>
    /// Messages sent before the measured window through the same processes (connections open, code compiled), then the
    /// simulator's counters reset: what Kannel's harness does (WARMUP 2,000), so that both are measured warm.
    /// </summary>
    public int Warmup { get; init; } = 2_000;

    /// <summary>Soak: keep submitting for this long (with a bounded backlog), then drain.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Chaos: kill -9 and restart the server at this interval once the messages are accepted.</summary>
    public TimeSpan? KillEvery { get; init; }

    public bool SimulatorOnly { get; init; }

    /// <summary>Short-link redirects to send (0: not this mode); see Redirects.cs.</summary>
    public int Redirects { get; init; }

    /// <summary>Concurrent connections of the redirect mode.</summary>
    public int LinkConcurrency { get; init; } = 64;

    /// <summary>Messages per POST /api/v1/messages/batch.</summary>
    public int Chunk { get; init; } = 5_000;

    /// <summary>Concurrent batch submitters.</summary>
    public int Submitters { get; init; } = 4;

    public TimeSpan DlrDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public double DeliveryRate { get; init; } = 1.0;

    /// <summary>Upper bound for one run, from the first submission to the last final state.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Use this herald binary instead of building src/Herald.</summary>
    public string? HeraldPath { get; init; }

    public bool NoBuild { get; init; }

    /// <summary>Extra environment for herald serve (NAME=VALUE), e.g. Herald__Dispatch__ClaimBatchSize=1000.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ServerEnv { get; init; } = [];

    /// <summary>Keep the data folders and logs of the runs.</summary>
    public bool Keep { get; init; }

    /// <summary>Largest backlog (submitted but not yet at the provider) a soak run keeps.</summary>
    public int SoakBacklog { get; init; } = 20_000;

    public string ModeName => Mode == BenchMode.Single ? "single" : "batch";
}
