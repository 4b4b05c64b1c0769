using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Dashboard;

/// <summary>People who sign in to the dashboard: the <c>dashboard_users</c> table.</summary>
internal sealed class SqlDashboardUserStore(SqlDatabase database) : IDashboardUserStore
{
    private const string UserColumns = """
        id AS Id, username AS Username, password_hash AS PasswordHash, created_at AS CreatedAt, last_sign_in_at AS LastSignInAt,
        security_stamp AS SecurityStamp
        """;

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM dashboard_users", cancellationToken: cancellationToken));
    }

    public async Task<DashboardUserRecord?> FindByUsernameAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM dashboard_users WHERE username_key = @key", new { key = NameKey(username) },
            cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<DashboardUserRecord?> FindByIdAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM dashboard_users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<bool> InsertAsync(DashboardUserRecord user, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            return await Exec(connection, null, """
                INSERT INTO dashboard_users (id, username, username_key, password_hash, created_at, last_sign_in_at)
                VALUES (@Id, @Username, @UsernameKey, @PasswordHash, @CreatedAt, @LastSignInAt)
                """, UserParameters(user), cancellationToken) == 1;
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    public async Task<bool> InsertFirstAsync(DashboardUserRecord user, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two first-run setups at once (two browsers, two nodes) must not both create an admin: the insert runs under
        // the same cluster-wide lock migrations take (PostgreSQL), and SQLite runs one writer at a time anyway.
        await Exec(connection, transaction, database.Dialect.MigrationLock, null, cancellationToken);
        var inserted = await Exec(connection, transaction, """
            INSERT INTO dashboard_users (id, username, username_key, password_hash, created_at, last_sign_in_at)
            SELECT @Id, @Username, @UsernameKey, @PasswordHash, @CreatedAt, @LastSignInAt
            WHERE NOT EXISTS (SELECT 1 FROM dashboard_users)
            """, UserParameters(user), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted == 1;
    }

    public async Task<bool> UpdatePasswordHashAsync(string id, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE dashboard_users SET password_hash = @passwordHash WHERE id = @id",
            new { id, passwordHash }, cancellationToken) == 1;
    }

    public async Task RecordSignInAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await Exec(connection, null, "UPDATE dashboard_users SET last_sign_in_at = @at WHERE id = @id",
            new { id, at = at.ToUnixTimeMilliseconds() }, cancellationToken);
    }

    public async Task<bool> RotateSecurityStampAsync(string id, string stamp, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE dashboard_users SET security_stamp = @stamp WHERE id = @id",
            new { id, stamp }, cancellationToken) == 1;
    }

    private static object UserParameters(DashboardUserRecord u) => new
    {
        u.Id, u.Username, UsernameKey = NameKey(u.Username), u.PasswordHash, CreatedAt = u.CreatedAt.ToUnixTimeMilliseconds(),
        LastSignInAt = u.LastSignInAt?.ToUnixTimeMilliseconds(),
    };

    private sealed class UserRow
    {
        public string Id { get; set; } = "";
        public string Username { get; set; } = "";
        public string PasswordHash { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? LastSignInAt { get; set; }
        public string? SecurityStamp { get; set; }

        public DashboardUserRecord ToRecord() => new()
        {
            Id = Id, Username = Username, PasswordHash = PasswordHash, CreatedAt = Time(CreatedAt),
            LastSignInAt = LastSignInAt is { } at ? Time(at) : null, SecurityStamp = SecurityStamp,
        };
    }
}
