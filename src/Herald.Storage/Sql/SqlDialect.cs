using System.Data.Common;
using Herald.Core.Concurrency;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Herald.Storage.Sql;

/// <summary>What differs between the databases Herald runs on.</summary>
internal interface ISqlDialect
{
    string Name { get; }
    string Description { get; }
    /// <summary>Column type of an auto-incrementing 64-bit primary key.</summary>
    string AutoId { get; }
    /// <summary>Opens a connection ready for use.</summary>
    ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);
    /// <summary>Whether an exception is a unique-constraint violation.</summary>
    bool IsUniqueViolation(Exception exception);
    /// <summary>Row lock for a read inside a write transaction ("FOR UPDATE" or nothing).</summary>
    string ForUpdate { get; }
    /// <summary>
    /// "column IN list" for a list parameter: Dapper expands <c>IN @list</c> on SQLite, but Npgsql takes a
    /// list as one array parameter, which PostgreSQL needs as <c>= ANY(@list)</c>.
    /// </summary>
    string InList(string column, string parameter);
    /// <summary>A top-level text property of a JSON column (<paramref name="key"/> is a plain identifier), or NULL.</summary>
    string JsonText(string column, string key);
    /// <summary>Lets concurrent claimers pass each other's locked rows ("FOR UPDATE SKIP LOCKED" or nothing).</summary>
    string SkipLocked { get; }
    /// <summary>Runs before migrations, inside their transaction (e.g. takes a cluster-wide lock).</summary>
    string MigrationLock { get; }
    /// <summary>
    /// The id of a new row of <c>message_events</c> for the message <paramref name="messageId"/> (an SQL expression), for an
    /// <c>INSERT … VALUES</c>: on SQLite the table is clustered by message (<c>WITHOUT ROWID</c>, key (message_id, id)) and a row
    /// is numbered after the message's last one, which the insert's own seek finds; on PostgreSQL the table's sequence.
    /// </summary>
    string NextEventId(string messageId);
    /// <summary>
    /// Waits for this process's turn to write, before a write transaction begins. SQLite has one writer: waiting here
    /// (asynchronously, first come first served) replaces SQLite's busy handler, which sleeps up to 100 ms at a time
    /// on a blocked thread. PostgreSQL has row locks, so this returns at once. An <paramref name="urgent"/> write (an OTP's:
    /// its intake, the express claim, its answer) goes ahead of the writes already waiting, after the one in progress (a few
    /// urgent turns in a row at most while others wait, so they are never starved).
    /// </summary>
    ValueTask<IDisposable> WriteTurnAsync(bool urgent, CancellationToken cancellationToken);
}

/// <summary>The turn of a database that needs none.</summary>
internal sealed class NoTurn : IDisposable
{
    public static NoTurn Instance { get; } = new();

    public void Dispose()
    {
    }
}

internal sealed class SqliteDialect : ISqlDialect, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly PrioritySemaphore _writer = new(1, 1);

    public SqliteDialect(string connectionString, string synchronous)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            Pooling = true,
            DefaultTimeout = 30,
            ForeignKeys = false,
        };
        _connectionString = builder.ToString();
        _synchronous = synchronous;
        Description = $"sqlite ({builder.DataSource})";
        var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    public string Name => "sqlite";
    public string Description { get; }
    public string AutoId => "INTEGER PRIMARY KEY AUTOINCREMENT";
    public string ForUpdate => "";
    public string SkipLocked => "";
    public string InList(string column, string parameter) => $"{column} IN @{parameter}";
    public string JsonText(string column, string key) => $"json_extract({column}, '$.{key}')";
    public string MigrationLock => "SELECT 1";
    public string NextEventId(string messageId) => MessageEventIds.Sqlite(messageId);

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous={_synchronous}; PRAGMA busy_timeout=30000;";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    public async ValueTask<IDisposable> WriteTurnAsync(bool urgent, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(urgent, cancellationToken);
        return new Turn(_writer);
    }

    public bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 } sqlite && sqlite.Message.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase);

    // Pooled connections keep the file (and its -wal/-shm) open after the database is disposed otherwise.
    public ValueTask DisposeAsync()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    private sealed class Turn(PrioritySemaphore writer) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                writer.Release();
            }
        }
    }
}

internal sealed class PostgresDialect : ISqlDialect, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresDialect(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Description = $"postgres ({builder.Host}:{builder.Port}/{builder.Database})";
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name => "postgres";
    public string Description { get; }
    public string AutoId => "BIGSERIAL PRIMARY KEY";
    public string ForUpdate => "FOR UPDATE";
    public string SkipLocked => "FOR UPDATE SKIP LOCKED";
    public string InList(string column, string parameter) => $"{column} = ANY(@{parameter})";
    public string JsonText(string column, string key) => $"({column}::jsonb ->> '{key}')";
    public string MigrationLock => "SELECT pg_advisory_xact_lock(7311540)";
    public string NextEventId(string messageId) => "DEFAULT";

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public ValueTask<IDisposable> WriteTurnAsync(bool urgent, CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable>(NoTurn.Instance);

    public bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

/// <summary>
/// How SQLite numbers a message's timeline rows: <c>message_events</c> is clustered by message (migration 360), so a row's id
/// is the next after the message's last (ids order a message's entries; nothing orders entries of different messages by id).
/// </summary>
internal static class MessageEventIds
{
    /// <summary>The next id for the message <paramref name="messageId"/> (an SQL expression, e.g. a parameter).</summary>
    public static string Sqlite(string messageId) =>
        $"(SELECT COALESCE(MAX(n.id), 0) + 1 FROM message_events n WHERE n.message_id = {messageId})";
}
