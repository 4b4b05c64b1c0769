using Herald.Storage.Audit;
using Herald.Storage.Contacts;
using Herald.Storage.Campaigns;
using Herald.Storage.Dashboard;
using Herald.Storage.Journeys;
using Herald.Storage.Keys;
using Herald.Storage.Links;
using Herald.Storage.Messages;
using Herald.Storage.Policy;
using Herald.Storage.ProviderGroups;
using Herald.Storage.Segments;
using Herald.Storage.Providers;
using Herald.Storage.Reports;
using Herald.Storage.Retention;
using Herald.Storage.Sql;
using Herald.Storage.Stats;

namespace Herald.Storage;

/// <summary>
/// An open database with all its stores, one per aggregate, over one shared <see cref="SqlDatabase"/> (one connection pool
/// and, on SQLite, one writer turn for all of them); dispose it to release connections.
/// </summary>
public sealed class HeraldDatabase : IAsyncDisposable
{
    private HeraldDatabase(SqlDatabase database)
    {
        Sql = database;
        ProviderStore = new SqlProviderStore(database);
        MessageStore = new SqlMessageStore(database);
        ReportStore = new SqlReportStore(database);
        ApiKeyStore = new SqlApiKeyStore(database);
        ProviderGroupStore = new SqlProviderGroupStore(database);
        DashboardUserStore = new SqlDashboardUserStore(database);
        OutboxStore = new SqlOutboxStore(database);
        StatsService = new SqlMessageStats(database);
        AuditStore = new SqlAuditStore(database);
        SegmentStore = new SqlSegmentStore(database);
        PolicyStore = new SqlPolicyStore(database);
        ContactStore = new SqlContactStore(database);
        CampaignStore = new SqlCampaignStore(database);
        JourneyStore = new SqlJourneyStore(database);
        Retention = new SqlMessageRetention(database);
        LinkStore = new SqlLinkStore(database);
    }

    internal SqlDatabase Sql { get; }
    internal SqlProviderStore ProviderStore { get; }
    internal SqlMessageStore MessageStore { get; }
    internal SqlReportStore ReportStore { get; }
    internal SqlApiKeyStore ApiKeyStore { get; }
    internal SqlProviderGroupStore ProviderGroupStore { get; }
    internal SqlDashboardUserStore DashboardUserStore { get; }
    internal SqlOutboxStore OutboxStore { get; }
    internal SqlMessageStats StatsService { get; }
    internal SqlAuditStore AuditStore { get; }
    internal SqlSegmentStore SegmentStore { get; }
    internal SqlPolicyStore PolicyStore { get; }
    internal SqlContactStore ContactStore { get; }
    internal SqlCampaignStore CampaignStore { get; }
    internal SqlJourneyStore JourneyStore { get; }
    internal SqlMessageRetention Retention { get; }
    internal SqlLinkStore LinkStore { get; }

    /// <summary>The database itself.</summary>
    public IDatabase Database => Sql;
    /// <summary>Provider configurations.</summary>
    public IProviderStore Providers => ProviderStore;
    /// <summary>Messages and timelines.</summary>
    public IMessageStore Messages => MessageStore;
    /// <summary>Raw delivery reports.</summary>
    public IDlrInbox DlrInbox => ReportStore;
    /// <summary>Reports parked until their provider message id is known.</summary>
    public IPendingReports PendingReports => ReportStore;
    /// <summary>API keys.</summary>
    public IApiKeyStore ApiKeys => ApiKeyStore;
    /// <summary>The dispatch queue.</summary>
    public IDispatchQueue Queue => MessageStore;
    /// <summary>The webhook outbox.</summary>
    public IOutboxStore Outbox => OutboxStore;
    /// <summary>People who sign in to the dashboard.</summary>
    public IDashboardUserStore DashboardUsers => DashboardUserStore;
    /// <summary>Counts and provider figures, for the API and the dashboard alike.</summary>
    public IMessageStats Stats => StatsService;
    /// <summary>Failed and expired messages, and requeueing them.</summary>
    public IDeadLetterStore DeadLetters => MessageStore;
    /// <summary>Provider groups.</summary>
    public IProviderGroupStore ProviderGroups => ProviderGroupStore;
    /// <summary>The audit log of admin changes.</summary>
    public IAuditStore Audit => AuditStore;

    /// <summary>Saved segments.</summary>
    public ISegmentStore Segments => SegmentStore;
    /// <summary>Counts and lists the contacts a compiled segment picks.</summary>
    public IContactAudience Audience => SegmentStore;
    /// <summary>The send-path policy's reads (suppressions, consent, recent messages).</summary>
    public IPolicyStore Policy => PolicyStore;
    /// <summary>Registered DLT templates.</summary>
    public IDltTemplateStore DltTemplates => PolicyStore;

    /// <summary>Contacts and their consent.</summary>
    public IContactStore Contacts => ContactStore;
    /// <summary>The suppression list.</summary>
    public ISuppressionStore Suppressions => ContactStore;
    /// <summary>Events and their per-contact aggregates.</summary>
    public IEventStore Events => ContactStore;
    /// <summary>Contact imports.</summary>
    public IImportStore Imports => ContactStore;
    /// <summary>Campaigns and their frozen audiences.</summary>
    public ICampaignStore Campaigns => CampaignStore;
    /// <summary>Journeys, their versions and instances.</summary>
    public IJourneyStore Journeys => JourneyStore;

    /// <summary>Opens the database that <paramref name="options"/> names (does not migrate).</summary>
    public static HeraldDatabase Open(DatabaseOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ISqlDialect dialect = options.Provider.Trim().ToLowerInvariant() switch
        {
            "sqlite" => new SqliteDialect(options.ConnectionString ?? throw new ArgumentException("Herald:Database:ConnectionString is required."), options.SqliteSynchronous),
            "postgres" or "postgresql" => new PostgresDialect(options.ConnectionString
                ?? throw new ArgumentException("Herald:Database:ConnectionString is required for postgres, e.g. Host=127.0.0.1;Database=herald;Username=herald;Password=...")),
            _ => throw new ArgumentException($"Herald:Database:Provider '{options.Provider}' is not supported: use sqlite or postgres."),
        };
        return new HeraldDatabase(new SqlDatabase(dialect, time));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Sql.DisposeAsync();
}
