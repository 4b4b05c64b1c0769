using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Herald.Bench;

/// <summary>
/// Kannel's figures from the JSON lines <c>../shared/bench/kannel/run-kannel-bench.sh</c> writes (one object per run:
/// <c>profile, scenario, complete, accepted, n, e2e_rate, dlr_rate, cpu_pct{bearerbox, smsbox}, cpu_window_s</c>), medians
/// over its complete runs with a DLR pushed per message (<c>dlr:C</c>), preferring the <c>default</c> profile.
/// </summary>
internal sealed record KannelFigures(string Source, string Profile, string Scenario, int Runs, double AllDlrsAtAppPerSecond, double AtProviderPerSecond,
    double CpuMsPerMessage)
{
    public static KannelFigures Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new BenchException($"--kannel {path}: no such file (run-kannel-bench.sh writes results/<time>.jsonl).");
        }
        var rows = new List<JsonElement>();
        foreach (var line in File.ReadLines(path).Where(l => l.Trim().Length > 0))
        {
            try
            {
                rows.Add(JsonDocument.Parse(line).RootElement);
            }
            catch (JsonException ex)
            {
                throw new BenchException($"--kannel {path}: a line is not JSON ({ex.Message}).");
            }
        }
        static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        static double? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        var complete = rows.Where(r => Text(r, "scenario").StartsWith("dlr:", StringComparison.Ordinal)
            && r.TryGetProperty("complete", out var c) && c.ValueKind == JsonValueKind.True
            && Number(r, "accepted") is { } accepted && accepted == Number(r, "n")).ToList();
        if (complete.Count == 0)
        {
            throw new BenchException($"--kannel {path}: no complete run with a DLR per message (scenario dlr:C); run SCENARIOS=\"dlr:64\" run-kannel-bench.sh.");
        }
        var profile = complete.Any(r => Text(r, "profile") == "default") ? "default" : Text(complete[0], "profile");
        var picked = complete.Where(r => Text(r, "profile") == profile).ToList();
        var scenario = picked.GroupBy(r => Text(r, "scenario")).OrderByDescending(g => g.Count()).First().Key;
        picked = [.. picked.Where(r => Text(r, "scenario") == scenario)];
        double CpuMs(JsonElement r)
        {
            var cpu = r.GetProperty("cpu_pct");
            return (Number(cpu, "bearerbox") ?? 0) + (Number(cpu, "smsbox") ?? 0) is var pct && Number(r, "cpu_window_s") is { } window && Number(r, "n") is { } n && n > 0
                ? pct / 100 * window / n * 1000 : double.NaN;
        }
        return new KannelFigures(path, profile, scenario, picked.Count,
            Report.Median(picked.Select(r => Number(r, "dlr_rate"))) ?? double.NaN,
            Report.Median(picked.Select(r => Number(r, "e2e_rate"))) ?? double.NaN,
            Report.Median(picked.Select(r => (double?)CpuMs(r)).Where(v => v is { } x && double.IsFinite(x))) ?? double.NaN);
    }

    /// <summary>The ratio rows of issue 11's targets 1 and 2 for these Herald runs.</summary>
    public string Markdown(BenchOptions options, IReadOnlyList<RunResult> runs)
    {
        var endToEnd = Report.Median(runs.Select(r => r.EndToEndPerSecond));
        var cpu = Report.Median(runs.Select(r => r.ServerCpuMsPerMessage));
        var single = options.Mode == BenchMode.Single;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"### Against Kannel ({Path.GetFileName(Source)}: profile {Profile}, {Scenario}, median of {Runs} runs; Herald: {options.ModeName}, {options.Database}, median of {runs.Count})").AppendLine();
        text.AppendLine("| | Kannel | Herald | Herald ÷ Kannel | target |").AppendLine("|---|---:|---:|---:|---|");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| every message final vs all DLRs at app (msg/s) | {AllDlrsAtAppPerSecond:N0} | {F(endToEnd, "N0")} | {Ratio(endToEnd, AllDlrsAtAppPerSecond)} | {(single ? "≥ 2× (issue 11, target 1)" : "target 1 is single mode")} |");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| server CPU per message (ms) | {CpuMsPerMessage:N2} | {F(cpu, "N2")} | {Ratio(cpu, CpuMsPerMessage)} | {(single ? "≤ 0.4× (issue 11, target 2)" : "target 2 is single mode")} |");
        return text.ToString();
    }

    private static string F(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Ratio(double? herald, double kannel) =>
        herald is { } h && kannel > 0 && double.IsFinite(kannel) ? (h / kannel).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";
}
