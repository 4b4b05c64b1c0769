using System.Globalization;
using System.Text;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Audit;

/// <summary>The audit log: the <c>audit_log</c> table.</summary>
internal sealed class SqlAuditStore(SqlDatabase database) : IAuditStore
{
    public async Task AppendAsync(AuditRecord entry, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, action, target_id, summary, client_ip)
            VALUES (@At, @ActorKind, @ActorId, @ActorName, @Action, @TargetId, @Summary, @ClientIp)
            """, new
        {
            At = entry.At.ToUnixTimeMilliseconds(), entry.ActorKind, entry.ActorId, entry.ActorName, entry.Action, entry.TargetId,
            entry.Summary, entry.ClientIp,
        }, cancellationToken);
    }

    public async Task<Page<AuditRecord>> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, 500);
        var sql = new StringBuilder("""
            SELECT id AS Id, at AS At, actor_kind AS ActorKind, actor_id AS ActorId, actor_name AS ActorName, action AS Action,
                target_id AS TargetId, summary AS Summary, client_ip AS ClientIp
            FROM audit_log WHERE 1 = 1
            """);
        var parameters = new DynamicParameters();
        if (query.Actor is { Length: > 0 } actor)
        {
            sql.Append(" AND (actor_id = @actor OR actor_name = @actor)");
            parameters.Add("actor", actor);
        }
        if (query.Action is { Length: > 0 } action)
        {
            if (action.EndsWith('.'))
            {
                sql.Append(" AND action LIKE @action");
                parameters.Add("action", action.Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) + "%");
            }
            else
            {
                sql.Append(" AND action = @action");
                parameters.Add("action", action);
            }
        }
        return await NewestFirstPage.ReadAsync<AuditRow, AuditRecord>(database, sql, parameters, query.Before, limit, r => r.Id, r => r.ToRecord(), cancellationToken);
    }

    private sealed class AuditRow
    {
        public long Id { get; set; }
        public long At { get; set; }
        public string ActorKind { get; set; } = "";
        public string ActorId { get; set; } = "";
        public string? ActorName { get; set; }
        public string Action { get; set; } = "";
        public string? TargetId { get; set; }
        public string Summary { get; set; } = "";
        public string? ClientIp { get; set; }

        public AuditRecord ToRecord() => new()
        {
            Id = Id, At = Time(At), ActorKind = ActorKind, ActorId = ActorId, ActorName = ActorName, Action = Action, TargetId = TargetId,
            Summary = Summary, ClientIp = ClientIp,
        };
    }
}
