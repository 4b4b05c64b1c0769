using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;

// herald-floor-bench [messages] [concurrency] [single|batch]
//   Starts itself a second time as the "provider" and acts as the "server", and reports each process's CPU per message.
//   single: the server sends every message with an HTTP POST (a form body like the seed's); the provider answers, then
//           posts one callback back. Herald's single mode: one request out and one callback in per message.
//   batch:  the server sends 100 recipients per POST; the provider answers, then posts two callbacks per recipient (sent,
//           then delivered). Herald's batch mode (Kaleyra): a hundredth of a request out and two callbacks in per message.
//   No database, no rendering, no JSON parsing beyond the bare minimum: the floor under Herald's two modes.
if (args.Length >= 2 && args[0] == "provider")
{
    return await Provider.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
}
var messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50_000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
var batch = args.Length > 2 && args[2] == "batch";
return await Server.RunAsync(messages, concurrency, batch ? 100 : 1);

internal static class Ports
{
    public static int Free()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal static class Clients
{
    public const string Name = "floor";

    /// <summary>One client for many short requests to one host, without per-request logging.</summary>
    public static void Add(IServiceCollection services, int connections)
    {
        services.AddHttpClient(Name).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections, UseProxy = false, AllowAutoRedirect = false,
        });
        services.RemoveAll<IHttpMessageHandlerBuilderFilter>();
    }
}

internal static class Cpu
{
    /// <summary>utime + stime of a process, in milliseconds (/proc/PID/stat, clock ticks of 10 ms).</summary>
    public static double Ms(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
    }
}

internal static class Provider
{
    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        Clients.Add(builder.Services, 64);
        var app = builder.Build();
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Clients.Name);
        var next = 0L;
        app.MapPost("/send", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var callback = form["callback_url"].ToString();
            var recipients = form["to"].ToString().Split(',');
            var first = Interlocked.Add(ref next, recipients.Length) - recipients.Length;
            // The callbacks go after the answer, as a provider's reports do: one per recipient, or (batch) sent then delivered.
            _ = Task.Run(async () =>
            {
                var statuses = recipients.Length == 1 ? ["DELIVRD"] : new[] { "SENT", "DELIVRD" };
                foreach (var status in statuses)
                {
                    await Parallel.ForAsync(0, recipients.Length, async (k, ct) =>
                    {
                        using var body = new FormUrlEncodedContent([new("id", (first + k).ToString(CultureInfo.InvariantCulture)), new("status", status),
                            new("to", recipients[k]), new("meta", form["meta"].ToString())]);
                        using var response = await client.PostAsync(callback, body, ct);
                    });
                }
            });
            return Results.Text($"{{\"id\":\"{first}\",\"status\":\"accepted\",\"recipients\":{recipients.Length}}}", "application/json");
        });
        await app.RunAsync();
        return 0;
    }
}

internal static class Server
{
    public static async Task<int> RunAsync(int messages, int concurrency, int perRequest)
    {
        var providerPort = Ports.Free();
        var selfPort = Ports.Free();
        using var provider = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, ["provider", providerPort.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, selfPort));
            Clients.Add(builder.Services, concurrency);
            var app = builder.Build();
            var callbacks = 0;
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var target = messages;
            app.MapPost("/dlr", async (HttpRequest request) =>
            {
                var form = await request.ReadFormAsync();
                _ = form["status"];
                if (Interlocked.Increment(ref callbacks) == Volatile.Read(ref target))
                {
                    all.TrySetResult();
                }
                return Results.Text("{\"status\":\"ok\"}", "application/json");
            });
            await app.StartAsync();
            var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Clients.Name);
            var sendUrl = $"http://127.0.0.1:{providerPort}/send";
            var callbackUrl = $"http://127.0.0.1:{selfPort}/dlr";
            for (var i = 0; ; i++)
            {
                try
                {
                    using var probe = await client.GetAsync($"http://127.0.0.1:{providerPort}/");
                    break;
                }
                catch (HttpRequestException) when (i < 100)
                {
                    await Task.Delay(100);
                }
            }
            var callbacksPerMessage = perRequest == 1 ? 1 : 2;
            async Task SendAsync(int n)
            {
                var to = string.Join(',', Enumerable.Range(n * perRequest, perRequest).Select(i => "+9197" + i.ToString("D8", CultureInfo.InvariantCulture)));
                using var body = new FormUrlEncodedContent([
                    new("to", to), new("body", "Your order has shipped. Track it at https://example.com/t/abc123"),
                    new("sender", "KLRHXA"), new("type", "MKT"), new("template_id", "1107161234567890123"), new("callback_url", callbackUrl),
                    new("meta", "msg_" + n.ToString(CultureInfo.InvariantCulture)), new("entity_id", "1101234567890123456")]);
                using var response = await client.PostAsync(sendUrl, body);
                _ = await response.Content.ReadAsStringAsync();
            }
            // Warm-up: the same work on the same processes before the measured window (JIT, connections).
            var warm = Math.Min(5_000, messages / 5);
            Volatile.Write(ref target, warm * callbacksPerMessage);
            await Parallel.ForAsync(0, warm / perRequest, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (n, _) => await SendAsync(n));
            await all.Task.WaitAsync(TimeSpan.FromMinutes(2));
            all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref callbacks, 0);
            Volatile.Write(ref target, messages * callbacksPerMessage);
            var selfCpu = Cpu.Ms(Environment.ProcessId);
            var providerCpu = Cpu.Ms(provider.Id);
            var clock = Stopwatch.StartNew();
            await Parallel.ForAsync(0, messages / perRequest, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (n, _) => await SendAsync(n));
            await all.Task.WaitAsync(TimeSpan.FromMinutes(10));
            var seconds = clock.Elapsed.TotalSeconds;
            var selfMs = (Cpu.Ms(Environment.ProcessId) - selfCpu) / messages;
            var providerMs = (Cpu.Ms(provider.Id) - providerCpu) / messages;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"floor ({(perRequest == 1 ? "single" : $"batch of {perRequest}")}): {messages:N0} messages in {seconds:F1} s = {messages / seconds:N0} msg/s; CPU per message: server {selfMs:F3} ms, provider {providerMs:F3} ms, together {selfMs + providerMs:F3} ms (warm-up {warm:N0} first)"));
            await app.StopAsync();
            return 0;
        }
        finally
        {
            provider.Kill(entireProcessTree: true);
        }
    }
}
