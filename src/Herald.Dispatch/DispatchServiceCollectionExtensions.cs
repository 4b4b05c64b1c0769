using Herald.Dispatch.Direct;
using Herald.Dispatch.Intake;
using Herald.Dispatch.Links;
using Herald.Dispatch.Outbox;
using Herald.Storage.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Herald.Dispatch;

/// <summary>Registers the dispatcher.</summary>
public static class DispatchServiceCollectionExtensions
{
    /// <summary>
    /// Adds the dispatcher (a hosted service), the lease-expiry sweep for nodes without one and <see cref="IDispatchSignal"/>. The host registers an
    /// <see cref="ISenderResolver"/>; cluster leadership (<c>AddHeraldCluster</c>) comes along, registered first so it starts first.
    /// </summary>
    public static IServiceCollection AddHeraldDispatch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHeraldCluster(configuration);
        services.AddOptions<DispatchOptions>().Bind(configuration.GetSection(DispatchOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DispatchOptions>, DispatchOptionsValidator>();
        services.AddMetrics();
        services.AddSingleton<HeraldMetrics>();
        // Reports to expect back: the host's callback endpoints take them (without such endpoints, nobody needs to know).
        services.TryAddSingleton<Herald.Core.DeliveryReports.IReportExpectations, NoReportExpectations>();
        services.AddSingleton<ProviderAnswers>();
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<IDispatchSignal>(sp => sp.GetRequiredService<Dispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<DispatchHost>());
        services.AddSingleton<DispatchHost>();
        services.AddHostedService<LeaseSweeper>();
        services.AddOptions<IntakeOptions>().Bind(configuration.GetSection("Herald"));
        services.AddSingleton<IMessageIntake, MessageIntake>();
        // Short links: the host gives the public base URL (without one, links stay long).
        services.AddOptions<LinkOptions>().Bind(configuration.GetSection(LinkOptions.Section)).ValidateOnStart()
            .Validate(o => o.CodeLength is >= Herald.Core.Messaging.LinkText.MinCodeLength and <= Herald.Core.Messaging.LinkText.MaxCodeLength,
                "Herald:Links:CodeLength must be 6 to 8 (7 keeps {base}/l/{code} within DLT's 30 characters with a 20-character base URL).")
            .Validate(o => o.BaseUrl is null || (o.BaseUrl.IsAbsoluteUri && (o.BaseUrl.Scheme == Uri.UriSchemeHttps || o.BaseUrl.Scheme == Uri.UriSchemeHttp)),
                "Herald:Links:BaseUrl must be an absolute http(s) URL, e.g. https://hrld.example.");
        services.TryAddSingleton<IShortLinkBase, NoShortLinkBase>();
        services.AddSingleton<ILinkShortener, LinkShortener>();
        // The send-path policy: everything goes unless Herald.Engagement registers the real one (it replaces this).
        services.TryAddSingleton<ISendPolicy, AllowAllPolicy>();
        services.AddSingleton<IDirectSend, DirectSend>();
        services.AddHttpClient(); // the outbox posts through IHttpClientFactory (the host names and guards the client)
        services.AddSingleton<OutboxWorker>();
        services.AddSingleton<IOutboxSignal>(sp => sp.GetRequiredService<OutboxWorker>());
        services.AddHostedService(sp => sp.GetRequiredService<OutboxWorker>());
        return services;
    }
}

/// <summary>
/// Runs the dispatcher when <see cref="DispatchOptions.Enabled"/>. It drains in the host's "stopping" phase, before any hosted
/// service stops: the web server (stopped first, being registered last) keeps listening while the sends on the wire finish, so
/// <c>/readyz</c> answers "draining" and the delivery reports for those sends are still taken in.
/// </summary>
internal sealed class DispatchHost(Dispatcher dispatcher, IOptions<DispatchOptions> options) : Microsoft.Extensions.Hosting.IHostedLifecycleService
{
    public Task StartAsync(CancellationToken cancellationToken) => options.Value.Enabled ? dispatcher.StartAsync(cancellationToken) : Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    // A second stop (after StoppingAsync) finds the dispatcher stopped and returns at once.
    public Task StopAsync(CancellationToken cancellationToken) => options.Value.Enabled ? dispatcher.StopAsync(cancellationToken) : Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
