using System.Data.Common;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.ProviderGroups;

/// <summary>Provider groups: the <c>provider_groups</c> table. The ordered provider ids are kept as one comma-separated column: ids never hold commas, and groups are few and read whole.</summary>
internal sealed class SqlProviderGroupStore(SqlDatabase database) : IProviderGroupStore
{
    private const string GroupColumns = """
        id AS Id, name AS Name, provider_ids AS ProviderIds, failover_after AS FailoverAfter, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public async Task<ProviderGroupRecord?> FindGroupAsync(string idOrName, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<GroupRow>(new CommandDefinition(
            $"SELECT {GroupColumns} FROM provider_groups WHERE id = @key OR name_key = @nameKey ORDER BY CASE WHEN id = @key THEN 0 ELSE 1 END",
            new { key = idOrName, nameKey = NameKey(idOrName) }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<ProviderGroupRecord>> ListGroupsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<GroupRow>(new CommandDefinition(
            $"SELECT {GroupColumns} FROM provider_groups ORDER BY name_key", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task InsertGroupAsync(ProviderGroupRecord group, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await Exec(connection, null, """
                INSERT INTO provider_groups (id, name, name_key, provider_ids, failover_after, created_at, updated_at)
                VALUES (@Id, @Name, @NameKey, @ProviderIds, @FailoverAfter, @CreatedAt, @UpdatedAt)
                """, GroupParameters(group), cancellationToken);
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            var holder = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
                "SELECT id FROM provider_groups WHERE name_key = @nameKey", new { nameKey = NameKey(group.Name) }, cancellationToken: cancellationToken));
            if (holder is not null && holder != group.Id)
            {
                throw new DuplicateGroupNameException(group.Name);
            }
            throw;
        }
    }

    public async Task<bool> UpdateGroupAsync(ProviderGroupRecord group, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            return await Exec(connection, null, """
                UPDATE provider_groups SET name = @Name, name_key = @NameKey, provider_ids = @ProviderIds, failover_after = @FailoverAfter,
                    updated_at = @UpdatedAt
                WHERE id = @Id
                """, GroupParameters(group), cancellationToken) == 1;
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            throw new DuplicateGroupNameException(group.Name);
        }
    }

    public async Task<bool> DeleteGroupAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "DELETE FROM provider_groups WHERE id = @id", new { id }, cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<ProviderGroupRecord>> GroupsUsingProviderAsync(string providerId, CancellationToken cancellationToken) =>
        (await ListGroupsAsync(cancellationToken)).Where(g => g.ProviderIds.Contains(providerId, StringComparer.Ordinal)).ToList();

    /// <summary>The groups of claimed messages with their providers that still exist, in order, for the dispatcher (inside the claim's transaction).</summary>
    internal static async Task<Dictionary<string, ProviderGroupRoute>> RoutesAsync(SqlDatabase db, DbConnection connection, DbTransaction transaction,
        List<string> groupIds, CancellationToken cancellationToken)
    {
        if (groupIds.Count == 0)
        {
            return [];
        }
        var groups = (await connection.QueryAsync<GroupRow>(new CommandDefinition(
            $"SELECT {GroupColumns} FROM provider_groups WHERE {db.Dialect.InList("id", "ids")}", new { ids = groupIds.ToArray() }, transaction,
            cancellationToken: cancellationToken))).Select(r => r.ToRecord()).ToList();
        var providerIds = groups.SelectMany(g => g.ProviderIds).Distinct().ToArray();
        var nicknames = providerIds.Length == 0 ? [] : (await connection.QueryAsync<(string Id, string Nickname)>(new CommandDefinition(
            $"SELECT id, nickname FROM providers WHERE {db.Dialect.InList("id", "ids")}", new { ids = providerIds }, transaction,
            cancellationToken: cancellationToken))).ToDictionary(p => p.Id, p => p.Nickname);
        return groups.ToDictionary(g => g.Id, g => new ProviderGroupRoute(g.Id, g.Name,
            g.ProviderIds.Where(nicknames.ContainsKey).Select(id => new GroupMember(id, nicknames[id])).ToList(), g.FailoverAfterAttempts));
    }

    private static object GroupParameters(ProviderGroupRecord g) => new
    {
        g.Id, g.Name, NameKey = NameKey(g.Name), ProviderIds = string.Join(',', g.ProviderIds), FailoverAfter = g.FailoverAfterAttempts,
        CreatedAt = g.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = g.UpdatedAt.ToUnixTimeMilliseconds(),
    };

    private sealed class GroupRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string ProviderIds { get; set; } = "";
        public long FailoverAfter { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public ProviderGroupRecord ToRecord() => new()
        {
            Id = Id, Name = Name, ProviderIds = ProviderIds.Split(',', StringSplitOptions.RemoveEmptyEntries), FailoverAfterAttempts = (int)FailoverAfter,
            CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
        };
    }
}
