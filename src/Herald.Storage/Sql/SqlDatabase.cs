using System.Data.Common;
using Dapper;

namespace Herald.Storage.Sql;

/// <summary>
/// What every store shares over one relational database: the dialect (and through it the connections and, on SQLite,
/// the one in-process writer turn), the clock, the command helpers, the schema and the health check. There is one per
/// open database; every store of that database is built over it, so all of them take the same writer turn.
/// </summary>
internal sealed class SqlDatabase(ISqlDialect dialect, TimeProvider clock) : IDatabase, IAsyncDisposable
{
    /// <summary>Ids per IN list: well under SQLite's bound on parameters in one statement.</summary>
    public const int ListChunk = 500;

    /// <summary>What differs between the databases.</summary>
    public ISqlDialect Dialect => dialect;

    /// <summary>The clock for the times the stores stamp themselves.</summary>
    public TimeProvider Clock => clock;

    public string Provider => dialect.Name;
    public string Description => dialect.Description;

    /// <summary>Opens a connection ready for use.</summary>
    public ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => dialect.OpenAsync(cancellationToken);

    /// <summary>Waits for this process's turn to write (SQLite's one writer); take it before a write transaction begins.</summary>
    public ValueTask<IDisposable> WriteTurnAsync(CancellationToken cancellationToken) => dialect.WriteTurnAsync(false, cancellationToken);

    /// <summary>The writer turn; an <paramref name="urgent"/> one (an OTP's writes) goes ahead of the writes already waiting for theirs.</summary>
    public ValueTask<IDisposable> WriteTurnAsync(bool urgent, CancellationToken cancellationToken) => dialect.WriteTurnAsync(urgent, cancellationToken);

    /// <summary>Runs a statement (once, or once per element when <paramref name="parameters"/> is a list) and returns the rows it touched.</summary>
    public static Task<int> Exec(DbConnection connection, DbTransaction? transaction, string sql, object? parameters, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));

    /// <summary>A stored time (Unix milliseconds).</summary>
    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>The key a unique, case-insensitive name (a provider's nickname, a group's or a user's name) is stored and looked up by.</summary>
    public static string NameKey(string name) => name.Trim().ToLowerInvariant();

    // ---------------------------------------------------------------- schema

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        using var turn = await dialect.WriteTurnAsync(false, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Exec(connection, transaction, dialect.MigrationLock, null, cancellationToken);
        await Exec(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", null, cancellationToken);
        var applied = (await connection.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations", transaction: transaction, cancellationToken: cancellationToken))).ToHashSet();
        foreach (var (version, name, sql) in Migrations.All)
        {
            if (applied.Contains(version))
            {
                continue;
            }
            await Exec(connection, transaction, sql(dialect), null, cancellationToken);
            await Exec(connection, transaction, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                new { version, name, at = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dialect.OpenAsync(cancellationToken);
            return await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)) == 1;
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => dialect is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
