using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Herald.Bench;

/// <summary>
/// <c>--redirects N</c>: the short-link redirect under load. 1,000 messages with a link each go through
/// <c>POST /api/v1/messages/batch</c> (the intake makes one short link per message), then N requests to
/// <c>GET /l/{code}</c> from <c>--link-concurrency</c> connections with a phone browser's User-Agent; every answer must be
/// a 302 to the long URL. Then it waits until every click is written (the message timelines' <c>clicked</c> entries).
/// </summary>
internal static partial class Redirects
{
    private const int Links = 1_000;
    private const string UserAgent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";

    private static readonly IHttpClientFactory Clients = new ServiceCollection()
        .AddHttpClient("browser").ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            UseProxy = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        }).Services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    public static async Task<int> RunAsync(BenchOptions options, string herald, string runDir, string? pgBase, TimeProvider time, CancellationToken cancellationToken)
    {
        // One loopback address sends everything: lift the per-address limit of the public endpoints for the run.
        options = options with { ServerEnv = [.. options.ServerEnv, new("Herald__PublicEndpoints__PerClientIpPerSecond", "1000000")] };
        await using var stack = await Stack.StartAsync(options, herald, runDir, pgBase, time, cancellationToken);
        var api = stack.Herald;
        var baseUrl = api.BaseUrl;
        using var http = Http.Client();

        // The links: one message each, through the intake like any send.
        var batch = new JsonObject
        {
            ["messages"] = new JsonArray([.. Enumerable.Range(0, Links).Select(i => (JsonNode)new JsonObject
            {
                ["to"] = Load.Number(i), ["body"] = $"Your offer: https://shop.example/p/{i}?utm=sms", ["type"] = "default", ["sender"] = "KLRHXA",
                ["provider"] = Stack.ProviderNickname,
            })]),
        };
        var (accepted, rejected) = await api.SubmitBatchAsync(System.Text.Encoding.UTF8.GetBytes(batch.ToJsonString()), cancellationToken);
        if (accepted.Count != Links)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{rejected} of {Links} messages were refused: see {runDir}/serve.log.[/]");
            return 1;
        }
        var codes = new string[Links];
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (index, id) in accepted)
        {
            var message = await api.GetJsonAsync($"/api/v1/messages/{id}", cancellationToken);
            var match = Code().Match(message["body"]!.GetValue<string>());
            codes[index] = match.Groups[1].Value;
            urls[codes[index]] = $"https://shop.example/p/{index}?utm=sms";
        }

        var n = options.Redirects;
        var concurrency = options.LinkConcurrency;
        var browser = Clients.CreateClient("browser");
        browser.BaseAddress = baseUrl;
        // Warm up (JIT, connections, the link cache), then measure.
        await DriveAsync(browser, codes, urls, Math.Min(5_000, n), concurrency, time, cancellationToken);
        // Measure from the state where every warm-up click is written.
        var warmup = Math.Min(5_000, n);
        long warm;
        while ((warm = await ClickedAsync(api, accepted, cancellationToken)) < warmup)
        {
            await Task.Delay(200, cancellationToken);
        }
        var run = await DriveAsync(browser, codes, urls, n, concurrency, time, cancellationToken);
        var written = time.GetTimestamp();
        var expected = warm + run.Redirected;
        long clicked;
        while ((clicked = await ClickedAsync(api, accepted, cancellationToken)) < expected && time.GetElapsedTime(written) < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(200, cancellationToken);
        }
        var writtenSeconds = time.GetElapsedTime(written).TotalSeconds;
        stack.SampleRss();

        var report = new System.Text.StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Short-link redirects, {options.Database}, {n:N0} requests over {Links:N0} links, {concurrency} connections").AppendLine();
        report.AppendLine("| requests | 302 to the long URL | other answers | seconds | redirects/s | p50 ms | p99 ms | clicks written | all written after | server peak RSS |");
        report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| {n:N0} | {run.Redirected:N0} | {n - run.Redirected:N0} | {run.Seconds:F2} | {run.Redirected / run.Seconds:N0} | {run.P50Ms:F1} | {run.P99Ms:F1} | {clicked - warm:N0} of {run.Redirected:N0} | {writtenSeconds:F1} s | {stack.PeakRssBytes / 1048576.0:N0} MB |");
        Console.WriteLine();
        Console.WriteLine(report.ToString());
        if (options.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, new JsonObject
            {
                ["redirects"] = n, ["database"] = options.Database, ["connections"] = concurrency, ["redirected"] = run.Redirected,
                ["seconds"] = run.Seconds, ["redirectsPerSecond"] = run.Redirected / run.Seconds, ["p50Ms"] = run.P50Ms, ["p99Ms"] = run.P99Ms,
                ["clicksWritten"] = clicked - warm, ["allWrittenAfterSeconds"] = writtenSeconds,
            }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), cancellationToken);
        }
        return run.Redirected == n && clicked == expected ? 0 : 3;
    }

    private sealed record Driven(double Seconds, long Redirected, double P50Ms, double P99Ms);

    private static async Task<Driven> DriveAsync(HttpClient browser, string[] codes, Dictionary<string, string> urls, int count, int concurrency,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var next = -1;
        long redirected = 0;
        var latencies = new double[count];
        var start = time.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var code = codes[i % codes.Length];
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/l/{code}");
                request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
                var sent = time.GetTimestamp();
                using var response = await browser.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                latencies[i] = time.GetElapsedTime(sent).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.Found && response.Headers.Location?.ToString() == urls[code])
                {
                    Interlocked.Increment(ref redirected);
                }
            }
        }, cancellationToken)));
        var seconds = time.GetElapsedTime(start).TotalSeconds;
        Array.Sort(latencies);
        AnsiConsole.MarkupLineInterpolated($"[grey]{count:N0} redirects in {seconds:F2} s ({redirected:N0} were 302 to the long URL)[/]");
        return new Driven(seconds, redirected, latencies[count / 2], latencies[Math.Min(count - 1, (int)(count * 0.99))]);
    }

    /// <summary>Clicks written so far: the clicked entries on the messages' timelines.</summary>
    private static async Task<long> ClickedAsync(HeraldClient api, List<(int Index, string Id)> messages, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var (_, id) in messages)
        {
            var message = await api.GetJsonAsync($"/api/v1/messages/{id}", cancellationToken);
            total += message["timeline"]!.AsArray().Count(e => e!["event"]!.GetValue<string>() == "clicked");
        }
        return total;
    }

    [GeneratedRegex(@"/l/([A-Za-z0-9]+)")]
    private static partial Regex Code();
}
