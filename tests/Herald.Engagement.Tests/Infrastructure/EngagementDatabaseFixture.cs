using System.Data.Common;
using Dapper;
using Herald.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Herald.Engagement.Tests.Infrastructure;

/// <summary>
/// One migrated database per test class (a real SQLite file, or a fresh database on the PostgreSQL server named by
/// <c>HERALD_TEST_POSTGRES</c>), with a <see cref="FakeTimeProvider"/> and a plain connection for writing rows the way the
/// contacts and events code does.
/// </summary>
public abstract class EngagementDatabaseFixture : IAsyncLifetime
{
    /// <summary>The clock: "now" for relative windows.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The migrated database.</summary>
    public HeraldDatabase Db { get; private set; } = null!;

    /// <summary>sqlite or postgres.</summary>
    public abstract string Provider { get; }

    protected string ConnectionString { get; private set; } = "";

    protected abstract Task<string> NewDatabaseAsync(CancellationToken cancellationToken);

    /// <summary>A plain ADO.NET connection, opened.</summary>
    public abstract Task<DbConnection> OpenRawAsync(CancellationToken cancellationToken);

    /// <summary>Runs SQL (once, or once per element of a list) on a plain connection.</summary>
    public async Task ExecAsync(string sql, object? parameters = null)
    {
        await using var connection = await OpenRawAsync(CancellationToken.None);
        await connection.ExecuteAsync(sql, parameters);
    }

    public virtual async ValueTask InitializeAsync()
    {
        ConnectionString = await NewDatabaseAsync(CancellationToken.None);
        Db = HeraldDatabase.Open(new DatabaseOptions { Provider = Provider, ConnectionString = ConnectionString }, Time);
        await Db.Database.MigrateAsync(CancellationToken.None);
        await SeedAsync();
    }

    /// <summary>Rows every test of the class reads.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A SQLite file in a fresh temporary folder.</summary>
    public static async Task<string> NewSqliteAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        await Task.CompletedTask;
        return new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, $"herald-{Guid.NewGuid():N}.db") }.ToString();
    }

    /// <summary>The PostgreSQL server's connection string, or a failure that says how to get one.</summary>
    public static string PostgresServer => Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES") is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException("HERALD_TEST_POSTGRES is not set, so the PostgreSQL half of the segment suite cannot run. " +
            "Run ./test.sh (it starts a private server), or: scripts/postgres.sh start && export HERALD_TEST_POSTGRES=\"$(scripts/postgres.sh url)\"");

    /// <summary>Makes a fresh PostgreSQL database.</summary>
    public static async Task<string> NewPostgresAsync(CancellationToken cancellationToken)
    {
        var name = $"herald_test_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await connection.ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ToString();
    }

    /// <summary>Drops a database made by <see cref="NewPostgresAsync"/>.</summary>
    public static async Task DropPostgresAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }
}

/// <summary>The SQLite half: a real file.</summary>
public abstract class SqliteFixture : EngagementDatabaseFixture
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "herald-engagement-tests", Guid.NewGuid().ToString("N"));

    public override string Provider => "sqlite";

    protected override Task<string> NewDatabaseAsync(CancellationToken cancellationToken) => NewSqliteAsync(_directory);

    public override async Task<DbConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

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

/// <summary>The PostgreSQL half: a fresh database, dropped at the end.</summary>
public abstract class PostgresFixture : EngagementDatabaseFixture
{
    public override string Provider => "postgres";

    protected override Task<string> NewDatabaseAsync(CancellationToken cancellationToken) => NewPostgresAsync(cancellationToken);

    public override async Task<DbConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await DropPostgresAsync(ConnectionString);
    }
}
