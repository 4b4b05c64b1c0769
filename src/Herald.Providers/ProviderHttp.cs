using Herald.Providers.Abstractions;
using Herald.Providers.GenericHttp;
using Herald.Providers.Http;
using Herald.Providers.Kaleyra;
using Herald.Providers.Twilio;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Herald.Providers;

/// <summary>The outbound HTTP client every provider uses.</summary>
public static class ProviderHttp
{
    /// <summary>The IHttpClientFactory name.</summary>
    public const string ClientName = "herald-providers";
}

/// <summary>Finds a provider kind by name.</summary>
public interface IProviderKinds
{
    /// <summary>Every kind.</summary>
    IReadOnlyList<IProviderKind> All { get; }

    /// <summary>The kind named <paramref name="kind"/> (case-insensitive), or null.</summary>
    IProviderKind? Find(string? kind);
}

internal sealed class ProviderKinds(IEnumerable<IProviderKind> kinds) : IProviderKinds
{
    public IReadOnlyList<IProviderKind> All { get; } = kinds.ToList();

    public IProviderKind? Find(string? kind) => All.FirstOrDefault(k => string.Equals(k.Kind, kind?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>Registers the provider kinds.</summary>
public static class ProvidersServiceCollectionExtensions
{
    /// <summary>
    /// Adds every provider kind and the outbound HTTP client (providers, relays, webhooks), whose every connection
    /// passes the <see cref="OutboundGuard"/> (bind <see cref="OutboundOptions"/> to allow loopback or networks).
    /// </summary>
    public static IServiceCollection AddHeraldProviders(this IServiceCollection services)
    {
        services.AddOptions<OutboundOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboundOptions>, OutboundOptionsValidator>());
        services.TryAddSingleton<IOutboundResolver, DnsOutboundResolver>();
        services.TryAddSingleton<OutboundGuard>();
        services.AddTransient<OutboundErrorHandler>();
        services.AddHttpClient(ProviderHttp.ClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan; // each provider applies its own timeout
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Herald/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = 256,
                // A proxy would be the only address the guard sees: the destination must be checked itself.
                UseProxy = false,
                ConnectCallback = sp.GetRequiredService<OutboundGuard>().ConnectAsync,
            })
            .AddHttpMessageHandler<OutboundErrorHandler>()
            // Every exchange is already kept on the message's timeline (masked); the factory's per-request log scopes
            // and messages cost a tenth of a send's CPU for lines nobody reads.
            .RemoveAllLoggers();
        services.TryAddSingleton<IProviderKinds, ProviderKinds>();

        // The provider kinds, one line each (docs/providers.md): the order is the order of the dashboard's kind switch.
        services.AddProviderKind<GenericHttpKind>();
        services.AddProviderKind<KaleyraKind>();
        services.AddProviderKind<TwilioKind>();
        return services;
    }

    /// <summary>Adds one provider kind: its folder's <see cref="IProviderKind"/>, which brings its settings, sender, report format and form.</summary>
    public static IServiceCollection AddProviderKind<TKind>(this IServiceCollection services) where TKind : class, IProviderKind
    {
        services.AddSingleton<IProviderKind, TKind>();
        return services;
    }
}
