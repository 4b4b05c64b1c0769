using Herald.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Storage;

/// <summary>Which database Herald uses (bootstrap settings: <c>Herald:Database</c>).</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>
    /// The connection string. Default for SQLite: <c>Data Source={data dir}/herald.db</c>; required for PostgreSQL,
    /// e.g. <c>Host=127.0.0.1;Port=5432;Database=herald;Username=herald;Password=...</c>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite's <c>synchronous</c> pragma: FULL (default: every commit reaches the disk) or NORMAL (faster; a power cut may lose the last commits, a process crash does not).</summary>
    public string SqliteSynchronous { get; set; } = "FULL";
}

/// <summary>Registers the stores.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>Adds <see cref="IDatabase"/> and every store over the configured database.</summary>
    public static IServiceCollection AddHeraldStorage(this IServiceCollection services, DatabaseOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(sp => HeraldDatabase.Open(options, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<IDatabase>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IProviderStore>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IMessageStore>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IDlrInbox>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IDispatchQueue>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IPendingReports>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IMessageCounts>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<HeraldDatabase>().Outbox);
        services.AddSingleton<IDashboardUserStore>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IMessageStats>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IDeadLetterStore>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        services.AddSingleton<IProviderGroupStore>(sp => sp.GetRequiredService<HeraldDatabase>().Store);
        return services;
    }
}

/// <summary>An open database with all its stores; dispose it to release connections.</summary>
public sealed class HeraldDatabase : IAsyncDisposable
{
    private readonly ISqlDialect _dialect;

    private HeraldDatabase(ISqlDialect dialect, TimeProvider time)
    {
        _dialect = dialect;
        Store = new SqlStore(dialect, time);
        Outbox = new SqlOutboxStore(dialect, time);
    }

    internal SqlStore Store { get; }

    /// <summary>The database itself.</summary>
    public IDatabase Database => Store;
    /// <summary>Provider configurations.</summary>
    public IProviderStore Providers => Store;
    /// <summary>Messages and timelines.</summary>
    public IMessageStore Messages => Store;
    /// <summary>Raw delivery reports.</summary>
    public IDlrInbox DlrInbox => Store;
    /// <summary>API keys.</summary>
    public IApiKeyStore ApiKeys => Store;
    /// <summary>The dispatch queue.</summary>
    public IDispatchQueue Queue => Store;
    /// <summary>The webhook outbox.</summary>
    public IOutboxStore Outbox { get; }
    /// <summary>People who sign in to the dashboard.</summary>
    public IDashboardUserStore DashboardUsers => Store;
    /// <summary>Aggregates over messages, for provider health.</summary>
    public IMessageStats Stats => Store;
    /// <summary>Failed and expired messages, and requeueing them.</summary>
    public IDeadLetterStore DeadLetters => Store;
    /// <summary>Provider groups.</summary>
    public IProviderGroupStore ProviderGroups => Store;

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
        return new HeraldDatabase(dialect, time);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dialect is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
