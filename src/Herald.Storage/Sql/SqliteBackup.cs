using Dapper;
using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sql;

/// <summary>What a SQLite file holds, as far as restoring it is concerned.</summary>
/// <param name="IsHerald">Whether it is a Herald database (its schema table and core tables are there).</param>
/// <param name="Versions">The schema steps applied to it.</param>
/// <param name="Unknown">Steps this Herald does not know: the file was made by a newer Herald.</param>
/// <param name="Messages">How many messages it holds.</param>
/// <param name="Problem">Why it is not usable (not SQLite, damaged), or null.</param>
public sealed record SqliteFileInfo(bool IsHerald, IReadOnlyList<int> Versions, IReadOnlyList<int> Unknown, long Messages, string? Problem);

/// <summary>
/// SQLite backup and inspection: a consistent copy of a live database with SQLite's online backup API (readers and the writer
/// carry on while it runs; the copy is one snapshot), and the checks <c>herald restore</c> makes before it trusts a file.
/// </summary>
public static class SqliteBackup
{
    /// <summary>The schema versions this Herald knows.</summary>
    public static IReadOnlyList<int> KnownVersions { get; } = [.. Migrations.All.Select(m => m.Version)];

    /// <summary>Copies the database of <paramref name="connectionString"/> to <paramref name="destination"/> (a new file).</summary>
    public static async Task BackupAsync(string connectionString, string destination, CancellationToken cancellationToken)
    {
        await using var source = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await source.OpenAsync(cancellationToken);
        await using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = destination, Pooling = false }.ToString());
        await target.OpenAsync(cancellationToken);
        // One step: the copy is a single snapshot even while Herald writes (a write between steps would restart a stepped copy).
        source.BackupDatabase(target);
        await using var command = target.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = DELETE";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads <paramref name="file"/> without changing it.</summary>
    public static async Task<SqliteFileInfo> InspectAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken);
            var integrity = await connection.ExecuteScalarAsync<string>(new CommandDefinition("PRAGMA quick_check", cancellationToken: cancellationToken));
            if (integrity != "ok")
            {
                return new SqliteFileInfo(false, [], [], 0, $"SQLite says the file is damaged: {integrity}");
            }
            var tables = (await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM sqlite_master WHERE type = 'table'", cancellationToken: cancellationToken)))
                .ToHashSet(StringComparer.Ordinal);
            if (!tables.IsSupersetOf(["schema_migrations", "messages", "providers", "api_keys"]))
            {
                return new SqliteFileInfo(false, [], [], 0, "it is a SQLite file but not a Herald database (no schema_migrations, messages, providers and api_keys tables)");
            }
            var versions = (await connection.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations ORDER BY version", cancellationToken: cancellationToken))).ToList();
            var messages = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM messages", cancellationToken: cancellationToken));
            return new SqliteFileInfo(true, versions, [.. versions.Except(KnownVersions)], messages, null);
        }
        catch (SqliteException ex)
        {
            return new SqliteFileInfo(false, [], [], 0, $"it is not a SQLite database ({ex.Message})");
        }
    }
}
