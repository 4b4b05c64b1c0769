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
