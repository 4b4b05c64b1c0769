using Dapper;
using Herald.Storage.Records;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Contacts;

internal sealed partial class SqlContactStore : IImportStore
{
    private const string ImportColumns = """
        id AS Id, status AS Status, total_rows AS Rows, imported AS Imported, updated AS Updated, failed AS Failed, errors AS Errors,
        created_at AS CreatedAt, updated_at AS UpdatedAt, finished_at AS FinishedAt
        """;

    async Task IImportStore.InsertAsync(ImportRecord import, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            INSERT INTO imports (id, status, total_rows, imported, updated, failed, errors, created_at, updated_at)
            VALUES (@Id, @Status, @Rows, @Imported, @Updated, @Failed, @Errors, @CreatedAt, @UpdatedAt)
            """, ImportParameters(import), cancellationToken);
    }

    async Task IImportStore.UpdateAsync(ImportRecord import, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            UPDATE imports SET total_rows = @Rows, imported = @Imported, updated = @Updated, failed = @Failed, errors = @Errors, updated_at = @UpdatedAt
            WHERE id = @Id AND status = 'running'
            """, ImportParameters(import), cancellationToken);
    }

    async Task IImportStore.FinishAsync(ImportRecord import, string? errorRowsCsv, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            UPDATE imports SET status = @Status, total_rows = @Rows, imported = @Imported, updated = @Updated, failed = @Failed, errors = @Errors,
                error_rows = @errorRowsCsv, updated_at = @UpdatedAt, finished_at = @FinishedAt
            WHERE id = @Id
            """, new
        {
            import.Id, import.Status, import.Rows, import.Imported, import.Updated, import.Failed, import.Errors, errorRowsCsv,
            UpdatedAt = import.UpdatedAt.ToUnixTimeMilliseconds(), FinishedAt = import.FinishedAt?.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    async Task<ImportRecord?> IImportStore.GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ImportRow>(new CommandDefinition(
            $"SELECT {ImportColumns} FROM imports WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    async Task<string?> IImportStore.GetErrorRowsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT error_rows FROM imports WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    async Task<int> IImportStore.FailStaleAsync(DateTimeOffset notUpdatedSince, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        var now = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await Exec(connection, null, """
            UPDATE imports SET status = 'failed', errors = @errors, updated_at = @now, finished_at = @now
            WHERE status = 'running' AND updated_at < @since
            """, new
        {
            errors = System.Text.Json.JsonSerializer.Serialize(new[] { new { row = 0, error = reason } }),
            now, since = notUpdatedSince.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    private static object ImportParameters(ImportRecord i) => new
    {
        i.Id, i.Status, i.Rows, i.Imported, i.Updated, i.Failed, i.Errors,
        CreatedAt = i.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = i.UpdatedAt.ToUnixTimeMilliseconds(),
    };

    private sealed class ImportRow
    {
        public string Id { get; set; } = "";
        public string Status { get; set; } = "";
        public long Rows { get; set; }
        public long Imported { get; set; }
        public long Updated { get; set; }
        public long Failed { get; set; }
        public string? Errors { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }
        public long? FinishedAt { get; set; }

        public ImportRecord ToRecord() => new()
        {
            Id = Id, Status = Status, Rows = Rows, Imported = Imported, Updated = Updated, Failed = Failed, Errors = Errors,
            CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt), FinishedAt = FinishedAt is { } f ? Time(f) : null,
        };
    }
}
