using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Sql;

/// <summary>Dashboard users and the aggregates behind the dashboard's provider health.</summary>
internal sealed partial class SqlStore : IDashboardUserStore, IMessageStats
{
    private const string UserColumns = """
        id AS Id, username AS Username, password_hash AS PasswordHash, created_at AS CreatedAt, last_sign_in_at AS LastSignInAt,
        security_stamp AS SecurityStamp
        """;

    private const string FinalStates = "('delivered', 'undelivered', 'failed', 'expired', 'rejected')";

    // ---------------------------------------------------------------- dashboard users

    async Task<int> IDashboardUserStore.CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM dashboard_users", cancellationToken: cancellationToken));
    }

    async Task<DashboardUserRecord?> IDashboardUserStore.FindByUsernameAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM dashboard_users WHERE username_key = @key", new { key = UsernameKey(username) },
            cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    async Task<DashboardUserRecord?> IDashboardUserStore.FindByIdAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM dashboard_users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    async Task<bool> IDashboardUserStore.InsertAsync(DashboardUserRecord user, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        try
        {
            return await Exec(connection, null, """
                INSERT INTO dashboard_users (id, username, username_key, password_hash, created_at, last_sign_in_at)
                VALUES (@Id, @Username, @UsernameKey, @PasswordHash, @CreatedAt, @LastSignInAt)
                """, UserParameters(user), cancellationToken) == 1;
        }
        catch (Exception ex) when (dialect.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    async Task<bool> IDashboardUserStore.InsertFirstAsync(DashboardUserRecord user, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        using var turn = await dialect.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two first-run setups at once (two browsers, two nodes) must not both create an admin: the insert runs under
        // the same cluster-wide lock migrations take (PostgreSQL), and SQLite runs one writer at a time anyway.
        await Exec(connection, transaction, dialect.MigrationLock, null, cancellationToken);
        var inserted = await Exec(connection, transaction, """
            INSERT INTO dashboard_users (id, username, username_key, password_hash, created_at, last_sign_in_at)
            SELECT @Id, @Username, @UsernameKey, @PasswordHash, @CreatedAt, @LastSignInAt
            WHERE NOT EXISTS (SELECT 1 FROM dashboard_users)
            """, UserParameters(user), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted == 1;
    }

    async Task<bool> IDashboardUserStore.UpdatePasswordHashAsync(string id, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE dashboard_users SET password_hash = @passwordHash WHERE id = @id",
            new { id, passwordHash }, cancellationToken) == 1;
    }

    async Task IDashboardUserStore.RecordSignInAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await Exec(connection, null, "UPDATE dashboard_users SET last_sign_in_at = @at WHERE id = @id",
            new { id, at = at.ToUnixTimeMilliseconds() }, cancellationToken);
    }

    public async Task<bool> RotateSecurityStampAsync(string id, string stamp, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE dashboard_users SET security_stamp = @stamp WHERE id = @id",
            new { id, stamp }, cancellationToken) == 1;
    }

    private static object UserParameters(DashboardUserRecord u) => new
    {
        u.Id, u.Username, UsernameKey = UsernameKey(u.Username), u.PasswordHash, CreatedAt = u.CreatedAt.ToUnixTimeMilliseconds(),
        LastSignInAt = u.LastSignInAt?.ToUnixTimeMilliseconds(),
    };

    private static string UsernameKey(string username) => username.Trim().ToLowerInvariant();

    // ---------------------------------------------------------------- message stats

    async Task<IReadOnlyList<ProviderStateCount>> IMessageStats.CountByStateAsync(string? providerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var filter = providerId is null ? "" : "AND provider_id = @providerId";
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<CountRow>(new CommandDefinition($"""
            SELECT provider_id AS ProviderId, status AS Status, COUNT(*) AS Count FROM messages
            WHERE created_at >= @since {filter}
            GROUP BY provider_id, status
            """, new { providerId, since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return rows.Select(r => new ProviderStateCount(r.ProviderId, DeliveryStates.Parse(r.Status), r.Count)).ToList();
    }

    async Task<IReadOnlyList<HourlyStateCount>> IMessageStats.HourlyAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<HourRow>(new CommandDefinition("""
            SELECT created_at / 3600000 AS Hour, status AS Status, COUNT(*) AS Count FROM messages
            WHERE provider_id = @providerId AND created_at >= @since
            GROUP BY created_at / 3600000, status
            ORDER BY 1, 2
            """, new { providerId, since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return rows.Select(r => new HourlyStateCount(Time(r.Hour * 3_600_000), DeliveryStates.Parse(r.Status), r.Count)).ToList();
    }

    async Task<IReadOnlyList<DeliveryLatency>> IMessageStats.DeliveryLatenciesAsync(string providerId, DateTimeOffset since, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<LatencyRow>(new CommandDefinition($"""
            SELECT MessageId, AcceptedAt, FinalAt, FinalState FROM (
                SELECT m.id AS MessageId, m.status AS FinalState,
                    (SELECT MIN(e.at) FROM message_events e WHERE e.message_id = m.id AND e.applied = 1 AND e.state = 'accepted') AS AcceptedAt,
                    (SELECT MIN(e.at) FROM message_events e WHERE e.message_id = m.id AND e.applied = 1 AND e.state IN {FinalStates}) AS FinalAt
                FROM messages m
                WHERE m.provider_id = @providerId AND m.created_at >= @since AND m.status IN {FinalStates}
            ) x
            WHERE AcceptedAt IS NOT NULL AND FinalAt IS NOT NULL
            ORDER BY MessageId DESC LIMIT @limit
            """, new { providerId, since = since.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new DeliveryLatency(r.MessageId, Time(r.AcceptedAt), Time(r.FinalAt), DeliveryStates.Parse(r.FinalState))).ToList();
    }

    async Task<IReadOnlyList<MessageFailure>> IMessageStats.RecentFailuresAsync(string providerId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<FailureRow>(new CommandDefinition($"""
            SELECT e.message_id AS MessageId, e.at AS At, e.source AS Source, e.event AS Event, e.note AS Note
            FROM message_events e JOIN messages m ON m.id = e.message_id
            WHERE m.provider_id = @providerId
              AND (e.event IN ('permanent-failure', 'transient-failure') OR (e.applied = 1 AND e.state IN ('undelivered', 'failed', 'expired', 'rejected')))
            ORDER BY e.id DESC LIMIT @limit
            """, new { providerId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new MessageFailure(r.MessageId, Time(r.At), r.Source, r.Event, r.Note)).ToList();
    }

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

    private sealed class CountRow
    {
        public string? ProviderId { get; set; }
        public string Status { get; set; } = "";
        public long Count { get; set; }
    }

    private sealed class HourRow
    {
        public long Hour { get; set; }
        public string Status { get; set; } = "";
        public long Count { get; set; }
    }

    private sealed class LatencyRow
    {
        public string MessageId { get; set; } = "";
        public long AcceptedAt { get; set; }
        public long FinalAt { get; set; }
        public string FinalState { get; set; } = "";
    }

    private sealed class FailureRow
    {
        public string MessageId { get; set; } = "";
        public long At { get; set; }
        public string Source { get; set; } = "";
        public string Event { get; set; } = "";
        public string? Note { get; set; }
    }
}
