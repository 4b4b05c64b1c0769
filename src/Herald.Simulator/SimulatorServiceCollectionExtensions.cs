using Herald.Simulator.Callbacks;
using Herald.Simulator.Connector;
using Herald.Simulator.Faults;
using Herald.Simulator.Inspection;
using Herald.Simulator.Kaleyra;
using Herald.Simulator.Scenarios;
using Herald.Simulator.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Herald.Simulator;

/// <summary>Registers and maps the simulator so its endpoints can live in any ASP.NET Core app.</summary>
public static class SimulatorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the simulator's services (scenarios, fault injection, request/callback logs, counters, both
    /// faces, the Kaleyra message store, the Twilio face, the DLR dispatcher hosted service and its HTTP client). Validates and copies <paramref name="options"/>. Uses the
    /// registered <see cref="TimeProvider"/> if any, else <see cref="TimeProvider.System"/>.
    /// Register it once per container.
    /// </summary>
    public static IServiceCollection AddHeraldSimulator(this IServiceCollection services, SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        if (services.Any(d => d.ServiceType == typeof(SimulatorCounters)))
        {
            throw new InvalidOperationException("AddHeraldSimulator was already called on this service collection.");
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options.Clone());
        services.AddSingleton<SimulatorRandom>();
        services.AddSingleton<ScenarioResolver>();
        services.AddSingleton<SimulatorCounters>();
        services.AddSingleton<RequestLog>();
        services.AddSingleton<CallbackLog>();
        services.AddSingleton<ISimulatorInspector, SimulatorInspector>();
        services.AddSingleton<DlrQueue>();
        services.AddSingleton<DlrScheduler>();
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<ConnectorEndpoint>();
        services.AddSingleton<KaleyraMessageStore>();
        services.AddSingleton<KaleyraCallbackScheduler>();
        services.AddSingleton<KaleyraEndpoints>();
        services.AddSingleton<TwilioCallbackScheduler>();
        services.AddSingleton<TwilioEndpoints>();
        services.AddHostedService<DlrDispatcher>();
        services.AddHttpClient(DlrDispatcher.HttpClientName, client =>
        {
            // Each attempt has its own TimeProvider-driven timeout (DlrDispatcher.AttemptTimeout).
            client.Timeout = Timeout.InfiniteTimeSpan;
            client.DefaultRequestHeaders.UserAgent.ParseAdd("Herald.Simulator/1.0");
        }).RemoveAllLoggers(); // a callback log line per report would cost more than the callback
        return services;
    }

    /// <summary>
    /// Maps <c>POST|GET /connector/sms</c> (connector face), <c>POST /v1/{sid}/messages</c>,
    /// <c>POST /v1/{sid}/sms</c> and <c>GET /v1/{sid}/messages/status</c> (Kaleyra face),
    /// <c>POST /2010-04-01/Accounts/{accountSid}/Messages.json</c> (Twilio face), and the
    /// <c>/_sim/*</c> inspection endpoints, under <paramref name="pathPrefix"/> when given (e.g. <c>"/sim"</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapHeraldSimulator(this IEndpointRouteBuilder endpoints, string pathPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pathPrefix);

        var root = pathPrefix.Length == 0 ? endpoints : endpoints.MapGroup(pathPrefix);
        var connector = endpoints.ServiceProvider.GetRequiredService<ConnectorEndpoint>();
        root.MapMethods(ConnectorEndpoint.Path, [HttpMethods.Post, HttpMethods.Get], connector.HandleAsync);
        var kaleyra = endpoints.ServiceProvider.GetRequiredService<KaleyraEndpoints>();
        root.MapPost(KaleyraEndpoints.MessagesPath, kaleyra.HandleSendAsync);
        root.MapPost(KaleyraEndpoints.SmsPath, kaleyra.HandleSendAsync);
        root.MapGet(KaleyraEndpoints.StatusPath, kaleyra.HandleStatusAsync);
        root.MapPost(TwilioEndpoints.MessagesPath, endpoints.ServiceProvider.GetRequiredService<TwilioEndpoints>().HandleSendAsync);
        InspectionEndpoints.Map(root);
        Kaleyra.KaleyraInbound.Map(root);
        return endpoints;
    }
}
