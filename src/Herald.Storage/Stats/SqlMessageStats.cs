using System.Text;
using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Stats;

/// <summary>Counts and provider figures over <c>messages</c> and <c>message_events</c>: a read model of the message aggregate, writing nothing.</summary>
internal sealed class SqlMessageStats(SqlDatabase database) : IMessageStats
{
    private const string FinalStates = "('delivered', 'undelivered', 'failed', 'expired', 'rejected')";

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
        // Messages past retention were counted into message_daily before they were removed: live rows plus those.
        sql.Append(" UNION ALL SELECT status, SUM(messages) FROM message_daily WHERE 1 = 1");
        if (providerId is not null)
        {
            sql.Append(" AND provider_id = @providerId");
        }
        if (campaignId is not null)
        {
            sql.Append(" AND campaign_id = @campaignId");
        }
        sql.Append(" GROUP BY status");
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Status, long Count)>(new CommandDefinition(sql.ToString(), new { providerId, campaignId }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.Status, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(r => r.Count), StringComparer.Ordinal);
    }

    public async Task<ProviderWindow> WindowAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var counts = await CountByStateAsync(providerId, since, cancellationToken);
        var latencies = await DeliveryLatenciesAsync(providerId, since, IMessageStats.LatencySampleLimit, cancellationToken);
        return ProviderWindow.From(counts, latencies);
    }

    public async Task<IReadOnlyDictionary<string, ProviderWindow>> WindowsByProviderAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var counts = await CountByStateAsync(null, since, cancellationToken);
        return counts.Where(c => c.ProviderId is not null).GroupBy(c => c.ProviderId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => ProviderWindow.From(g, []), StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<ProviderStateCount>> CountByStateAsync(string? providerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var filter = providerId is null ? "" : "AND provider_id = @providerId";
        await using var connection = await database.OpenAsync(cancellationToken);
        // Plus the messages past retention, counted per UTC day before they were removed: the days that start at or after since.
        var sinceMs = since.ToUnixTimeMilliseconds();
        var rows = await connection.QueryAsync<CountRow>(new CommandDefinition($"""
            SELECT provider_id AS ProviderId, status AS Status, COUNT(*) AS Count FROM messages
            WHERE created_at >= @since {filter}
            GROUP BY provider_id, status
            UNION ALL
            SELECT provider_id AS ProviderId, status AS Status, SUM(messages) AS Count FROM message_daily
            WHERE day >= @sinceDay {filter}
            GROUP BY provider_id, status
            """, new { providerId, since = sinceMs, sinceDay = DayAtOrAfter(sinceMs) }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => (ProviderId: string.IsNullOrEmpty(r.ProviderId) ? null : r.ProviderId, r.Status))
            .Select(g => new ProviderStateCount(g.Key.ProviderId, DeliveryStates.Parse(g.Key.Status), g.Sum(r => r.Count))).ToList();
    }

    public async Task<IReadOnlyList<HourlyStateCount>> HourlyAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<HourRow>(new CommandDefinition("""
            SELECT created_at / 3600000 AS Hour, status AS Status, COUNT(*) AS Count FROM messages
            WHERE provider_id = @providerId AND created_at >= @since
            GROUP BY created_at / 3600000, status
            ORDER BY 1, 2
            """, new { providerId, since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return rows.Select(r => new HourlyStateCount(Time(r.Hour * 3_600_000), DeliveryStates.Parse(r.Status), r.Count)).ToList();
    }

    public async Task<IReadOnlyList<DeliveryLatency>> DeliveryLatenciesAsync(string providerId, DateTimeOffset since, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<LatencyRow>(new CommandDefinition($"""
            SELECT MessageId, AcceptedAt, FinalAt, FinalState FROM (
                SELECT m.id AS MessageId, m.status AS FinalState,
                    COALESCE(m.accepted_at,
                        (SELECT MIN(e.at) FROM message_events e WHERE e.message_id = m.id AND e.applied = 1 AND e.state = 'accepted')) AS AcceptedAt,
                    COALESCE((SELECT MIN(e.at) FROM message_events e WHERE e.message_id = m.id AND e.applied = 1 AND e.state IN {FinalStates}),
                        m.delivered_at) AS FinalAt
                FROM messages m
                WHERE m.provider_id = @providerId AND m.created_at >= @since AND m.status IN {FinalStates}
            ) x
            WHERE AcceptedAt IS NOT NULL AND FinalAt IS NOT NULL
            ORDER BY MessageId DESC LIMIT @limit
            """, new { providerId, since = since.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new DeliveryLatency(r.MessageId, Time(r.AcceptedAt), Time(r.FinalAt), DeliveryStates.Parse(r.FinalState))).ToList();
    }

    public async Task<IReadOnlyList<MessageFailure>> RecentFailuresAsync(string providerId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<FailureRow>(new CommandDefinition($"""
            SELECT e.message_id AS MessageId, e.at AS At, e.source AS Source, e.event AS Event, e.note AS Note
            FROM message_events e JOIN messages m ON m.id = e.message_id
            WHERE m.provider_id = @providerId
              AND (e.event IN ('permanent-failure', 'transient-failure') OR (e.applied = 1 AND e.state IN ('undelivered', 'failed', 'expired', 'rejected')))
            ORDER BY e.at DESC, e.message_id DESC, e.id DESC LIMIT @limit
            """, new { providerId, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new MessageFailure(r.MessageId, Time(r.At), r.Source, r.Event, Messages.StoredNote.Expand(r.Note))).ToList();
    }

    /// <summary>The first UTC day (Unix ms / 86,400,000) that starts at or after <paramref name="ms"/>.</summary>
    internal static long DayAtOrAfter(long ms) => ms <= 0 ? 0 : ((ms - 1) / 86_400_000) + 1;

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
