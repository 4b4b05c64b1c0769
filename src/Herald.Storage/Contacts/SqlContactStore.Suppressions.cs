using System.Globalization;
using Dapper;
using Herald.Storage.Records;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Contacts;

internal sealed partial class SqlContactStore : ISuppressionStore
{
    private const string SuppressionColumns = "phone AS Phone, reason AS Reason, categories AS Categories, source AS Source, created_at AS CreatedAt, updated_at AS UpdatedAt";

    async Task<SuppressionRecord> ISuppressionStore.UpsertAsync(SuppressionRecord suppression, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            INSERT INTO suppressions (phone, reason, categories, source, created_at, updated_at) VALUES (@Phone, @Reason, @Categories, @Source, @CreatedAt, @UpdatedAt)
            ON CONFLICT (phone) DO UPDATE SET reason = excluded.reason, categories = excluded.categories, source = excluded.source, updated_at = excluded.updated_at
            """, new
        {
            suppression.Phone, suppression.Reason, suppression.Categories, suppression.Source,
            CreatedAt = suppression.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = suppression.UpdatedAt.ToUnixTimeMilliseconds(),
        }, cancellationToken);
        var row = await connection.QuerySingleAsync<SuppressionRow>(new CommandDefinition(
            $"SELECT {SuppressionColumns} FROM suppressions WHERE phone = @phone", new { phone = suppression.Phone }, cancellationToken: cancellationToken));
        return row.ToRecord();
    }

    async Task<SuppressionRecord?> ISuppressionStore.FindAsync(string phone, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<SuppressionRow>(new CommandDefinition(
            $"SELECT {SuppressionColumns} FROM suppressions WHERE phone = @phone", new { phone }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    async Task<Page<SuppressionRecord>> ISuppressionStore.ListAsync(string? reason, int limit, string? after, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 500);
        long? afterAt = null;
        string? afterPhone = null;
        if (after is not null && after.Split(' ', 2) is [var at, var phone] && long.TryParse(at, CultureInfo.InvariantCulture, out var ms))
        {
            (afterAt, afterPhone) = (ms, phone);
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<SuppressionRow>(new CommandDefinition($"""
            SELECT {SuppressionColumns} FROM suppressions
            WHERE (@reason IS NULL OR reason = @reason)
              AND (@afterAt IS NULL OR created_at < @afterAt OR (created_at = @afterAt AND phone < @afterPhone))
            ORDER BY created_at DESC, phone DESC LIMIT @limit
            """, new { reason, afterAt, afterPhone, limit = limit + 1 }, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? $"{rows[limit - 1].CreatedAt.ToString(CultureInfo.InvariantCulture)} {rows[limit - 1].Phone}" : null;
        return new Page<SuppressionRecord>(rows.Take(limit).Select(r => r.ToRecord()).ToList(), next);
    }

    async Task<bool> ISuppressionStore.DeleteAsync(string phone, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, "DELETE FROM suppressions WHERE phone = @phone", new { phone }, cancellationToken) == 1;
    }

    private sealed class SuppressionRow
    {
        public string Phone { get; set; } = "";
        public string Reason { get; set; } = "";
        public string Categories { get; set; } = "";
        public string? Source { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public SuppressionRecord ToRecord() => new()
        {
            Phone = Phone, Reason = Reason, Categories = Categories, Source = Source, CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
        };
    }
}
