using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Herald.Bench;
using Spectre.Console;

var messages = new Option<int>("--messages") { Description = "Messages to submit per run (soak: per submission round).", DefaultValueFactory = _ => 100_000 };
var database = new Option<string>("--database") { Description = "sqlite or postgres (scripts/postgres.sh; a fresh database per run).", DefaultValueFactory = _ => "sqlite" };
database.AcceptOnlyFromAmong("sqlite", "postgres");
var mode = new Option<string>("--mode") { Description = "single: generic seed provider, connector face, one request + one DLR per message. batch: kaleyra provider, 100 recipients per request.", DefaultValueFactory = _ => "single" };
mode.AcceptOnlyFromAmong("single", "batch");
var providerRate = new Option<int>("--provider-rate") { Description = "Simulator rate limit in send requests/s (herald simulate --rate-limit); 0 = unlimited.", DefaultValueFactory = _ => 0 };
var providerLatency = new Option<TimeSpan>("--provider-latency") { Description = "Simulator delay before answering each send (herald simulate --latency), e.g. 20ms.", DefaultValueFactory = _ => TimeSpan.Zero, CustomParser = r => ParseLatency(r) };
var json = new Option<string?>("--json") { Description = "Write the results (medians and every run) to this JSON file." };
var kannel = new Option<string?>("--kannel") { Description = "Kannel's results (../shared/bench/kannel/run-kannel-bench.sh results/<time>.jsonl): print Herald ÷ Kannel for targets 1 and 2." };
var million = new Option<bool>("--million") { Description = "The 1,000,000-message run (issue 11 targets 4, 5, 8): --messages 1000000 and, unless given, --timeout 60m." };
var runs = new Option<int>("--runs") { Description = "Repeat the run N times and report medians.", DefaultValueFactory = _ => 1 };
var otp = new Option<int>("--otp") { Description = "OTPs sent one at a time while the campaign dispatches (latency p50/p95/p99).", DefaultValueFactory = _ => 200 };
var duration = new Option<TimeSpan?>("--duration") { Description = "Soak: keep submitting for this long (e.g. 10m), then drain.", CustomParser = ParseDuration };
var killEvery = new Option<TimeSpan?>("--kill-every") { Description = "Chaos: kill -9 and restart the server at this interval (e.g. 20s), then check 0 lost and that duplicates are marked resent-after-crash.", CustomParser = ParseDuration };
var simulatorOnly = new Option<bool>("--simulator-only") { Description = "Measure the simulator alone (both faces, DLRs to a local sink)." };
var redirects = new Option<int>("--redirects") { Description = "Measure the short-link redirect alone: N requests to GET /l/{code} over 1,000 links (0: off).", DefaultValueFactory = _ => 0 };
var linkConcurrency = new Option<int>("--link-concurrency") { Description = "Concurrent connections of --redirects.", DefaultValueFactory = _ => 64 };
var warmup = new Option<int>("--warmup") { Description = "Messages sent through the same processes before the measured window, then the simulator's counters reset (Kannel's harness: WARMUP 2,000).", DefaultValueFactory = _ => 2_000 };
var chunk = new Option<int>("--chunk") { Description = "Messages per POST /api/v1/messages/batch.", DefaultValueFactory = _ => 5_000 };
var submitters = new Option<int>("--submitters") { Description = "Concurrent batch submitters.", DefaultValueFactory = _ => 4 };
var dlrDelay = new Option<TimeSpan>("--dlr-delay") { Description = "Simulator DLR delay (jittered ±50%).", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(50), CustomParser = r => ParseDuration(r) ?? TimeSpan.Zero };
var deliveryRate = new Option<double>("--delivery-rate") { Description = "Simulator share of messages reported delivered.", DefaultValueFactory = _ => 1.0 };
var timeout = new Option<TimeSpan>("--timeout") { Description = "Upper bound for one run.", DefaultValueFactory = _ => TimeSpan.FromMinutes(30), CustomParser = r => ParseDuration(r) ?? TimeSpan.Zero };
var herald = new Option<string?>("--herald") { Description = "Path of the herald binary to use (default: dotnet build -c Release src/Herald, then its output)." };
var noBuild = new Option<bool>("--no-build") { Description = "Use src/Herald/bin/Release/net10.0/herald as it is." };
var serverEnv = new Option<string[]>("--server-env") { Description = "NAME=VALUE for herald serve, repeatable (e.g. Herald__Dispatch__ClaimBatchSize=1000).", AllowMultipleArgumentsPerToken = false };
var keep = new Option<bool>("--keep") { Description = "Keep data folders and logs." };
var soakBacklog = new Option<int>("--soak-backlog") { Description = "Soak: most messages submitted but not yet at the provider.", DefaultValueFactory = _ => 20_000 };

var root = new RootCommand("Herald.Bench: end-to-end load benchmark of herald serve against herald simulate on loopback.")
{
    messages, database, mode, providerRate, providerLatency, json, kannel, million, runs, otp, duration, killEvery, simulatorOnly, chunk, submitters, dlrDelay,
    deliveryRate, timeout, herald, noBuild, serverEnv, keep, soakBacklog, redirects, linkConcurrency, warmup,
};
root.SetAction(async (parse, cancellationToken) =>
{
    var env = new List<KeyValuePair<string, string>>();
    foreach (var pair in parse.GetValue(serverEnv) ?? [])
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]--server-env '{pair}' is not NAME=VALUE.[/]");
            return 2;
        }
        env.Add(new(pair[..eq], pair[(eq + 1)..]));
    }
    var options = new BenchOptions
    {
        Messages = parse.GetValue(million) ? 1_000_000 : parse.GetValue(messages),
        Database = parse.GetValue(database)!,
        Mode = parse.GetValue(mode) == "batch" ? BenchMode.Batch : BenchMode.Single,
        ProviderRate = parse.GetValue(providerRate),
        ProviderLatency = parse.GetValue(providerLatency),
        JsonPath = parse.GetValue(json),
        KannelPath = parse.GetValue(kannel),
        Runs = parse.GetValue(runs),
        Otp = parse.GetValue(otp),
        Duration = parse.GetValue(duration),
        KillEvery = parse.GetValue(killEvery),
        SimulatorOnly = parse.GetValue(simulatorOnly),
        Redirects = parse.GetValue(redirects),
        LinkConcurrency = parse.GetValue(linkConcurrency),
        Warmup = parse.GetValue(warmup),
        Chunk = parse.GetValue(chunk),
        Submitters = parse.GetValue(submitters),
        DlrDelay = parse.GetValue(dlrDelay),
        DeliveryRate = parse.GetValue(deliveryRate),
        Timeout = parse.GetValue(million) && parse.GetResult(timeout) is null ? TimeSpan.FromMinutes(60) : parse.GetValue(timeout),
        HeraldPath = parse.GetValue(herald),
        NoBuild = parse.GetValue(noBuild),
        ServerEnv = env,
        Keep = parse.GetValue(keep),
        SoakBacklog = parse.GetValue(soakBacklog),
    };
    if (options.Messages < 1 || options.Runs < 1 || options.Runs > 50 || options.Otp < 0 || options.Warmup < 0 || options.Chunk is < 1 or > 10_000
        || options.Submitters is < 1 or > 64 || options.ProviderRate < 0 || options.Timeout <= TimeSpan.Zero)
    {
        AnsiConsole.MarkupLine("[red]Check the numbers: --messages ≥ 1, --runs 1..50, --otp ≥ 0, --warmup ≥ 0, --chunk 1..10000, --submitters 1..64, --provider-rate ≥ 0, --timeout > 0.[/]");
        return 2;
    }
    try
    {
        return await Bench.RunAsync(options, cancellationToken);
    }
    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
    {
        AnsiConsole.MarkupLine("[yellow]Cancelled; the server and simulator were stopped.[/]");
        return 130;
    }
    catch (BenchException ex)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]bench failed:[/] {ex.Message}");
        return 1;
    }
    catch (HttpRequestException ex)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]bench failed: an HTTP call failed:[/] {ex.Message}");
        return 1;
    }
    catch (Exception ex) when (ex is not OperationCanceledException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]bench failed (a harness bug):[/] {ex}");
        return 1;
    }
});

try
{
    return await root.Parse(args).InvokeAsync();
}
finally
{
    ChildProcess.KillAll();
}

// "10m", "20s", "500ms", "1h", "1.5s" or a TimeSpan ("00:10:00").
static TimeSpan? ParseDuration(ArgumentResult result)
{
    var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
    if (Durations.TryParse(text, out var value) && value > TimeSpan.Zero)
    {
        return value;
    }
    result.AddError($"'{text}' is not a duration: write e.g. 500ms, 20s, 10m, 1h or 00:10:00.");
    return null;
}

// Like ParseDuration, but 0 (no delay) is allowed.
static TimeSpan ParseLatency(ArgumentResult result)
{
    var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
    if (Durations.TryParse(text, out var value) && value >= TimeSpan.Zero && value <= TimeSpan.FromMinutes(10))
    {
        return value;
    }
    result.AddError($"'{text}' is not a latency: write e.g. 20ms, 0.5s or 0 (at most 10m).");
    return TimeSpan.Zero;
}

internal static class Durations
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        (string Suffix, double Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= 0)
            {
                value = TimeSpan.FromMilliseconds(number * ms);
                return true;
            }
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>A failure that ends the benchmark with a message (no stack trace).</summary>
internal sealed class BenchException(string message) : Exception(message);
