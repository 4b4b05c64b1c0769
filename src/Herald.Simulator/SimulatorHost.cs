using System.Diagnostics.CodeAnalysis;
using Herald.Simulator.Hosting;
using Herald.Simulator.Inspection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator;

/// <summary>
/// A running simulator on its own Kestrel server: the Kaleyra connector face at <see cref="ConnectorUrl"/>,
/// the Kaleyra SMS API face at <see cref="KaleyraSmsUrl"/> (and <see cref="KaleyraMessagesUrl"/>,
/// <see cref="KaleyraStatusUrl"/>), the Twilio face at <see cref="TwilioMessagesUrl"/>, the inspection endpoints under <c>/_sim/</c>, and the DLR dispatcher. Reads no appsettings, environment
/// variables or command line; logs warnings and above to the console unless <c>logging</c> says otherwise;
/// does not handle Ctrl+C (the owner stops it).
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private int _stopped;

    private SimulatorHost(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        ConnectorUrl = new Uri(baseUrl, "connector/sms");
        var sid = Uri.EscapeDataString(app.Services.GetRequiredService<SimulatorOptions>().Sid);
        KaleyraSmsUrl = new Uri(baseUrl, $"v1/{sid}/sms");
        KaleyraMessagesUrl = new Uri(baseUrl, $"v1/{sid}/messages");
        KaleyraStatusUrl = new Uri(baseUrl, $"v1/{sid}/messages/status");
        TwilioMessagesUrl = new Uri(baseUrl, $"2010-04-01/Accounts/{Uri.EscapeDataString(app.Services.GetRequiredService<SimulatorOptions>().TwilioAccountSid)}/Messages.json");
        Inspector = app.Services.GetRequiredService<ISimulatorInspector>();
    }

    /// <summary>The first bound address, with port 0 resolved and wildcard hosts shown as 127.0.0.1, ending in '/'.</summary>
    public Uri BaseUrl { get; }

    /// <summary><see cref="BaseUrl"/> + <c>connector/sms</c>: the "HTTP Endpoint" to configure in CleverTap/Herald.</summary>
    public Uri ConnectorUrl { get; }

    /// <summary><see cref="BaseUrl"/> + <c>v1/{sid}/sms</c>: the Kaleyra face's send endpoint (the newer, recommended one).</summary>
    public Uri KaleyraSmsUrl { get; }

    /// <summary><see cref="BaseUrl"/> + <c>v1/{sid}/messages</c>: the Kaleyra face's older send endpoint (same behaviour).</summary>
    public Uri KaleyraMessagesUrl { get; }

    /// <summary><see cref="BaseUrl"/> + <c>v1/{sid}/messages/status</c>: the Kaleyra face's status query (<c>?message_ids=..</c>).</summary>
    public Uri KaleyraStatusUrl { get; }

    /// <summary><see cref="BaseUrl"/> + <c>2010-04-01/Accounts/{accountSid}/Messages.json</c>: the Twilio face's send endpoint.</summary>
    public Uri TwilioMessagesUrl { get; }

    /// <summary>In-process access to the data behind <c>/_sim/requests</c>, <c>/_sim/callbacks</c> and <c>/_sim/stats</c>.</summary>
    public ISimulatorInspector Inspector { get; }

    /// <summary>Validates <paramref name="options"/>, binds <see cref="SimulatorOptions.Urls"/> and starts serving.</summary>
    /// <param name="options">Settings; copied, so later changes have no effect.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <param name="time">Clock for DLR delays, retries, timeouts and timestamps; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="logging">Adjusts logging after the defaults (console, warnings and above).</param>
    [SuppressMessage("Design", "CA1068:CancellationToken parameters must come last", Justification = "Public signature agreed with the CLI and server callers.")]
    public static async Task<SimulatorHost> StartAsync(
        SimulatorOptions options,
        CancellationToken ct = default,
        TimeProvider? time = null,
        Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost
            .UseKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            })
            .UseUrls(SimulatorOptions.SplitUrls(options.Urls));

        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        logging?.Invoke(builder.Logging);

        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddHeraldSimulator(options);

        var app = builder.Build();
        app.MapHeraldSimulator();

        try
        {
            await app.StartAsync(ct);
            return new SimulatorHost(app, ResolveBaseUrl(app));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops accepting requests and cancels pending DLR deliveries. Safe to call more than once.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _app.StopAsync(ct);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private static Uri ResolveBaseUrl(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var first = addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The simulator's server reported no bound address.");

        // Kestrel reports wildcard bindings as http://[::]:port or http://0.0.0.0:port; clients need a real host.
        var builder = new UriBuilder(first.Replace("://+:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://*:", "://127.0.0.1:", StringComparison.Ordinal));
        if (builder.Host is "0.0.0.0" or "[::]" or "::")
        {
            builder.Host = "127.0.0.1";
        }

        builder.Path = "/";
        return builder.Uri;
    }
}
