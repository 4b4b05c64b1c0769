using System.Data.Common;
using Dapper;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Herald.Tests.Campaigns;

/// <summary>Contacts written straight into a test server's database.</summary>
internal static class TestContacts
{
    /// <summary>Contacts ct_0… with numbers +4915155xxxxxx (Germany: no legal sending window) and promotional consent; the first <paramref name="erased"/> erased, the last <paramref name="withoutPhone"/> without a number.</summary>
    /// <param name="herald">The server.</param>
    /// <param name="count">How many.</param>
    /// <param name="erased">How many of the first are erased.</param>
    /// <param name="withoutPhone">How many of the last have no number.</param>
    /// <param name="phone">The number of contact i, instead of +1415555 and i in four digits.</param>
    public static async Task SeedAsync(HeraldInstance herald, int count, int erased = 0, int withoutPhone = 0, Func<int, string>? phone = null)
    {
        await using var connection = await OpenAsync(herald);
        await SeedAsync(connection, count, erased, withoutPhone, phone);
    }

    /// <summary>Contacts in the SQLite database of a server (a process) on <paramref name="dataDir"/>.</summary>
    public static Task SeedSqliteAsync(string dataDir, int count, Func<int, string>? phone = null) => SeedProcessAsync(dataDir, null, count, phone);

    /// <summary>Contacts in the database of a server (a process): PostgreSQL at <paramref name="postgres"/> when given, else SQLite on <paramref name="dataDir"/>.</summary>
    public static async Task SeedProcessAsync(string dataDir, string? postgres, int count, Func<int, string>? phone = null)
    {
        await using var connection = OpenProcessDatabase(dataDir, postgres);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await SeedAsync(connection, count, 0, 0, phone);
        await transaction.CommitAsync();
    }

    /// <summary>A connection (not opened) to a server process's database: PostgreSQL at <paramref name="postgres"/> when given, else SQLite on <paramref name="dataDir"/>.</summary>
    public static DbConnection OpenProcessDatabase(string dataDir, string? postgres) => postgres is not null
        ? new NpgsqlConnection(postgres)
        : new SqliteConnection($"Data Source={Path.Combine(dataDir, "herald.db")};Pooling=false");

    private static async Task SeedAsync(DbConnection connection, int count, int erased, int withoutPhone, Func<int, string>? phone)
    {
        for (var i = 0; i < count; i++)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO contacts (id, phone, country, attributes, erased_at, created_at, updated_at)
                VALUES (@id, @phone, 'US', '{}', @erased, 0, 0)
                """;
            Add(command, "id", $"ct_{i}");
            Add(command, "phone", i >= count - withoutPhone ? null : phone?.Invoke(i) ?? $"+4915155{i:D6}");
            Add(command, "erased", i < erased ? 1L : null, System.Data.DbType.Int64);
            await command.ExecuteNonQueryAsync();
            // Promotional consent, so the send-path policy lets campaigns (mkt) reach them.
            await using var consent = connection.CreateCommand();
            consent.CommandText = "INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES (@id, 'promotional', 1, 'test', 0)";
            Add(consent, "id", $"ct_{i}");
            await consent.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// Many contacts in one transaction, each as <paramref name="contacts"/> describes it (promotional consent granted, refused or
    /// not on record), and the numbers in <paramref name="suppressed"/> on the suppression list (opt-out, every category).
    /// </summary>
    public static async Task SeedManyAsync(HeraldInstance herald, IReadOnlyList<SeedContact> contacts, IReadOnlyList<string> suppressed)
    {
        await using var connection = await OpenAsync(herald);
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO contacts (id, phone, country, attributes, created_at, updated_at) VALUES (@Id, @Phone, @Country, @Attributes, 0, 0)
            """, contacts, transaction);
        await connection.ExecuteAsync("""
            INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES (@Id, 'promotional', @Granted, 'test', 0)
            """, contacts.Where(c => c.Promotional is not null).Select(c => new { c.Id, Granted = c.Promotional == true ? 1 : 0 }), transaction);
        await connection.ExecuteAsync("""
            INSERT INTO suppressions (phone, reason, categories, source, created_at, updated_at) VALUES (@phone, 'opt-out', '*', 'test', 0, 0)
            """, suppressed.Select(phone => new { phone }), transaction);
        await transaction.CommitAsync();
    }

    public static async Task SetAttributesAsync(HeraldInstance herald, int contact, string attributes)
    {
        await using var connection = await OpenAsync(herald);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE contacts SET attributes = @attributes WHERE id = @id";
        Add(command, "attributes", attributes);
        Add(command, "id", $"ct_{contact}");
        await command.ExecuteNonQueryAsync();
    }

    public static async Task SetTimeZoneAsync(HeraldInstance herald, int contact, string zone)
    {
        await using var connection = await OpenAsync(herald);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE contacts SET timezone = @zone WHERE id = @id";
        Add(command, "zone", zone);
        Add(command, "id", $"ct_{contact}");
        await command.ExecuteNonQueryAsync();
    }

    private static void Add(DbCommand command, string name, object? value, System.Data.DbType type = System.Data.DbType.String)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
    }

    private static async Task<DbConnection> OpenAsync(HeraldInstance herald)
    {
        DbConnection connection = herald.Settings.GetValueOrDefault("Herald:Database:ConnectionString") is { } postgres
            ? new NpgsqlConnection(postgres)
            : new SqliteConnection($"Data Source={Path.Combine(herald.DataDir, "herald.db")}");
        await connection.OpenAsync();
        return connection;
    }
}

/// <summary>A contact to seed: its id, number, country, attributes (JSON) and promotional consent (null: none on record).</summary>
internal sealed record SeedContact(string Id, string Phone, string Country, string Attributes, bool? Promotional);
