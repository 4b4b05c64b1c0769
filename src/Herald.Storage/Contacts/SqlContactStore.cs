using System.Data.Common;
using System.Text;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Contacts;

/// <summary>
/// Contacts, consent, the suppression list, events with their per-contact aggregates, and imports: the tables of schema step 80.
/// One store because an identify event writes a contact and its event in one transaction.
/// </summary>
internal sealed partial class SqlContactStore(SqlDatabase database) : IContactStore
{
    private const string ContactColumns = """
        id AS Id, phone AS Phone, external_id AS ExternalId, country AS Country, timezone AS Timezone, locale AS Locale, attributes AS Attributes,
        erased_at AS ErasedAt, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Attempts of a bulk write that lost a race on a unique key (PostgreSQL, another writer inserted the same phone).</summary>
    private const int Attempts = 3;

    public Task<ContactRecord?> GetAsync(string id, CancellationToken cancellationToken) => FindAsync("id", id, live: false, cancellationToken);

    public Task<ContactRecord?> FindByPhoneAsync(string phone, CancellationToken cancellationToken) => FindAsync("phone", phone, live: true, cancellationToken);

    public Task<ContactRecord?> FindByExternalIdAsync(string externalId, CancellationToken cancellationToken) =>
        FindAsync("external_id", externalId, live: true, cancellationToken);

    private async Task<ContactRecord?> FindAsync(string column, string value, bool live, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ContactRow>(new CommandDefinition(
            $"SELECT {ContactColumns} FROM contacts WHERE {column} = @value{(live ? " AND erased_at IS NULL" : "")}", new { value }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }
        var consents = await connection.QueryAsync<(string Category, long Granted, string Source, long At)>(new CommandDefinition(
            "SELECT category, granted, source, at FROM contact_consents WHERE contact_id = @id ORDER BY category", new { id = row.Id }, cancellationToken: cancellationToken));
        return row.ToRecord() with { Consents = consents.Select(c => new ConsentRecord(c.Category, c.Granted != 0, c.Source, Time(c.At))).ToList() };
    }

    public Task<IReadOnlyList<ContactUpsertResult>> UpsertAsync(IReadOnlyList<ContactChange> changes, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<ContactUpsertResult>>(async (connection, transaction, batch, now) =>
        {
            var writer = new ContactWriter(database, connection, transaction, batch);
            var results = await writer.UpsertAsync(changes, now, cancellationToken);
            writer.Stage();
            return results;
        }, cancellationToken);

    /// <summary>
    /// One bulk write: a transaction (after the writer turn), a statement batch that <paramref name="work"/> fills and that is flushed
    /// before the commit. On PostgreSQL a write that loses a race on a unique key is run again: its lookups then see the winner.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, StatementBatch, long, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            using var turn = await database.WriteTurnAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new StatementBatch(connection, transaction);
            try
            {
                var result = await work(connection, transaction, batch, database.Clock.GetUtcNow().ToUnixTimeMilliseconds());
                await batch.FlushAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            catch (Exception ex) when (attempt < Attempts && database.Dialect.IsUniqueViolation(ex))
            {
                await transaction.RollbackAsync(cancellationToken);
            }
        }
    }

    public async Task<Page<ContactRecord>> ListAsync(ContactQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 500);
        var sql = new StringBuilder($"SELECT {ContactColumns} FROM contacts WHERE erased_at IS NULL");
        var parameters = new DynamicParameters();
        if (query.Phone is not null)
        {
            sql.Append(" AND phone = @phone");
            parameters.Add("phone", query.Phone);
        }
        if (query.ExternalId is not null)
        {
            sql.Append(" AND external_id = @externalId");
            parameters.Add("externalId", query.ExternalId);
        }
        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            // LIKE with an escape character: a % or _ in the text is matched literally.
            var pattern = "%" + query.Text.Trim().ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            sql.Append(" AND (phone LIKE @text ESCAPE '\\' OR LOWER(external_id) LIKE @text ESCAPE '\\' OR LOWER(attributes) LIKE @text ESCAPE '\\')");
            parameters.Add("text", pattern);
        }
        if (query.After is not null)
        {
            sql.Append(" AND id < @after");
            parameters.Add("after", query.After);
        }
        sql.Append(" ORDER BY id DESC LIMIT @limit");
        parameters.Add("limit", limit + 1);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ContactRow>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? rows[limit - 1].Id : null;
        var page = rows.Take(limit).ToList();
        var consents = (page.Count == 0 ? [] : await connection.QueryAsync<(string ContactId, string Category, long Granted, string Source, long At)>(new CommandDefinition(
            $"SELECT contact_id, category, granted, source, at FROM contact_consents WHERE {database.Dialect.InList("contact_id", "ids")} ORDER BY category",
            new { ids = page.Select(r => r.Id).ToArray() }, cancellationToken: cancellationToken)))
            .ToLookup(c => c.ContactId, c => new ConsentRecord(c.Category, c.Granted != 0, c.Source, Time(c.At)));
        return new Page<ContactRecord>(page.Select(r => r.ToRecord() with { Consents = consents[r.Id].ToList() }).ToList(), next);
    }

    public async Task<bool> EraseAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var phone = await connection.QueryFirstOrDefaultAsync<(string Id, string? Phone)?>(new CommandDefinition(
            $"SELECT id, phone FROM contacts WHERE id = @id AND erased_at IS NULL {database.Dialect.ForUpdate}", new { id }, transaction, cancellationToken: cancellationToken));
        if (phone is null)
        {
            return false;
        }
        var now = database.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await Exec(connection, transaction, """
            UPDATE contacts SET phone = NULL, external_id = NULL, attributes = '{}', locale = NULL, erased_at = @now, updated_at = @now WHERE id = @id
            """, new { id, now }, cancellationToken);
        await Exec(connection, transaction, "DELETE FROM contact_consents WHERE contact_id = @id", new { id }, cancellationToken);
        await Exec(connection, transaction, "UPDATE events SET user_id = NULL, anonymous_id = NULL, properties = NULL WHERE contact_id = @id", new { id }, cancellationToken);
        if (phone.Value.Phone is { } number)
        {
            await Exec(connection, transaction, """
                UPDATE messages SET body = NULL, template_variables = NULL, updated_at = @now WHERE to_number = @number
                """, new { number, now }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private sealed class ContactRow
    {
        public string Id { get; set; } = "";
        public string? Phone { get; set; }
        public string? ExternalId { get; set; }
        public string? Country { get; set; }
        public string? Timezone { get; set; }
        public string? Locale { get; set; }
        public string Attributes { get; set; } = "{}";
        public long? ErasedAt { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public ContactRecord ToRecord() => new()
        {
            Id = Id, Phone = Phone, ExternalId = ExternalId, Country = Country, Timezone = Timezone, Locale = Locale, Attributes = Attributes,
            ErasedAt = ErasedAt is { } erased ? Time(erased) : null, CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
        };
    }
}
