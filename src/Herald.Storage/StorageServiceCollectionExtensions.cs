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
        // The audit log of admin changes
        services.AddSingleton<IAuditStore>(sp => Db(sp).AuditStore);
        // Campaigns
        services.AddSingleton<ICampaignStore>(sp => Db(sp).CampaignStore);
        services.AddSingleton<IJourneyStore>(sp => Db(sp).JourneyStore);
        // Counts and provider figures
        services.AddSingleton<IMessageStats>(sp => Db(sp).StatsService);
        // Segments and the audiences they pick
        services.AddSingleton<ISegmentStore>(sp => Db(sp).SegmentStore);
        services.AddSingleton<IContactAudience>(sp => Db(sp).SegmentStore);
        // The send-path policy's reads and DLT templates (issue 12)
        services.AddSingleton<IPolicyStore>(sp => Db(sp).PolicyStore);
        services.AddSingleton<IDltTemplateStore>(sp => Db(sp).PolicyStore);
        // Contacts, consent, suppressions, events, imports
        services.AddSingleton<IContactStore>(sp => Db(sp).ContactStore);
        services.AddSingleton<ISuppressionStore>(sp => Db(sp).ContactStore);
        services.AddSingleton<IEventStore>(sp => Db(sp).ContactStore);
        services.AddSingleton<IImportStore>(sp => Db(sp).ContactStore);
        // Short links and their clicks, inbound messages (issue 13)
        services.AddSingleton<ILinkStore>(sp => Db(sp).LinkStore);
        services.AddSingleton<IInboundStore>(sp => Db(sp).LinkStore);
        return services;
    }

    private static HeraldDatabase Db(IServiceProvider services) => services.GetRequiredService<HeraldDatabase>();
}
