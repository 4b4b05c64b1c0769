using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Storage.Cluster;

/// <summary>Registers cluster leadership.</summary>
public static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IClusterLeadership"/> over the database <c>AddHeraldStorage</c> registered (<c>Herald:Cluster</c> options)
    /// and a hosted service that contests it while the host runs. Register it before the services that run leader jobs,
    /// so it starts before them and stops after them. Calling it again changes nothing.
    /// </summary>
    public static IServiceCollection AddHeraldCluster(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(ILeaderElection)))
        {
            return services;
        }
        services.AddOptions<ClusterOptions>().Bind(configuration.GetSection(ClusterOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
        services.AddSingleton(sp => LeaderElection.Create(sp.GetRequiredService<DatabaseOptions>(), sp.GetRequiredService<IOptions<ClusterOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IClusterLeadership>(sp => sp.GetRequiredService<ILeaderElection>());
        services.AddHostedService<LeaderElectionHost>();
        return services;
    }
}

/// <summary>Chooses the election the database allows.</summary>
internal static class LeaderElection
{
    public static ILeaderElection Create(DatabaseOptions database, ClusterOptions options, TimeProvider time, ILoggerFactory loggers) =>
        database.Provider.Trim().ToLowerInvariant() switch
        {
            "postgres" or "postgresql" => new PostgresLeaderElection(
                database.ConnectionString ?? throw new ArgumentException("Herald:Database:ConnectionString is required for postgres."),
                options, time, loggers.CreateLogger<PostgresLeaderElection>()),
            _ => new SingleNodeLeadership(options.EffectiveNodeId, time),
        };
}

/// <summary>Contests leadership from start to stop; stopping releases it so another node takes over at once.</summary>
internal sealed class LeaderElectionHost(ILeaderElection election) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => election.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => election.StopAsync(cancellationToken);
}
