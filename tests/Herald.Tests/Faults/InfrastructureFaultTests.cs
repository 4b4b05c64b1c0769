using System.Diagnostics;
using Herald.Simulator;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Faults;

/// <summary>
/// Issue 14 §3: the database going away under the real <c>herald</c> process: a private PostgreSQL restarted mid-run
/// (not the shared test server), and SQLite's disk filling up (a size-limited tmpfs; needs root to mount).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InfrastructureFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SimulatorOptions Simulator() => new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = "kaleyra-api-key-secret",
        Sid = "HXIN1234567890",
        DlrDelay = TimeSpan.FromMilliseconds(100),
        DeliveryRate = 1.0,
        DlrRetryCount = 12,
        DlrRetryBaseDelay = TimeSpan.FromMilliseconds(200),
        RequestLogCapacity = 100_000,
        Seed = 14,
    };

    [Fact]
    public async Task PostgresRestartedMidRun_EveryAcknowledgedMessageIsDelivered()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var harness = new FaultHarness(Simulator(), new Dictionary<string, string>
        {
            ["Herald__Database__Provider"] = "postgres",
            ["Herald__Database__ConnectionString"] = postgres.ConnectionString,
        });
        await harness.StartSimulatorAsync();
        await harness.StartHeraldAsync();
        await harness.CreateProviderAsync();

        using var stop = new CancellationTokenSource();
        var stream = Task.Run(() => harness.StreamAsync(0, 100_000, TimeSpan.FromMilliseconds(10), stop.Token), Ct);
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(harness.Acknowledged.Count >= 100 ? true : null), "100 acknowledged sends", TimeSpan.FromSeconds(60));
        var restartedAt = Stopwatch.GetTimestamp();
        await postgres.RestartImmediateAsync(TimeSpan.FromSeconds(3)); // a crash-like stop, 3 s down, then up again
        var before = harness.Acknowledged.Count;
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(harness.Acknowledged.Count >= before + 20 ? true : null), "sends accepted again", TimeSpan.FromSeconds(30));
        var recovery = Stopwatch.GetElapsedTime(restartedAt);
        await stop.CancelAsync();
        await stream;

        var (notDelivered, _) = await harness.SettleAsync(TimeSpan.FromSeconds(45));

        FaultLog.Record("PostgreSQL restarted (immediate stop, 3 s down) mid-run",
            $"while down sends were refused, never half-accepted: {Describe(harness)}; the pool reconnected by itself",
            harness.Acknowledged.Count, notDelivered.Count, harness.DuplicateSends,
            "a send whose completion write failed with the database: resent after the lease",
            $"sends accepted again {FaultLog.Seconds(recovery)} after the restart began");
        Assert.Empty(notDelivered);
        Assert.False(harness.Refused.Keys.Any(status => status >= 500 && status != 503), $"answers other than 503 while the database was down: {Describe(harness)}");
    }

    [Fact]
    public async Task SqliteDiskFull_ClearErrorNoCorruptionAndRecoveryWhenSpaceReturns()
    {
        var mount = Directory.CreateTempSubdirectory("herald-diskfull-").FullName;
        if (await RunAsync("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mount) != 0)
        {
            Assert.Skip("mounting a size-limited tmpfs needs root (mount -t tmpfs): not permitted here.");
        }
        try
        {
            await using var harness = new FaultHarness(Simulator(), dataDir: Path.Combine(mount, "data"));
            await harness.StartSimulatorAsync();
            await harness.StartHeraldAsync();
            await harness.CreateProviderAsync();
            for (var n = 0; n < 20; n++)
            {
                Assert.True(await harness.SendOneAsync(n));
            }
            Assert.Empty((await harness.SettleAsync(TimeSpan.FromSeconds(30))).NotDelivered);

            // Fill the disk to the last byte.
            var filler = Path.Combine(mount, "filler");
            await using (var fill = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var block = new byte[1 << 16];
                try
                {
                    while (true)
                    {
                        await fill.WriteAsync(block, Ct);
                        await fill.FlushAsync(Ct);
                    }
                }
                catch (IOException)
                {
                    // ENOSPC: full
                }
            }
            string? problem = null;
            for (var n = 20; n < 60; n++)
            {
                await harness.SendOneAsync(n); // the disk may still take a few (free pages of the database and WAL)
            }
            var whileFull = harness.Refused.ToDictionary(r => r.Key, r => r.Value);
            using (var refused = await harness.Api.PostAsync("/api/v1/messages", new StringContent(
                $$$"""{"to":"+919800000009","body":"full","provider":"{{{harness.ProviderId}}}","dynamicFields":{"sender":"KLRHXA"}}""", System.Text.Encoding.UTF8, "application/json"), Ct))
            {
                problem = $"{(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync(Ct)}";
            }
            using (var ready = await harness.Api.GetAsync("/healthz", Ct))
            {
                Assert.True(ready.IsSuccessStatusCode, "herald died when the disk filled up");
            }

            File.Delete(filler);
            var freedAt = Stopwatch.GetTimestamp();
            await TestHttp.EventuallyAsync(async () => await harness.SendOneAsync(100) ? (object)true : null, "a send accepted after space returned", TimeSpan.FromSeconds(30));
            var recovery = Stopwatch.GetElapsedTime(freedAt);
            for (var n = 101; n < 120; n++)
            {
                Assert.True(await harness.SendOneAsync(n));
            }
            var (notDelivered, _) = await harness.SettleAsync(TimeSpan.FromSeconds(45));
            var acknowledged = harness.Acknowledged.Keys.ToList();
            await harness.KillAsync();

            var (integrity, stored) = await CheckDatabaseAsync(Path.Combine(mount, "data", "herald.db"), acknowledged);
            FaultLog.Record("SQLite disk full (12 MiB tmpfs filled to the last byte)",
                $"sends refused while full ({string.Join(", ", whileFull.Select(s => $"{s.Value}×{s.Key}"))}), e.g. {problem![..Math.Min(200, problem.Length)]}; herald stayed up; integrity_check after kill -9: {integrity}",
                acknowledged.Count, notDelivered.Count + (acknowledged.Count - stored), harness.DuplicateSends, "",
                $"sends accepted {FaultLog.Seconds(recovery)} after space returned");
            Assert.Equal("ok", integrity);
            Assert.Equal(acknowledged.Count, stored);
            Assert.Empty(notDelivered);
            Assert.DoesNotContain(whileFull.Keys, status => status >= 500 && status != 503 && status != 507);
        }
        finally
        {
            await RunAsync("umount", "-l", mount);
        }
    }

    private static string Describe(FaultHarness harness) =>
        harness.Refused.IsEmpty ? "none refused" : string.Join(", ", harness.Refused.Select(r => $"{r.Value}×{(r.Key == 0 ? "no connection" : r.Key)}"));

    private static async Task<(string Integrity, int Stored)> CheckDatabaseAsync(string path, IReadOnlyList<string> acknowledged)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        var integrity = (string)(await check.ExecuteScalarAsync(Ct))!;
        var stored = 0;
        foreach (var id in acknowledged)
        {
            await using var find = connection.CreateCommand();
            find.CommandText = "SELECT COUNT(*) FROM messages WHERE id = $id";
            find.Parameters.AddWithValue("$id", id);
            stored += Convert.ToInt32(await find.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
        }
        return (integrity, stored);
    }

    internal static async Task<int> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var error = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            await Task.WhenAll(output, error);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    /// <summary>A PostgreSQL of its own (same binaries as scripts/postgres.sh, a temporary data folder and port), so restarting it disturbs nobody.</summary>
    private sealed class PrivatePostgres : IAsyncDisposable
    {
        private readonly string _bin;
        private readonly string _dir;
        private readonly int _port;

        private PrivatePostgres(string bin, string dir, int port)
        {
            _bin = bin;
            _dir = dir;
            _port = port;
        }

        public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Pooling=true;Timeout=5;Command Timeout=10";

        public static async Task<PrivatePostgres> StartAsync()
        {
            var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
                ?? throw new InvalidOperationException("No PostgreSQL binaries under /usr/lib/postgresql (scripts/postgres.sh installs them).");
            var dir = Directory.CreateTempSubdirectory("herald-pg-fault-").FullName;
            Assert.Equal(0, await RunAsync("chown", "postgres", dir));
            var postgres = new PrivatePostgres(bin, dir, HeraldProcess.FreePort());
            Assert.Equal(0, await postgres.AsOwnerAsync("initdb", "-D", Path.Combine(dir, "data"), "-U", "postgres", "-E", "UTF8", "--auth=trust"));
            Assert.Equal(0, await postgres.CtlAsync("start"));
            return postgres;
        }

        private Task<int> AsOwnerAsync(string tool, params string[] arguments) =>
            RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments]);

        private Task<int> CtlAsync(string action, params string[] extra) => AsOwnerAsync("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"),
            "-o", $"-p {_port} -k {_dir} -c listen_addresses=127.0.0.1", "-w", "-t", "60", .. extra, action]);

        /// <summary>Stops the server as a crash would (no checkpoint, connections cut), waits, starts it again.</summary>
        public async Task RestartImmediateAsync(TimeSpan down)
        {
            Assert.Equal(0, await CtlAsync("stop", "-m", "immediate"));
            await Task.Delay(down, Ct);
            Assert.Equal(0, await CtlAsync("start"));
        }

        public async ValueTask DisposeAsync()
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await CtlAsync("stop", "-m", "immediate");
            Directory.Delete(_dir, recursive: true);
        }
    }
}
