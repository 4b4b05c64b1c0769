using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Bench;

/// <summary>What one run measured. Times are from the first batch POST.</summary>
internal sealed record RunResult
{
    public int Messages { get; init; }
    public string Database { get; init; } = "";
    public string Mode { get; init; } = "";
    public bool TimedOut { get; init; }

    /// <summary>Campaign messages accepted by the API, and OTPs sent.</summary>
    public int Submitted { get; init; }
    public int RejectedByApi { get; init; }
    public int OtpSent { get; init; }

    public double AcceptSeconds { get; init; }
    public double AcceptPerSecond { get; init; }

    /// <summary>Until the simulator had accepted every message (campaign and OTPs).</summary>
    public double? DispatchSeconds { get; init; }
    public double? DispatchPerSecond { get; init; }

    /// <summary>DLR callbacks Herald acknowledged (2xx), per second, from the first to the last.</summary>
    public long DlrCallbacks { get; init; }
    public double? DlrAckPerSecond { get; init; }

    /// <summary>Messages made final per second from the first DLR acknowledged to the last message final.</summary>
    public double? DlrApplyPerSecond { get; init; }

    /// <summary>From the last DLR acknowledged to the last message final.</summary>
    public double? DlrApplyLagMs { get; init; }

    public double? EndToEndSeconds { get; init; }
    public double? EndToEndPerSecond { get; init; }

    public int OtpMeasured { get; init; }
    public double? OtpP50Ms { get; init; }
    public double? OtpP95Ms { get; init; }
    public double? OtpP99Ms { get; init; }
    public double? OtpMaxMs { get; init; }

    public double PeakRssMb { get; init; }

    /// <summary>The database on disk at the end of the run (SQLite: file + WAL; PostgreSQL: pg_database_size).</summary>
    public long? DatabaseBytes { get; init; }

    /// <summary><see cref="DatabaseBytes"/> ÷ final messages.</summary>
    public double? DiskBytesPerMessage { get; init; }

    public Dictionary<string, long> FinalByState { get; init; } = [];
    public Dictionary<string, long> PendingByState { get; init; } = [];
    public long Final { get; init; }
    public long Lost { get; init; }

    /// <summary>Sends the simulator accepted for a message it had already accepted.</summary>
    public long Duplicates { get; init; }
    public long SimRejected { get; init; }
    public long SimRateLimited { get; init; }

    /// <summary>Share of all cores over the run (100 = every core busy) used by each process and by everything else.</summary>
    public double CpuServerPct { get; init; }
    public double CpuSimulatorPct { get; init; }
    public double CpuHarnessPct { get; init; }
    public double CpuOtherPct { get; init; }
    public string? LoadAverageAtStart { get; init; }
    public double ServerCpuSeconds { get; init; }
    public double SimulatorCpuSeconds { get; init; }

    /// <summary>Server CPU time per final message: what the run cost Herald, whatever else ran on the machine.</summary>
    public double? ServerCpuMsPerMessage { get; init; }

    public int? Kills { get; init; }
    public long? ChaosDuplicatedMessages { get; init; }
    public long? ChaosUnmarkedDuplicates { get; init; }
    public long? ChaosMissedRequests { get; init; }
    public List<string>? ChaosUnmarkedSample { get; init; }

    public bool Passed => !TimedOut && Lost == 0 && (Kills is null ? Duplicates == 0 : ChaosUnmarkedDuplicates == 0 && ChaosMissedRequests == 0);
}

/// <summary>The Markdown table (a column per run and the median) and the JSON file.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Markdown(BenchOptions options, IReadOnlyList<RunResult> runs)
    {
        var rows = new List<(string Name, Func<RunResult, double?> Value, string Format)>
        {
            ("accepted by the API (msg/s)", r => r.AcceptPerSecond, "N0"),
            ("at the provider (msg/s)", r => r.DispatchPerSecond, "N0"),
            ("DLR callbacks acknowledged (/s)", r => r.DlrAckPerSecond, "N0"),
            ("DLRs applied, first DLR → all final (msg/s)", r => r.DlrApplyPerSecond, "N0"),
            ("last DLR acked → all final (ms)", r => r.DlrApplyLagMs, "N0"),
            ("end to end, all final (msg/s)", r => r.EndToEndPerSecond, "N0"),
            ("end to end (s)", r => r.EndToEndSeconds, "N1"),
            ("OTP p50 (ms)", r => r.OtpP50Ms, "N0"),
            ("OTP p95 (ms)", r => r.OtpP95Ms, "N0"),
            ("OTP p99 (ms)", r => r.OtpP99Ms, "N0"),
            ("OTPs measured", r => r.OtpMeasured, "N0"),
            ("peak server RSS (MB)", r => r.PeakRssMb, "N0"),
            ("submitted (campaign + OTP)", r => r.Submitted + r.OtpSent, "N0"),
            ("final", r => r.Final, "N0"),
            ("  delivered", r => r.FinalByState.GetValueOrDefault("delivered"), "N0"),
            ("  failed / undelivered / expired / rejected", r => r.Final - r.FinalByState.GetValueOrDefault("delivered"), "N0"),
            ("lost (submitted − final)", r => r.Lost, "N0"),
            ("duplicates seen by the simulator", r => r.Duplicates, "N0"),
            ("rejected by the API / the simulator", r => r.RejectedByApi + r.SimRejected, "N0"),
            ("CPU: herald serve (% of all cores)", r => r.CpuServerPct, "N0"),
            ("CPU: herald simulate (%)", r => r.CpuSimulatorPct, "N0"),
            ("CPU: harness (%)", r => r.CpuHarnessPct, "N0"),
            ("CPU: other processes on the machine (%)", r => r.CpuOtherPct, "N0"),
            ("herald serve CPU per message (ms)", r => r.ServerCpuMsPerMessage, "N2"),
            ("database on disk (MB)", r => r.DatabaseBytes / 1048576.0, "N1"),
            ("disk bytes per message (database + WAL ÷ messages)", r => r.DiskBytesPerMessage, "N0"),
        };
        if (runs.Any(r => r.Kills is not null))
        {
            rows.Add(("kills (kill -9 + restart)", r => r.Kills, "N0"));
            rows.Add(("messages sent twice", r => r.ChaosDuplicatedMessages, "N0"));
            rows.Add(("… not marked resent-after-crash", r => r.ChaosUnmarkedDuplicates, "N0"));
            rows.Add(("sends missed in the simulator's log", r => r.ChaosMissedRequests, "N0"));
        }
        var text = new StringBuilder();
        var title = $"{options.Messages:N0} messages, {options.Database}, {options.ModeName}"
            + (options.ProviderRate > 0 ? $", provider rate {options.ProviderRate}/s" : "")
            + (options.ProviderLatency > TimeSpan.Zero ? $", provider latency {options.ProviderLatency.TotalMilliseconds:N0} ms" : "")
            + (options.Duration is { } d ? $", soak {d}" : "") + (options.KillEvery is { } k ? $", kill -9 every {k.TotalSeconds:N0} s" : "");
        text.AppendLine(CultureInfo.InvariantCulture, $"### {title}").AppendLine();
        text.Append("| metric |");
        for (var i = 0; i < runs.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $" run {i + 1} |");
        }
        text.AppendLine(runs.Count > 1 ? " **median** |" : "");
        text.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", runs.Count + (runs.Count > 1 ? 1 : 0)))).AppendLine();
        foreach (var (name, value, format) in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {name} |");
            foreach (var run in runs)
            {
                text.Append(CultureInfo.InvariantCulture, $" {Format(value(run), format)} |");
            }
            if (runs.Count > 1)
            {
                text.Append(CultureInfo.InvariantCulture, $" **{Format(Median(runs.Select(value)), format)}** |");
            }
            text.AppendLine();
        }
        foreach (var (run, i) in runs.Select((r, i) => (r, i + 1)))
        {
            if (run.TimedOut)
            {
                text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                    $"Run {i} timed out; still pending: {string.Join(", ", run.PendingByState.Select(p => $"{p.Key} {p.Value}"))}.");
            }
            if (run.ChaosUnmarkedSample is { Count: > 0 } sample)
            {
                text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Run {i}: sent twice without resent-after-crash: {string.Join(", ", sample)}.");
            }
        }
        return text.ToString();
    }

    public static async Task WriteJsonAsync(string path, BenchOptions options, IReadOnlyList<RunResult> runs, CancellationToken cancellationToken)
    {
        var document = new Dictionary<string, object?>
        {
            ["messages"] = options.Messages,
            ["database"] = options.Database,
            ["mode"] = options.ModeName,
            ["runs"] = runs.Count,
            ["acceptPerSecond"] = Median(runs.Select(r => (double?)r.AcceptPerSecond)),
            ["dispatchPerSecond"] = Median(runs.Select(r => r.DispatchPerSecond)),
            ["dlrAckPerSecond"] = Median(runs.Select(r => r.DlrAckPerSecond)),
            ["dlrApplyPerSecond"] = Median(runs.Select(r => r.DlrApplyPerSecond)),
            ["endToEndPerSecond"] = Median(runs.Select(r => r.EndToEndPerSecond)),
            ["endToEndSeconds"] = Median(runs.Select(r => r.EndToEndSeconds)),
            ["otpP50Ms"] = Median(runs.Select(r => r.OtpP50Ms)),
            ["otpP95Ms"] = Median(runs.Select(r => r.OtpP95Ms)),
            ["otpP99Ms"] = Median(runs.Select(r => r.OtpP99Ms)),
            ["peakRssMb"] = Median(runs.Select(r => (double?)r.PeakRssMb)),
            ["serverCpuMsPerMessage"] = Median(runs.Select(r => r.ServerCpuMsPerMessage)),
            ["diskBytesPerMessage"] = Median(runs.Select(r => r.DiskBytesPerMessage)),
            ["cpuOtherPct"] = Median(runs.Select(r => (double?)r.CpuOtherPct)),
            ["lost"] = runs.Sum(r => r.Lost),
            ["duplicates"] = runs.Sum(r => r.Duplicates),
            ["passed"] = runs.All(r => r.Passed),
            ["runResults"] = runs,
        };
        if (options.Duration is { } duration)
        {
            document["soakSeconds"] = duration.TotalSeconds;
        }
        if (options.KillEvery is { } every)
        {
            document["killEverySeconds"] = every.TotalSeconds;
        }
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, JsonSerializer.Serialize(document, Json), cancellationToken);
    }

    public static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v is not null).Select(v => v!.Value).Order().ToList();
        if (sorted.Count == 0)
        {
            return null;
        }
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Format(double? value, string format) => value is null ? "–" : value.Value.ToString(format, CultureInfo.InvariantCulture);
}
