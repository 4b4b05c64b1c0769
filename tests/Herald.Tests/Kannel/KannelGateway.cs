using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.Tests.Kannel;

/// <summary>
/// A real Kannel 1.4.5 (Debian's <c>kannel</c> package: bearerbox and smsbox) on random loopback ports, sending through its generic HTTP
/// SMSC to an operator this test controls (<see cref="Operator"/>): it answers each MT, and pushes delivery reports back to Kannel's
/// SMSC listener when told to. Every process it starts is stopped by its own handle.
/// </summary>
internal sealed class KannelGateway : IAsyncDisposable
{
    public const string Bearerbox = "/usr/sbin/bearerbox";
    public const string Smsbox = "/usr/sbin/smsbox";
    public const string Username = "herald";
    public const string Password = "s3cret-kannel";

    private readonly List<Process> _processes = [];
    private readonly string _run;
    private readonly WebApplication _operator;
    private readonly HttpClient _http = Infrastructure.TestHttp.Create(new Uri("http://127.0.0.1/"));

    private KannelGateway(string run, WebApplication @operator, ConcurrentQueue<(string To, string Text, string? OperatorId, string Request)> received,
        int sendsmsPort, int adminPort, int smscPort)
    {
        Received = received;
        _run = run;
        _operator = @operator;
        SendsmsPort = sendsmsPort;
        AdminPort = adminPort;
        SmscPort = smscPort;
    }

    /// <summary>Kannel's sendsms port (smsbox).</summary>
    public int SendsmsPort { get; }

    /// <summary>Kannel's admin port (bearerbox).</summary>
    public int AdminPort { get; }

    /// <summary>The port on which Kannel's generic HTTP SMSC takes the operator's delivery reports.</summary>
    public int SmscPort { get; }

    /// <summary>The MTs the operator received from Kannel: recipient, text, and the id it answered (null when it refused).</summary>
    public ConcurrentQueue<(string To, string Text, string? OperatorId, string Request)> Received { get; }

    /// <summary>Whether Kannel is installed where Debian puts it.</summary>
    public static bool Installed => File.Exists(Bearerbox) && File.Exists(Smsbox);

    /// <summary>Starts the operator, bearerbox and smsbox, and waits until Kannel reports the SMSC online and smsbox connected.</summary>
    public static async Task<KannelGateway> StartAsync(CancellationToken cancellationToken)
    {
        var run = Directory.CreateTempSubdirectory("herald-kannel-").FullName;
        var received = new ConcurrentQueue<(string To, string Text, string? OperatorId, string Request)>();
        var operatorApp = BuildOperator(received);
        await operatorApp.StartAsync(cancellationToken);
        var operatorUrl = operatorApp.Urls.First().TrimEnd('/');
        int admin = FreePort(), box = FreePort(), sendsms = FreePort(), smsc = FreePort();
        var config = $"""
            group = core
            admin-port = {admin}
            admin-interface = 127.0.0.1
            admin-password = admin
            status-password = admin
            admin-deny-ip = "*.*.*.*"
            admin-allow-ip = "127.0.0.1"
            smsbox-port = {box}
            smsbox-interface = 127.0.0.1
            box-deny-ip = "*.*.*.*"
            box-allow-ip = "127.0.0.1"
            log-file = "{run}/bearerbox.log"
            log-level = 1
            dlr-storage = internal

            group = smsc
            smsc = http
            system-type = generic
            smsc-id = operator
            send-url = "{operatorUrl}/mt?from=%P&to=%p&text=%b"
            status-success-regex = "^OK"
            status-permfail-regex = "^PERMFAIL"
            status-tempfail-regex = "^TEMPFAIL"
            generic-foreign-id-regex = "<id>(.+)</id>"
            port = {smsc}
            connect-allow-ip = "127.0.0.1"
            generic-message-sent = "Sent"
            generic-status-sent = 200
            generic-status-error = 400
            log-file = "{run}/smsc.log"
            log-level = 1

            group = smsbox
            bearerbox-host = 127.0.0.1
            bearerbox-port = {box}
            sendsms-port = {sendsms}
            sendsms-interface = 127.0.0.1
            log-file = "{run}/smsbox.log"
            log-level = 1

            group = sendsms-user
            username = {Username}
            password = {Password}
            max-messages = 3
            concatenation = true

            group = sms-service
            keyword = default
            text = "No service"
            max-messages = 0
            """;
        var path = Path.Combine(run, "kannel.conf");
        await File.WriteAllTextAsync(path, config, cancellationToken);
        var gateway = new KannelGateway(run, operatorApp, received, sendsms, admin, smsc);
        try
        {
            gateway.Start(Bearerbox, path);
            await WaitForPortAsync(admin, cancellationToken);
            await WaitForPortAsync(box, cancellationToken);
            gateway.Start(Smsbox, path);
            await WaitForPortAsync(sendsms, cancellationToken);
            await gateway.WaitOnlineAsync(cancellationToken);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    /// <summary>The operator pushes a delivery report for one of its ids to Kannel's SMSC listener (<c>dlr-mask</c> 1 = delivered, 2 = failed).</summary>
    public async Task<string> PushReportAsync(string operatorId, string to, int type, CancellationToken cancellationToken)
    {
        var url = $"http://127.0.0.1:{SmscPort}/?dlr-mask={type}&dlr-mid={Uri.EscapeDataString(operatorId)}&to={Uri.EscapeDataString(to)}";
        using var response = await _http.GetAsync(url, cancellationToken);
        return $"GET {url} -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
    }

    /// <summary>The tail of Kannel's logs, for a failure message.</summary>
    public string Logs()
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in Directory.GetFiles(_run, "*.log").Concat(Directory.GetFiles(_run, "*.stderr")))
        {
            var lines = File.ReadAllLines(file);
            text.AppendLine($"--- {Path.GetFileName(file)}").AppendJoin('\n', lines.TakeLast(15)).AppendLine();
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // smsbox first, then bearerbox: each ours, by its own handle.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            var process = _processes[i];
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
            process.Dispose();
        }
        await _operator.StopAsync();
        await _operator.DisposeAsync();
        _http.Dispose();
        try
        {
            Directory.Delete(_run, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Start(string binary, string config)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-v");
        info.ArgumentList.Add("2");
        info.ArgumentList.Add(config);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{binary} did not start.");
        var log = Path.Combine(_run, Path.GetFileName(binary) + ".stderr");
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (_processes) { File.AppendAllText(log, e.Data + "\n"); } } };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (_processes) { File.AppendAllText(log, e.Data + "\n"); } } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _processes.Add(process);
    }

    private async Task WaitOnlineAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var status = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                status = await _http.GetStringAsync($"http://127.0.0.1:{AdminPort}/status.txt?password=admin", cancellationToken);
                if (status.Contains("smsbox:", StringComparison.Ordinal) && status.Contains("(online", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"Kannel did not come online within 30 s. Status: {status}\n{Logs()}");
    }

    private static WebApplication BuildOperator(ConcurrentQueue<(string To, string Text, string? OperatorId, string Request)> sink)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sequence = 0;
        // The operator behind Kannel: numbers ending 0013 are refused (Kannel then reports 16, SMSC reject); others get an id.
        app.MapGet("/mt", (HttpContext context) =>
        {
            var to = context.Request.Query["to"].ToString();
            var text = context.Request.Query["text"].ToString();
            var request = $"GET {context.Request.Path}{context.Request.QueryString}";
            if (to.EndsWith("0013", StringComparison.Ordinal))
            {
                sink.Enqueue((to, text, null, request));
                return Results.Text("PERMFAIL number barred", "text/plain");
            }
            var id = $"OP-{Interlocked.Increment(ref sequence)}";
            sink.Enqueue((to, text, id, request));
            return Results.Text($"OK <id>{id}</id>", "text/plain");
        });
        return app;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
        throw new TimeoutException($"Nothing listens on 127.0.0.1:{port} after 20 s.");
    }
}
