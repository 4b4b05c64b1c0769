using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Herald.Storage.Tests.Infrastructure;

/// <summary>
/// One database per test class, migrated, with a <see cref="FakeTimeProvider"/> that the stores use for the
/// times they stamp themselves. Tests in a class share it (xUnit runs them one at a time), so every test
/// makes its own ids, nicknames and campaigns and only looks at its own rows.
/// </summary>
public abstract class StorageFixture : IAsyncLifetime
{
    private readonly List<HeraldDatabase> _opened = [];

    /// <summary>The clock the stores use.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>The migrated database the tests use.</summary>
    public HeraldDatabase Db { get; private set; } = null!;

    /// <summary>Its connection string.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>sqlite or postgres.</summary>
    public abstract string Provider { get; }

    /// <summary>Makes a new, empty database and returns its connection string.</summary>
    public abstract Task<string> NewDatabaseAsync(CancellationToken cancellationToken);

    /// <summary>A plain ADO.NET connection (not opened) for looking behind the stores.</summary>
    public abstract DbConnection RawConnection(string connectionString);

    /// <summary>Opens a database through the public entry point; the fixture disposes it at the end.</summary>
    public HeraldDatabase Open(string connectionString)
    {
        var database = HeraldDatabase.Open(new DatabaseOptions { Provider = Provider, ConnectionString = connectionString }, Time);
        lock (_opened)
        {
            _opened.Add(database);
        }
        return database;
    }

    public virtual async ValueTask InitializeAsync()
    {
        ConnectionString = await NewDatabaseAsync(CancellationToken.None);
        Db = Open(ConnectionString);
        await Db.Database.MigrateAsync(CancellationToken.None);
    }

    public virtual async ValueTask DisposeAsync()
    {
        HeraldDatabase[] opened;
        lock (_opened)
        {
            opened = [.. _opened];
            _opened.Clear();
        }
        foreach (var database in opened)
        {
            await database.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>SQLite files in a fresh temporary folder.</summary>
public sealed class SqliteStorageFixture : StorageFixture
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "herald-storage-tests", Guid.NewGuid().ToString("N"));

    public override string Provider => "sqlite";

    public override Task<string> NewDatabaseAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, $"herald-{Guid.NewGuid():N}.db");
        return Task.FromResult(new SqliteConnectionStringBuilder { DataSource = path }.ToString());
    }

    public override DbConnection RawConnection(string connectionString) =>
        new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Fresh databases on the PostgreSQL server named by <c>HERALD_TEST_POSTGRES</c>, dropped at the end.</summary>
public sealed class PostgresStorageFixture : StorageFixture
{
    /// <summary>The variable that names the server.</summary>
    public const string Variable = "HERALD_TEST_POSTGRES";

    private readonly List<string> _databases = [];
    private string? _server;

    public override string Provider => "postgres";

    private string Server => _server ??= Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            $"{Variable} is not set, so the PostgreSQL half of the storage compliance suite cannot run. " +
            "Run ./test.sh from the repository root (it starts a private server with scripts/postgres.sh and sets the variable), " +
            $"or run: scripts/postgres.sh start && export {Variable}=\"$(scripts/postgres.sh url)\"");

    public override async Task<string> NewDatabaseAsync(CancellationToken cancellationToken)
    {
        var name = $"herald_test_{Guid.NewGuid():N}";
        await using (var connection = AdminConnection())
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{name}\"";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        lock (_databases)
        {
            _databases.Add(name);
        }
        return new NpgsqlConnectionStringBuilder(Server) { Database = name }.ToString();
    }

    public override DbConnection RawConnection(string connectionString) =>
        new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        string[] databases;
        lock (_databases)
        {
            databases = [.. _databases];
            _databases.Clear();
        }
        if (databases.Length == 0)
        {
            return;
        }
        await using var connection = AdminConnection();
        await connection.OpenAsync();
        foreach (var name in databases)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)";
            await command.ExecuteNonQueryAsync();
        }
    }

    // The server's own database from the variable; pooling off so no session lingers on a database we drop.
    private NpgsqlConnection AdminConnection() =>
        new(new NpgsqlConnectionStringBuilder(Server) { Pooling = false }.ToString());
}
