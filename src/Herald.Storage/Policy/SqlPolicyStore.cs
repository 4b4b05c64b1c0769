using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Policy;

/// <summary>
/// The policy's reads over <c>suppressions</c>, <c>contacts</c>/<c>contact_consents</c> and <c>messages</c>, one query each
/// per list of numbers (a claim or a batch), in chunks of <see cref="SqlDatabase.ListChunk"/>.
/// </summary>
internal sealed class SqlPolicyStore(SqlDatabase database) : IPolicyStore, IDltTemplateStore
{
    private const string TemplateColumns = """
        template_id AS TemplateId, entity_id AS EntityId, header AS Header, category AS Category, text AS Text, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public async Task<IReadOnlyDictionary<string, SuppressionEntry>> SuppressionsAsync(IReadOnlyCollection<string> phones, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, SuppressionEntry>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in phones.Distinct().Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string Phone, string Reason, string Categories, long CreatedAt)>(new CommandDefinition(
                $"SELECT phone, reason, categories, created_at FROM suppressions WHERE {database.Dialect.InList("phone", "phones")}",
                new { phones = chunk }, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                var categories = row.Categories.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                result[row.Phone] = new SuppressionEntry(row.Phone, row.Reason, categories.Length == 0 ? ["*"] : categories, Time(row.CreatedAt));
            }
        }
        return result;
    }

    public async Task<IReadOnlyDictionary<string, PolicyContact>> ContactsAsync(IReadOnlyCollection<string> phones, CancellationToken cancellationToken)
    {
        var contacts = new Dictionary<string, (string Id, string? Country, string? TimeZone, Dictionary<string, bool> Consents)>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in phones.Distinct().Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string Id, string Phone, string? Country, string? TimeZone, string? Category, long? Granted)>(new CommandDefinition($"""
                SELECT c.id, c.phone, c.country, c.timezone, cc.category, cc.granted
                FROM contacts c LEFT JOIN contact_consents cc ON cc.contact_id = c.id
                WHERE {database.Dialect.InList("c.phone", "phones")} AND c.erased_at IS NULL
                """, new { phones = chunk }, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                if (!contacts.TryGetValue(row.Phone, out var contact))
                {
                    contacts[row.Phone] = contact = (row.Id, row.Country, row.TimeZone, new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase));
                }
                if (row.Category is not null)
                {
                    contact.Consents[row.Category] = row.Granted is > 0;
                }
            }
        }
        return contacts.ToDictionary(c => c.Key, c => new PolicyContact(c.Value.Id, c.Key, c.Value.Country, c.Value.TimeZone, c.Value.Consents), StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<CountedMessage>> RecentAsync(IReadOnlyCollection<string> phones, string type, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var result = new List<CountedMessage>();
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in phones.Distinct().Chunk(ListChunk))
        {
            // next_attempt_at is when a queued message is due and, once sent, when it was last due (about when it went).
            var rows = await connection.QueryAsync<(string Id, string ToNumber, long At)>(new CommandDefinition($"""
                SELECT id, to_number, next_attempt_at FROM messages
                WHERE {database.Dialect.InList("to_number", "phones")} AND type = @type AND next_attempt_at >= @since
                  AND status IN ('queued', 'dispatching', 'accepted', 'sent', 'delivered', 'undelivered')
                """, new { phones = chunk, type, since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
            result.AddRange(rows.Select(r => new CountedMessage(r.Id, r.ToNumber, Time(r.At))));
        }
        return result;
    }

    // ---------------------------------------------------------------- DLT templates

    public async Task<bool> InsertAsync(DltTemplateRecord template, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        try
        {
            await Exec(connection, null, """
                INSERT INTO dlt_templates (template_id, entity_id, header, category, text, created_at, updated_at)
                VALUES (@TemplateId, @EntityId, @Header, @Category, @Text, @CreatedAt, @UpdatedAt)
                """, Parameters(template), cancellationToken);
            return true;
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    public async Task<bool> UpdateAsync(DltTemplateRecord template, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, """
            UPDATE dlt_templates SET entity_id = @EntityId, header = @Header, category = @Category, text = @Text, updated_at = @UpdatedAt
            WHERE template_id = @TemplateId
            """, Parameters(template), cancellationToken) > 0;
    }

    public async Task<bool> DeleteAsync(string templateId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, "DELETE FROM dlt_templates WHERE template_id = @templateId", new { templateId }, cancellationToken) > 0;
    }

    public async Task<DltTemplateRecord?> GetAsync(string templateId, CancellationToken cancellationToken) =>
        (await FindManyAsync([templateId], cancellationToken)).GetValueOrDefault(templateId);

    public async Task<IReadOnlyList<DltTemplateRecord>> ListAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<TemplateRow>(new CommandDefinition(
            $"SELECT {TemplateColumns} FROM dlt_templates WHERE @after IS NULL OR template_id > @after ORDER BY template_id LIMIT @limit",
            new { after, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyDictionary<string, DltTemplateRecord>> FindManyAsync(IReadOnlyCollection<string> templateIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, DltTemplateRecord>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in templateIds.Distinct().Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<TemplateRow>(new CommandDefinition(
                $"SELECT {TemplateColumns} FROM dlt_templates WHERE {database.Dialect.InList("template_id", "ids")}", new { ids = chunk }, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                result[row.TemplateId] = row.ToRecord();
            }
        }
        return result;
    }

    private static object Parameters(DltTemplateRecord t) => new
    {
        t.TemplateId, t.EntityId, t.Header, t.Category, t.Text,
        CreatedAt = t.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = t.UpdatedAt.ToUnixTimeMilliseconds(),
    };

    private sealed class TemplateRow
    {
        public string TemplateId { get; set; } = "";
        public string EntityId { get; set; } = "";
        public string Header { get; set; } = "";
        public string Category { get; set; } = "";
        public string Text { get; set; } = "";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public DltTemplateRecord ToRecord() => new()
        {
            TemplateId = TemplateId, EntityId = EntityId, Header = Header, Category = Category, Text = Text,
            CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
        };
    }
}
