using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using Spectre.Console;

namespace Herald.Bench;

/// <summary>
/// One run's processes: <c>herald simulate</c> and <c>herald serve</c> on free loopback ports, a fresh data
/// folder (and a fresh PostgreSQL database), and the provider the run sends through.
/// </summary>
internal sealed class Stack : IAsyncDisposable
{
    public const string SimApiKey = "sim-api-key";
    public const string SimSid = "SIM0000001";
    public const string ProviderNickname = "Bench";

    private readonly BenchOptions _options;
    private readonly string _herald;
    private readonly TimeProvider _time;
    private readonly List<string> _serverArgs;
    private readonly List<KeyValuePair<string, string>> _serverEnv;
    private readonly string? _pgBase;
    private readonly string? _pgDatabase;
    private long _peakRss;
    private long _killedServerTicks;

    private Stack(BenchOptions options, string herald, string runDir, TimeProvider time, ChildProcess simulator, SimulatorClient simClient,
        List<string> serverArgs, List<KeyValuePair<string, string>> serverEnv, HeraldClient heraldClient, string? pgBase, string? pgDatabase)
    {
        _options = options;
        _herald = herald;
        RunDir = runDir;
        _time = time;
        Simulator = simulator;
        Sim = simClient;
        _serverArgs = serverArgs;
        _serverEnv = serverEnv;
        Herald = heraldClient;
        _pgBase = pgBase;
        _pgDatabase = pgDatabase;
    }

    public string RunDir { get; }

    public ChildProcess Simulator { get; }

    public ChildProcess Server { get; private set; } = null!;

    public SimulatorClient Sim { get; }

    public HeraldClient Herald { get; }

    /// <summary>Server restarts so far (chaos).</summary>
    public int Restarts { get; private set; }

    /// <summary>
    /// The database's size on disk now: SQLite's file and its WAL (herald.db, herald.db-wal in the data folder); PostgreSQL's
    /// <c>pg_database_size</c> (the WAL is the cluster's, shared with every database, so it is not counted).
    /// </summary>
    public async Task<long?> DatabaseBytesAsync(CancellationToken cancellationToken)
    {
        if (_pgBase is not null && _pgDatabase is not null)
        {
            await using var connection = new Npgsql.NpgsqlConnection(_pgBase);
            await connection.OpenAsync(cancellationToken);
            await using var command = new Npgsql.NpgsqlCommand("SELECT pg_database_size(@name)", connection);
            command.Parameters.AddWithValue("name", _pgDatabase);
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        var data = Path.Combine(RunDir, "data");
        var files = new[] { "herald.db", "herald.db-wal" }.Select(f => new FileInfo(Path.Combine(data, f))).Where(f => f.Exists).ToList();
        return files.Count == 0 ? null : files.Sum(f => f.Length);
    }

    public static async Task<Stack> StartAsync(BenchOptions options, string herald, string runDir, string? pgBase, TimeProvider time,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(runDir);
        var simPort = HeraldBinary.FreePort();
        List<string> simArgs =
        [
            "simulate", "--urls", $"http://127.0.0.1:{simPort}", "--api-key", SimApiKey, "--sid", SimSid,
            "--dlr-delay", options.DlrDelay.ToString("c", CultureInfo.InvariantCulture),
            "--delivery-rate", options.DeliveryRate.ToString(CultureInfo.InvariantCulture), "--seed", "42",
        ];
        if (options.ProviderRate > 0)
        {
            // Not every herald simulate has this flag yet; without it the simulator exits with a usage error, reported below.
            simArgs.AddRange(["--rate-limit", options.ProviderRate.ToString(CultureInfo.InvariantCulture)]);
        }
        if (options.ProviderLatency > TimeSpan.Zero)
        {
            simArgs.AddRange(["--latency", options.ProviderLatency.ToString("c", CultureInfo.InvariantCulture)]);
        }
        var simulator = ChildProcess.Start("simulator", herald, simArgs, [], Path.Combine(runDir, "simulate.log"));
        var sim = new SimulatorClient(new Uri($"http://127.0.0.1:{simPort}"));
        try
        {
            await sim.WaitReadyAsync(simulator, TimeSpan.FromSeconds(60), time, cancellationToken);
        }
        catch
        {
            simulator.Dispose();
            throw;
        }

        string? pgDatabase = null;
        var apiKey = "bench-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var serverPort = HeraldBinary.FreePort();
        var serverArgs = new List<string>
        {
            "serve", "--urls", $"http://127.0.0.1:{serverPort}", "--data-dir", Path.Combine(runDir, "data"), "--allow-insecure-loopback",
        };
        var env = new List<KeyValuePair<string, string>> { new("HERALD_API_KEY", apiKey) };
        if (pgBase is not null)
        {
            pgDatabase = "herald_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
            env.Add(new("Herald__Database__Provider", "postgres"));
            env.Add(new("Herald__Database__ConnectionString", await Postgres.CreateDatabaseAsync(pgBase, pgDatabase, cancellationToken)));
        }
        if (options.KillEvery is not null)
        {
            // Herald builds callback URLs from the server's bound address, which a dispatcher that starts with a backlog
            // (every restart) asks for before Kestrel listens: it then gets the hard-coded http://127.0.0.1:8080 and DLRs
            // go astray (see README, Findings). Setting the public URL avoids it until Herald is fixed.
            env.Add(new("Herald__PublicBaseUrl", $"http://127.0.0.1:{serverPort}"));
            // A killed server's claims come back after the lease: keep it short so a chaos run does not wait 2 min per kill.
            env.Add(new("Herald__Dispatch__Lease", "00:00:10"));
            env.Add(new("Herald__Dispatch__LeaseSweepInterval", "00:00:02"));
            // Sends left in doubt by a kill wait for the simulator's retried reports (31 s at most) rather than the default 60 s.
            env.Add(new("Herald__Dispatch__InDoubtHold", "00:00:35"));
        }
        env.AddRange(options.ServerEnv);
        var client = new HeraldClient(new Uri($"http://127.0.0.1:{serverPort}"), apiKey);
        // For looking around with curl when --keep is given.
        await File.WriteAllTextAsync(Path.Combine(runDir, "endpoints.txt"),
            $"herald http://127.0.0.1:{serverPort} (HERALD_API_KEY={apiKey})\nsimulator http://127.0.0.1:{simPort}\n", cancellationToken);
        var stack = new Stack(options, herald, runDir, time, simulator, sim, serverArgs, env, client, pgBase, pgDatabase);
        try
        {
            await stack.StartServerAsync(cancellationToken);
            await client.CreateProviderAsync(stack.Provider(), cancellationToken);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        Server = ChildProcess.Start("server", _herald, _serverArgs, _serverEnv, Path.Combine(RunDir, "serve.log"));
        await Herald.WaitReadyAsync(Server, TimeSpan.FromSeconds(90), _time, cancellationToken);
    }

    /// <summary>kill -9 the server and start it again on the same data folder and port.</summary>
    public async Task RestartServerAsync(CancellationToken cancellationToken)
    {
        SampleRss();
        _killedServerTicks += Server.CpuTicks();
        Server.Dispose();
        // Until the new process is up, Server is the old (dead) one: its /proc reads return 0, which the peak ignores.
        Restarts++;
        await StartServerAsync(cancellationToken);
    }

    /// <summary>CPU ticks used by every server process of this run so far.</summary>
    public long ServerCpuTicks => _killedServerTicks + Server.CpuTicks();

    /// <summary>Updates the peak from VmHWM (the process's own high-water mark) of the current server process.</summary>
    public void SampleRss()
    {
        var server = Server;
        var rss = Math.Max(server.PeakRssBytes(), server.RssBytes());
        long seen;
        do
        {
            seen = Interlocked.Read(ref _peakRss);
        }
        while (rss > seen && Interlocked.CompareExchange(ref _peakRss, rss, seen) != seen);
    }

    public long PeakRssBytes
    {
        get
        {
            SampleRss();
            return Interlocked.Read(ref _peakRss);
        }
    }

    /// <summary>The provider for the mode: the seed's generic form through the connector face, or native Kaleyra.</summary>
    private object Provider()
    {
        var sim = Sim.BaseUrl.ToString().TrimEnd('/');
        if (_options.Mode == BenchMode.Batch)
        {
            return new
            {
                nickname = ProviderNickname,
                kind = "kaleyra",
                settings = new { apiKey = SimApiKey, sid = SimSid, host = sim, allowCustomHost = true, sender = "KLRHXA" },
            };
        }
        return new
        {
            nickname = ProviderNickname,
            kind = "generic",
            settings = new
            {
                requestType = "POST",
                endpoint = $"{sim}/connector/sms",
                authentication = new { type = "none" },
                headers = new[]
                {
                    new { key = "api-key", value = SimApiKey },
                    new { key = "sid", value = SimSid },
                    new { key = "kaleyra-host", value = "api.in.kaleyra.io" },
                    new { key = "callback_url", value = "$$CallbackURL" },
                },
                bodyType = "form",
                parameters = new[]
                {
                    new { key = "to", value = "$$To" },
                    new { key = "sender", value = "$$Sender" },
                    new { key = "body", value = "$$Body" },
                    new { key = "template_id", value = "$$TemplateID" },
                    new { key = "message_id", value = "$$MessageID" },
                    new { key = "campaign_id", value = "$$CampaignID" },
                    new { key = "type", value = "$$TYPE" },
                    new { key = "long_url", value = "$$LongURL" },
                },
            },
        };
    }

    public async ValueTask DisposeAsync()
    {
        Server?.Dispose();
        Simulator.Dispose();
        if (_pgBase is not null && _pgDatabase is not null)
        {
            try
            {
                await Postgres.DropDatabaseAsync(_pgBase, _pgDatabase, CancellationToken.None);
            }
            catch (NpgsqlException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]could not drop {_pgDatabase}: {ex.Message}[/]");
            }
        }
        if (!_options.Keep)
        {
            try
            {
                Directory.Delete(Path.Combine(RunDir, "data"), recursive: true);
            }
            catch (IOException)
            {
                // already gone or busy; it is under /tmp
            }
        }
    }
}

/// <summary>The private PostgreSQL of scripts/postgres.sh, one fresh database per run.</summary>
internal static class Postgres
{
    /// <summary>Starts the server (no-op when running) and returns its connection string (scripts/postgres.sh url).</summary>
    public static async Task<string> BaseConnectionStringAsync(CancellationToken cancellationToken)
    {
        var root = HeraldBinary.RepoRoot();
        var script = Path.Combine(root, "scripts", "postgres.sh");
        var (code, output) = await HeraldBinary.RunToEndAsync(script, ["start"], root, TimeSpan.FromMinutes(10), cancellationToken);
        if (code != 0)
        {
            throw new BenchException($"scripts/postgres.sh start failed (exit {code}):\n{output}");
        }
        (code, output) = await HeraldBinary.RunToEndAsync(script, ["url"], root, TimeSpan.FromSeconds(30), cancellationToken);
        if (code != 0 || output.Length == 0)
        {
            throw new BenchException($"scripts/postgres.sh url failed (exit {code}):\n{output}");
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
    }

    public static async Task<string> CreateDatabaseAsync(string baseConnectionString, string name, CancellationToken cancellationToken)
    {
        await using (var connection = new NpgsqlConnection(baseConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            // scripts/postgres.sh's throw-away cluster turns synchronous_commit off (and fsync): Herald's commits are measured
            // waiting for their WAL as on a real server (the flush itself stays the cluster's no-op).
            await using var durable = new NpgsqlCommand($"ALTER DATABASE \"{name}\" SET synchronous_commit = on", connection);
            await durable.ExecuteNonQueryAsync(cancellationToken);
        }
        return new NpgsqlConnectionStringBuilder(baseConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string baseConnectionString, string name, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(baseConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
