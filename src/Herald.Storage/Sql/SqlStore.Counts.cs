using System.Text;
using Dapper;

namespace Herald.Storage.Sql;

/// <summary>Aggregates over messages and timelines.</summary>
internal sealed partial class SqlStore : IMessageCounts
{
    public async Task<IReadOnlyDictionary<string, long>> CountByStatusAsync(string? providerId, string? campaignId, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT status, COUNT(*) FROM messages WHERE 1 = 1");
        if (providerId is not null)
        {
            sql.Append(" AND provider_id = @providerId");
        }
        if (campaignId is not null)
        {
            sql.Append(" AND campaign_id = @campaignId");
        }
        sql.Append(" GROUP BY status");
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Status, long Count)>(new CommandDefinition(sql.ToString(), new { providerId, campaignId }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Status, r => r.Count);
    }

    public async Task<ProviderFigures> ProviderFiguresAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var parameters = new { providerId, since = since.ToUnixTimeMilliseconds() };
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var byStatus = (await connection.QueryAsync<(string Status, long Count)>(new CommandDefinition(
            "SELECT status, COUNT(*) FROM messages WHERE provider_id = @providerId AND created_at >= @since GROUP BY status",
            parameters, cancellationToken: cancellationToken))).ToDictionary(r => r.Status, r => r.Count);
        var latencies = (await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT f.at - a.at
            FROM messages m
            JOIN message_events a ON a.message_id = m.id AND a.event = 'accepted' AND a.applied = 1
            JOIN message_events f ON f.message_id = m.id AND f.source = 'dlr' AND f.applied = 1
                AND f.state IN ('delivered', 'undelivered', 'failed', 'expired', 'rejected')
            WHERE m.provider_id = @providerId AND m.created_at >= @since
            LIMIT 200000
            """, parameters, cancellationToken: cancellationToken))).Where(l => l >= 0).ToList();
        var errors = (await connection.QueryAsync<(long At, string MessageId, string Event, string? Note)>(new CommandDefinition("""
            SELECT e.at, e.message_id, e.event, e.note
            FROM message_events e JOIN messages m ON m.id = e.message_id
            WHERE m.provider_id = @providerId AND e.at >= @since
                AND (e.event IN ('permanent-failure', 'transient-failure') OR (e.source = 'dlr' AND e.state IN ('undelivered', 'failed', 'expired', 'rejected')))
            ORDER BY e.id DESC LIMIT 10
            """, parameters, cancellationToken: cancellationToken)))
            .Select(e => new ErrorEntry(Time(e.At), e.MessageId, e.Event, e.Note)).ToList();
        return new ProviderFigures(byStatus, latencies, errors);
    }
}
