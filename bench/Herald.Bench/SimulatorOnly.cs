using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Herald.Bench;

/// <summary>
/// <c>--simulator-only</c>: herald simulate alone, driven by this process on both faces, with its DLRs going to a
/// tiny Kestrel sink in this process. The load generator and the sink share the two cores with the simulator, so
/// the figures are a lower bound of what the simulator takes.
/// </summary>
internal static class SimulatorOnly
{
    private const int Concurrency = 64;

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(BenchOptions options, string herald, string runDir, TimeProvider time, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(runDir);
        await using var sink = await Sink.StartAsync(cancellationToken);
        var port = HeraldBinary.FreePort();
        using var process = ChildProcess.Start("simulator", herald,
            ["simulate", "--urls", $"http://127.0.0.1:{port}", "--api-key", Stack.SimApiKey, "--sid", Stack.SimSid,
             "--dlr-delay", options.DlrDelay.ToString("c", CultureInfo.InvariantCulture), "--delivery-rate", "1", "--seed", "42"],
            [], Path.Combine(runDir, "simulate.log"));
        var sim = new SimulatorClient(new Uri($"http://127.0.0.1:{port}"));
        await sim.WaitReadyAsync(process, TimeSpan.FromSeconds(60), time, cancellationToken);
        var http = Http.Client();
        var n = options.Messages;

        // Connector face: one message per request, one CleverTap DLR each.
        var connector = await DriveAsync(n, Concurrency, i =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sim.BaseUrl, "/connector/sms"))
            {
                Content = new FormUrlEncodedContent(
                [
                    new("to", Load.Number(i)), new("sender", "KLRHXA"), new("body", Load.Body), new("message_id", $"simonly-{i}"),
                ]),
            };
            request.Headers.Add("api-key", Stack.SimApiKey);
            request.Headers.Add("sid", Stack.SimSid);
            request.Headers.Add("callback_url", $"{sink.BaseUrl}c");
            return request;
        }, http, time, cancellationToken);
        var connectorDlr = await sink.WaitAsync(sink.Connector, n, time, cancellationToken);
        var connectorDlrSeconds = time.GetElapsedTime(connector.Start, connectorDlr).TotalSeconds;

        // Kaleyra face: 100 recipients per request, a Sent and a final callback per recipient.
        var requests = (n + 99) / 100;
        var callback = $$"""{"url":"{{sink.BaseUrl}}k","method":"POST"}""";
        var kaleyra = await DriveAsync(requests, 16, r =>
        {
            var to = string.Join(',', Enumerable.Range(r * 100, Math.Min(100, n - (r * 100))).Select(Load.Number));
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sim.BaseUrl, $"/v1/{Stack.SimSid}/sms"))
            {
                Content = new FormUrlEncodedContent(
                [
                    new("to", to), new("sender", "KLRHXA"), new("body", Load.Body), new("type", "DEFAULT"), new("callback", callback),
                ]),
            };
            request.Headers.Add("api-key", Stack.SimApiKey);
            return request;
        }, http, time, cancellationToken);
        var kaleyraDone = await sink.WaitAsync(sink.Kaleyra, 2L * n, time, cancellationToken);
        var kaleyraCallbackSeconds = time.GetElapsedTime(kaleyra.Start, kaleyraDone).TotalSeconds;
        var stats = await sim.StatsAsync(cancellationToken);
        var peakRss = process.PeakRssBytes() / 1048576.0;

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"### herald simulate alone, {n:N0} messages per face, DLR delay {options.DlrDelay.TotalMilliseconds:N0} ms").AppendLine();
        table.AppendLine("| face | requests | answered 200 | requests/s | messages/s | callbacks received | callbacks/s |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        table.AppendLine(CultureInfo.InvariantCulture,
            $"| connector (1 recipient, CleverTap DLR) | {n:N0} | {connector.Ok:N0} | {n / connector.Seconds:N0} | {n / connector.Seconds:N0} | {sink.Connector.Value:N0} | {sink.Connector.Value / connectorDlrSeconds:N0} |");
        table.AppendLine(CultureInfo.InvariantCulture,
            $"| Kaleyra (100 recipients, Sent + final callbacks) | {requests:N0} | {kaleyra.Ok:N0} | {requests / kaleyra.Seconds:N0} | {n / kaleyra.Seconds:N0} | {sink.Kaleyra.Value:N0} | {sink.Kaleyra.Value / kaleyraCallbackSeconds:N0} |");
        table.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"Simulator counters: received {stats.Received:N0}, accepted {stats.Accepted:N0}, DLRs queued {stats.DlrQueued:N0}, delivered {stats.DlrDelivered:N0}, failed {stats.DlrFailed:N0}; simulator peak RSS {peakRss:N0} MB.");
        Console.WriteLine();
        Console.WriteLine(table.ToString());
        if (options.JsonPath is { } path)
        {
            var document = new Dictionary<string, object>
            {
                ["simulatorOnly"] = true,
                ["messages"] = n,
                ["connectorRequestsPerSecond"] = n / connector.Seconds,
                ["connectorDlrPerSecond"] = sink.Connector.Value / connectorDlrSeconds,
                ["kaleyraRequestsPerSecond"] = requests / kaleyra.Seconds,
                ["kaleyraRecipientsPerSecond"] = n / kaleyra.Seconds,
                ["kaleyraCallbacksPerSecond"] = sink.Kaleyra.Value / kaleyraCallbackSeconds,
                ["simulatorPeakRssMb"] = peakRss,
            };
            await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(document, Indented), cancellationToken);
        }
        return connector.Ok == n && kaleyra.Ok == requests ? 0 : 3;
    }

    private sealed record Driven(long Start, double Seconds, int Ok);

    /// <summary>Sends <paramref name="count"/> requests from <paramref name="concurrency"/> tasks; how long it took and how many got a 200.</summary>
    private static async Task<Driven> DriveAsync(int count, int concurrency, Func<int, HttpRequestMessage> create, HttpClient http, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var next = -1;
        var ok = 0;
        var start = time.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                using var request = create(i);
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref ok);
                }
            }
        }, cancellationToken)));
        var seconds = time.GetElapsedTime(start).TotalSeconds;
        AnsiConsole.MarkupLineInterpolated($"[grey]{count:N0} requests in {seconds:F2} s ({ok:N0} answered 200)[/]");
        return new Driven(start, seconds, ok);
    }

    /// <summary>Counts the callbacks it receives and answers 200 to each.</summary>
    private sealed class Sink : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Sink(WebApplication app, string baseUrl)
        {
            _app = app;
            BaseUrl = baseUrl;
        }

        public string BaseUrl { get; }

        public StrongBox<long> Connector { get; } = new();

        public StrongBox<long> Kaleyra { get; } = new();

        public static async Task<Sink> StartAsync(CancellationToken cancellationToken)
        {
            var port = HeraldBinary.FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var sink = new Sink(app, $"http://127.0.0.1:{port}/");
            app.MapPost("/c", async (HttpContext context) => await CountAsync(context, sink.Connector));
            app.MapPost("/k", async (HttpContext context) => await CountAsync(context, sink.Kaleyra));
            await app.StartAsync(cancellationToken);
            return sink;
        }

        private static async Task<IResult> CountAsync(HttpContext context, StrongBox<long> counter)
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            Interlocked.Increment(ref counter.Value);
            return Results.Ok();
        }

        /// <summary>Waits (up to 2 minutes without progress) until <paramref name="counter"/> reaches <paramref name="expected"/>; when the last arrived.</summary>
        public async Task<long> WaitAsync(StrongBox<long> counter, long expected, TimeProvider time, CancellationToken cancellationToken)
        {
            var last = Interlocked.Read(ref counter.Value);
            var lastChange = time.GetTimestamp();
            while (Interlocked.Read(ref counter.Value) < expected && time.GetElapsedTime(lastChange) < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken);
                var now = Interlocked.Read(ref counter.Value);
                if (now != last)
                {
                    last = now;
                    lastChange = time.GetTimestamp();
                }
            }
            return lastChange;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
