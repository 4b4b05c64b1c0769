using Dapper;

namespace Herald.Storage.Sql;

/// <summary>Reports parked until their provider message id is known.</summary>
internal sealed partial class SqlStore : IPendingReports
{
    public async Task<IReadOnlyList<(PendingReport Report, string MessageId)>> MatchedAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string ProviderId, string ProviderMessageId, string Report, long ReceivedAt, string MessageId)>(
            new CommandDefinition("""
                SELECT p.id, p.provider_id, p.provider_message_id, p.report, p.received_at, m.id
                FROM pending_reports p JOIN messages m ON m.provider_id = p.provider_id AND m.provider_message_id = p.provider_message_id
                ORDER BY p.id LIMIT @limit
                """, new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => (new PendingReport
        {
            Id = r.Id, ProviderId = r.ProviderId, ProviderMessageId = r.ProviderMessageId, Report = r.Report, ReceivedAt = Time(r.ReceivedAt),
        }, r.MessageId)).ToList();
    }

    public async Task RemoveAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM pending_reports WHERE {dialect.InList("id", "ids")}", new { ids = ids.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<PendingReport>> StaleAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string ProviderId, string ProviderMessageId, string Report, long ReceivedAt)>(new CommandDefinition(
            "SELECT id, provider_id, provider_message_id, report, received_at FROM pending_reports WHERE received_at < @before ORDER BY id LIMIT @limit",
            new { before = before.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new PendingReport
        {
            Id = r.Id, ProviderId = r.ProviderId, ProviderMessageId = r.ProviderMessageId, Report = r.Report, ReceivedAt = Time(r.ReceivedAt),
        }).ToList();
    }
}
