using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Segments;

/// <summary>Saved segments (the <c>segments</c> table) and the audience queries over <c>contacts</c> that compiled segments run.</summary>
internal sealed class SqlSegmentStore(SqlDatabase database) : ISegmentStore, IContactAudience
{
    private const string Columns = "id AS Id, name AS Name, rule AS Rule, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public async Task<SegmentRecord?> FindSegmentAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM segments WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<SegmentRecord>> ListSegmentsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM segments ORDER BY lower(name), id", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task InsertSegmentAsync(SegmentRecord segment, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await Exec(connection, null, "INSERT INTO segments (id, name, rule, created_at, updated_at) VALUES (@Id, @Name, @Rule, @CreatedAt, @UpdatedAt)",
            Parameters(segment), cancellationToken);
    }

    public async Task<bool> UpdateSegmentAsync(SegmentRecord segment, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE segments SET name = @Name, rule = @Rule, updated_at = @UpdatedAt WHERE id = @Id",
            Parameters(segment), cancellationToken) == 1;
    }

    public async Task<bool> DeleteSegmentAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "DELETE FROM segments WHERE id = @id", new { id }, cancellationToken) == 1;
    }

    public async Task<long> CountAsync(ContactFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM contacts c WHERE {filter.Where}", Bind(filter), cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<AudienceContact>> ListAsync(ContactFilter filter, int limit, CancellationToken cancellationToken)
    {
        var parameters = Bind(filter);
        parameters.Add("audience_limit", Math.Clamp(limit, 0, 1000));
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ContactRow>(new CommandDefinition($"""
            SELECT c.id AS Id, c.phone AS Phone, c.external_id AS ExternalId, c.country AS Country, c.timezone AS Timezone, c.locale AS Locale,
                c.attributes AS Attributes, c.created_at AS CreatedAt
            FROM contacts c WHERE {filter.Where} ORDER BY c.id LIMIT @audience_limit
            """, parameters, cancellationToken: cancellationToken));
        return rows.Select(r => new AudienceContact
        {
            Id = r.Id, Phone = r.Phone, ExternalId = r.ExternalId, Country = r.Country, Timezone = r.Timezone, Locale = r.Locale,
            Attributes = r.Attributes, CreatedAt = Time(r.CreatedAt),
        }).ToList();
    }

    private static DynamicParameters Bind(ContactFilter filter)
    {
        var parameters = new DynamicParameters();
        foreach (var (name, value) in filter.Parameters)
        {
            parameters.Add(name, value);
        }
        return parameters;
    }

    private static object Parameters(SegmentRecord s) => new
    {
        s.Id, s.Name, s.Rule, CreatedAt = s.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = s.UpdatedAt.ToUnixTimeMilliseconds(),
    };

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Rule { get; set; } = "";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public SegmentRecord ToRecord() => new() { Id = Id, Name = Name, Rule = Rule, CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt) };
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
        public long CreatedAt { get; set; }
    }
}
