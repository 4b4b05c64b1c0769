using Microsoft.Extensions.DependencyInjection;

namespace Herald.Storage;

/// <summary>Registers the stores.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IDatabase"/> and every store over the configured database: one <see cref="HeraldDatabase"/> (one connection
    /// pool, one SQLite writer turn) and each aggregate's store for its interfaces.
    /// </summary>
    public static IServiceCollection AddHeraldStorage(this IServiceCollection services, DatabaseOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(sp => HeraldDatabase.Open(options, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<IDatabase>(sp => Db(sp).Sql);
        // Providers
        services.AddSingleton<IProviderStore>(sp => Db(sp).ProviderStore);
        // Messages: messages and timelines, the dispatch queue, dead letters
        services.AddSingleton<IMessageStore>(sp => Db(sp).MessageStore);
        services.AddSingleton<IDispatchQueue>(sp => Db(sp).MessageStore);
        services.AddSingleton<IDeadLetterStore>(sp => Db(sp).MessageStore);
        // Delivery reports: the inbox, its batch, parked reports
        services.AddSingleton<IDlrInbox>(sp => Db(sp).ReportStore);
        services.AddSingleton<IPendingReports>(sp => Db(sp).ReportStore);
        // API keys, provider groups, dashboard users, the webhook outbox
        services.AddSingleton<IApiKeyStore>(sp => Db(sp).ApiKeyStore);
        services.AddSingleton<IProviderGroupStore>(sp => Db(sp).ProviderGroupStore);
        services.AddSingleton<IDashboardUserStore>(sp => Db(sp).DashboardUserStore);
        services.AddSingleton<IOutboxStore>(sp => Db(sp).OutboxStore);
        // Campaigns
        services.AddSingleton<ICampaignStore>(sp => Db(sp).CampaignStore);
        // Counts and provider figures
        services.AddSingleton<IMessageStats>(sp => Db(sp).StatsService);
        return services;
    }

    private static HeraldDatabase Db(IServiceProvider services) => services.GetRequiredService<HeraldDatabase>();
}
