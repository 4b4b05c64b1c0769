using Herald.Core;
using System.Text.Json;
using Herald.Api.Providers;
using Herald.Hosting;
using Herald.Simulator;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Sandbox;

/// <summary>
/// <c>herald serve --sandbox</c>: starts an in-process simulator and keeps a provider named
/// "Sandbox" configured exactly like the seed (headers api-key, sid, kaleyra-host, callback_url;
/// the eight parameters) pointing at it.
/// </summary>
internal sealed partial class SandboxService(
    IOptions<HeraldOptions> options,
    ProviderService providers,
    IProviderStore store,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<SandboxService> logger) : BackgroundService
{
    public const string Nickname = "Sandbox";

    private readonly TaskCompletionSource<SandboxInfo> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SimulatorHost? _simulator;

    /// <summary>Completes when the simulator runs and the provider exists.</summary>
    public Task<SandboxInfo> Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var sandbox = options.Value.Sandbox;
            var simulatorOptions = new SimulatorOptions
            {
                Urls = sandbox.SimulatorUrls,
                ApiKey = "sandbox-" + Ids.NewToken()[..12],
                Sid = "SANDBOX01",
                DlrDelay = sandbox.DlrDelay,
                DeliveryRate = sandbox.DeliveryRate,
                DlrRetryBaseDelay = TimeSpan.FromSeconds(1),
            };
            _simulator = await SimulatorHost.StartAsync(simulatorOptions, stoppingToken, time);
            await WaitForStartAsync(stoppingToken);
            var info = await EnsureProviderAsync(simulatorOptions, _simulator, stoppingToken);
            LogReady(logger, info.ProviderId, _simulator.ConnectorUrl);
            _ready.TrySetResult(info);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _ready.TrySetCanceled(stoppingToken);
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    private Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(cancellationToken);
    }

    private async Task<SandboxInfo> EnsureProviderAsync(SimulatorOptions simulator, SimulatorHost host, CancellationToken cancellationToken)
    {
        // The simulator's port and key change at every start: keep the provider pointed at this one.
        var input = new ProviderInput(Nickname, "generic", Settings(simulator, host));
        var change = await store.FindAsync(Nickname, cancellationToken) is { } existing
            ? await providers.UpdateAsync(existing.Id, input, cancellationToken)
            : await providers.CreateAsync(input, cancellationToken);
        if (change.Provider is null)
        {
            throw new InvalidOperationException("The sandbox provider could not be saved: " + string.Join("; ", change.Errors?.SelectMany(e => e.Value) ?? []));
        }
        return new SandboxInfo(change.Provider.Id, change.Provider.CallbackUrl, host.BaseUrl);
    }

    /// <summary>The seed's configuration, verbatim, pointed at the simulator.</summary>
    internal static JsonElement Settings(SimulatorOptions simulator, SimulatorHost host) => JsonSerializer.SerializeToElement(new
    {
        requestType = "POST",
        endpoint = host.ConnectorUrl.ToString(),
        authentication = new { type = "none" },
        headers = new[]
        {
            new { key = "api-key", value = simulator.ApiKey },
            new { key = "sid", value = simulator.Sid },
            new { key = "kaleyra-host", value = host.BaseUrl.Authority },
            new { key = "callback_url", value = "$$CallbackURL" },
        },
        bodyType = "form",
        parameters = new[]
        {
            new { key = "to", value = "$$To" },
            new { key = "sender", value = "$$Sender" },
            new { key = "body", value = "$$Body" },
            new { key = "template_id", value = "$$TemplateID" },
            new { key = "message_id", value = "$$MessageID" },
            new { key = "campaign_id", value = "$$CampaignID" },
            new { key = "type", value = "$$TYPE" },
            new { key = "long_url", value = "$$LongURL" },
        },
        toFormat = "e164",
    });

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox provider {ProviderId} sends to the in-process simulator at {Url}")]
    private static partial void LogReady(ILogger logger, string providerId, Uri url);
}

/// <summary>What the sandbox set up.</summary>
internal sealed record SandboxInfo(string ProviderId, Uri CallbackUrl, Uri SimulatorUrl);
