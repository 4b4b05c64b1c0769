using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Keys;

/// <summary>API keys: the <c>api_keys</c> table.</summary>
internal sealed class SqlApiKeyStore(SqlDatabase database) : IApiKeyStore
{
    public async Task InsertAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await Exec(connection, null, """
            INSERT INTO api_keys (id, name, prefix, hash, scope, created_at, revoked_at) VALUES (@Id, @Name, @Prefix, @Hash, @Scope, @CreatedAt, @RevokedAt)
            """, new
        {
            key.Id, key.Name, key.Prefix, key.Hash, key.Scope, CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
            RevokedAt = key.RevokedAt?.ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    public async Task<ApiKeyRecord?> FindActiveByHashAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, prefix AS Prefix, hash AS Hash, scope AS Scope, created_at AS CreatedAt, revoked_at AS RevokedAt FROM api_keys WHERE hash = @hash AND revoked_at IS NULL",
            new { hash }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, prefix AS Prefix, hash AS Hash, scope AS Scope, created_at AS CreatedAt, revoked_at AS RevokedAt FROM api_keys ORDER BY created_at DESC",
            cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL",
            new { id, at = at.ToUnixTimeMilliseconds() }, cancellationToken) == 1;
    }

    private sealed class ApiKeyRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Prefix { get; set; } = "";
        public string Hash { get; set; } = "";
        public string Scope { get; set; } = "admin";
        public long CreatedAt { get; set; }
        public long? RevokedAt { get; set; }

        public ApiKeyRecord ToRecord() => new()
        {
            Id = Id, Name = Name, Prefix = Prefix, Hash = Hash, Scope = Scope, CreatedAt = Time(CreatedAt), RevokedAt = RevokedAt is { } r ? Time(r) : null,
        };
    }

    public async Task<bool> RestoreAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE api_keys SET revoked_at = NULL WHERE id = @id AND revoked_at IS NOT NULL",
            new { id }, cancellationToken) == 1;
    }
}
