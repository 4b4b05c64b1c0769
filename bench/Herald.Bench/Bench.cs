using System.Globalization;
using Spectre.Console;

namespace Herald.Bench;

/// <summary>Runs the benchmark: N runs on fresh processes and data, then the report.</summary>
internal static class Bench
{
    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var herald = await HeraldBinary.ResolveAsync(options, cancellationToken);
        var root = Path.Combine(Path.GetTempPath(), "herald-bench", time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        AnsiConsole.MarkupLineInterpolated($"[grey]herald: {herald}; logs under {root}[/]");
        if (options.SimulatorOnly)
        {
            return await SimulatorOnly.RunAsync(options, herald, Path.Combine(root, "simulator-only"), time, cancellationToken);
        }
        // Read first: a wrong path should fail now, not after the runs.
        var kannel = options.KannelPath is { } kannelPath ? KannelFigures.Read(kannelPath) : null;
        var pgBase = options.Database == "postgres" ? await Postgres.BaseConnectionStringAsync(cancellationToken) : null;
        if (options.Redirects > 0)
        {
            return await Redirects.RunAsync(options, herald, Path.Combine(root, "redirects"), pgBase, time, cancellationToken);
        }
        var results = new List<RunResult>();
        for (var run = 1; run <= options.Runs; run++)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]Run {run}/{options.Runs}:[/] {options.Messages:N0} messages, {options.Database}, {options.ModeName}");
            var result = await RunOnceAsync(options, herald, Path.Combine(root, $"run-{run}"), pgBase, time, cancellationToken);
            results.Add(result);
            AnsiConsole.MarkupLineInterpolated(
                $"[bold]Run {run}:[/] end to end {result.EndToEndPerSecond:N0} msg/s in {result.EndToEndSeconds:N1} s, accept {result.AcceptPerSecond:N0}/s, provider {result.DispatchPerSecond:N0}/s, OTP p99 {result.OtpP99Ms:N0} ms, peak RSS {result.PeakRssMb:N0} MB, lost {result.Lost}, duplicates {result.Duplicates}{(result.Passed ? "" : " [red]FAILED[/]")}");
        }
        Console.WriteLine();
        Console.WriteLine(Report.Markdown(options, results));
        if (kannel is not null)
        {
            Console.WriteLine(kannel.Markdown(options, results));
        }
        if (options.JsonPath is { } path)
        {
            await Report.WriteJsonAsync(path, options, results, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"[grey]wrote {Path.GetFullPath(path)}[/]");
        }
        return results.All(r => r.Passed) ? 0 : 3;
    }

    private static async Task<RunResult> RunOnceAsync(BenchOptions options, string herald, string runDir, string? pgBase, TimeProvider time,
        CancellationToken cancellationToken)
    {
        await using var stack = await Stack.StartAsync(options, herald, runDir, pgBase, time, cancellationToken);
        var monitor = new Monitor(stack, options, time);
        var load = new Load(stack, options, monitor, time);
        var otp = new OtpProbe(stack, options, load, monitor, time);
        var chaos = options.KillEvery is null ? null : new Chaos(stack, options, load, monitor, time);

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        run.CancelAfter(options.Timeout + (options.Duration ?? TimeSpan.Zero));
        using var stopSide = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
        if (options.Warmup > 0)
        {
            var warmedUpTo = await Load.WarmUpAsync(stack, options, time, run.Token);
            chaos?.StartAfter(warmedUpTo);
        }
        var cpuStart = CpuSnapshot.Take(stack);
        monitor.Start(time.GetTimestamp());
        var monitorTask = monitor.RunAsync(run.Token);
        // A harness bug in the monitor must end the run at once, not after the timeout.
        _ = monitorTask.ContinueWith(_ => run.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        var trackTask = chaos?.TrackAsync(stopSide.Token) ?? Task.CompletedTask;
        var loadTask = load.RunAsync(run.Token);
        var otpTask = otp.RunAsync(Path.GetFileName(runDir) + "-" + time.GetTimestamp().ToString(CultureInfo.InvariantCulture), run.Token);
        var killTask = Task.CompletedTask;
        var timedOut = false;
        try
        {
            await loadTask;
            if (chaos is not null)
            {
                killTask = chaos.KillAsync(stopSide.Token, run.Token);
            }
            await otpTask;
            monitor.SubmissionDone();
            await monitorTask;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
            AnsiConsole.MarkupLineInterpolated($"[red]the run did not finish within {options.Timeout}[/]");
        }
        finally
        {
            if (!run.IsCancellationRequested && (loadTask.IsFaulted || otpTask.IsFaulted || monitorTask.IsFaulted))
            {
                run.Cancel();
            }
            stopSide.Cancel();
            await Task.WhenAll(loadTask, otpTask, monitorTask, killTask, trackTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (monitorTask.IsFaulted)
        {
            throw monitorTask.Exception.InnerException!;
        }
        var cpu = CpuSnapshot.Take(stack).Since(cpuStart);
        var result = await AccountAsync(options, stack, monitor, load, otp, chaos, timedOut, time, cancellationToken);
        var databaseBytes = await stack.DatabaseBytesAsync(cancellationToken);
        return result with
        {
            DatabaseBytes = databaseBytes,
            DiskBytesPerMessage = databaseBytes is { } bytes && result.Final > 0 ? Math.Round((double)bytes / (result.Final + options.Warmup)) : null,
            CpuServerPct = cpu.Server, CpuSimulatorPct = cpu.Simulator, CpuHarnessPct = cpu.Harness, CpuOtherPct = cpu.Other,
            ServerCpuSeconds = Math.Round(cpu.ServerSeconds, 2), SimulatorCpuSeconds = Math.Round(cpu.SimulatorSeconds, 2),
            ServerCpuMsPerMessage = result.Final > 0 ? Math.Round(1000 * cpu.ServerSeconds / result.Final, 3) : null,
            LoadAverageAtStart = cpuStart.LoadAverage,
        };
    }

    /// <summary>Counts where every submitted message ended, and what the simulator saw.</summary>
    private static async Task<RunResult> AccountAsync(BenchOptions options, Stack stack, Monitor monitor, Load load, OtpProbe otp, Chaos? chaos,
        bool timedOut, TimeProvider time, CancellationToken cancellationToken)
    {
        var peakRss = stack.PeakRssBytes;
        if (stack.Server.HasExited)
        {
            throw new BenchException($"herald serve died during the run; log {stack.Server.LogPath}:\n{stack.Server.Tail()}");
        }
        await stack.Herald.WaitReadyAsync(stack.Server, TimeSpan.FromSeconds(60), time, cancellationToken);
        if (chaos is not null)
        {
            await chaos.ReadLogAsync(cancellationToken);
        }
        var stats = await stack.Sim.StatsAsync(cancellationToken);
        var submitted = new HashSet<string>(load.Ids.Values.Concat(otp.Ids), StringComparer.Ordinal);
        var maxPages = ((submitted.Count + options.Warmup) / 500) + 20; // the warmup's messages are in the same states
        var finalByState = new Dictionary<string, long>();
        foreach (var state in HeraldClient.FinalStates)
        {
            var count = (await stack.Herald.AllInStateAsync(state, maxPages, cancellationToken)).Count(submitted.Contains);
            if (count > 0)
            {
                finalByState[state] = count;
            }
        }
        var pendingByState = new Dictionary<string, long>();
        foreach (var state in HeraldClient.PendingStates)
        {
            var count = (await stack.Herald.AllInStateAsync(state, maxPages, cancellationToken)).Count(submitted.Contains);
            if (count > 0)
            {
                pendingByState[state] = count;
            }
        }
        var final = finalByState.Values.Sum();
        var total = submitted.Count;
        var duplicates = options.Mode == BenchMode.Single
            ? stats.ByMessageId.Duplicates
            : Math.Max(stats.ByRef.Duplicates, stats.KaleyraRecipients - total);

        var latencies = otp.LatenciesMs;
        double? Rate(double count, TimeSpan? from, TimeSpan? to) =>
            from is { } f && to is { } t && t > f ? count / (t - f).TotalSeconds : null;
        IReadOnlyDictionary<string, int>? duplicated = null;
        List<string>? unmarked = null;
        if (chaos is not null)
        {
            duplicated = chaos.Duplicates();
            unmarked = await chaos.UnmarkedAsync(duplicated.Keys, cancellationToken);
        }
        return new RunResult
        {
            Messages = load.Accepted + load.Rejected,
            Database = options.Database,
            Mode = options.ModeName,
            TimedOut = timedOut,
            Submitted = load.Accepted,
            RejectedByApi = load.Rejected,
            OtpSent = otp.Sent,
            AcceptSeconds = load.Elapsed.TotalSeconds,
            AcceptPerSecond = load.Elapsed > TimeSpan.Zero ? load.Accepted / load.Elapsed.TotalSeconds : 0,
            DispatchSeconds = monitor.AllSent?.TotalSeconds,
            DispatchPerSecond = Rate(total, TimeSpan.Zero, monitor.AllSent),
            DlrCallbacks = stats.DlrDelivered,
            DlrAckPerSecond = Rate(stats.DlrDelivered, monitor.FirstDlr, monitor.AllDlr),
            DlrApplyPerSecond = Rate(total, monitor.FirstDlr, monitor.AllFinal),
            DlrApplyLagMs = monitor.AllFinal is { } f && monitor.AllDlr is { } d ? Math.Max(0, (f - d).TotalMilliseconds) : null,
            EndToEndSeconds = monitor.AllFinal?.TotalSeconds,
            EndToEndPerSecond = Rate(total, TimeSpan.Zero, monitor.AllFinal),
            OtpMeasured = latencies.Count,
            OtpP50Ms = OtpProbe.Percentile(latencies, 50),
            OtpP95Ms = OtpProbe.Percentile(latencies, 95),
            OtpP99Ms = OtpProbe.Percentile(latencies, 99),
            OtpMaxMs = latencies.Count == 0 ? null : latencies[^1],
            PeakRssMb = peakRss / 1048576.0,
            FinalByState = finalByState,
            PendingByState = pendingByState,
            Final = final,
            Lost = total - final,
            Duplicates = duplicates,
            SimRejected = stats.Rejected,
            SimRateLimited = stats.RateLimited,
            Kills = chaos?.Kills,
            ChaosDuplicatedMessages = duplicated?.Count,
            ChaosUnmarkedDuplicates = unmarked?.Count,
            ChaosMissedRequests = chaos?.MissedRequests,
            ChaosUnmarkedSample = unmarked?.Take(10).ToList(),
        };
    }
}

/// <summary>
/// CPU used by the server, the simulator, this harness and everything else on the machine, as a share of all
/// cores over the run (100 % = every core busy the whole time).
/// </summary>
internal sealed record CpuSnapshot(long Busy, long Total, long Server, long Simulator, long Harness, string LoadAverage)
{
    public static CpuSnapshot Take(Stack stack)
    {
        var (busy, total) = Cpu.Machine();
        return new(busy, total, stack.ServerCpuTicks, stack.Simulator.CpuTicks(), Cpu.ProcessTicks(Environment.ProcessId), Cpu.LoadAverage());
    }

    /// <summary>Linux reports CPU time in USER_HZ ticks, 100 per second.</summary>
    private const double TicksPerSecond = 100;

    public CpuUse Since(CpuSnapshot start)
    {
        double total = Math.Max(1, Total - start.Total);
        double server = Server - start.Server, simulator = Simulator - start.Simulator, harness = Harness - start.Harness;
        var other = Math.Max(0, Busy - start.Busy - server - simulator - harness);
        return new(Math.Round(100 * server / total, 1), Math.Round(100 * simulator / total, 1), Math.Round(100 * harness / total, 1),
            Math.Round(100 * other / total, 1), server / TicksPerSecond, simulator / TicksPerSecond);
    }
}

/// <summary>Shares of all cores (percent) and the CPU seconds of the server and the simulator.</summary>
internal sealed record CpuUse(double Server, double Simulator, double Harness, double Other, double ServerSeconds, double SimulatorSeconds);
