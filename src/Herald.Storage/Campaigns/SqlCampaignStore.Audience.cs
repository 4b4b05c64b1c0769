using Dapper;
using Herald.Storage.Records;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Campaigns;

/// <summary>Reading an audience as launch would freeze it, without freezing it (the dry run and the DLT rule at save).</summary>
internal sealed partial class SqlCampaignStore
{
    /// <summary>The contacts launch freezes: not erased, with a number (the same condition as its insert).</summary>
    private const string Reachable = "c.erased_at IS NULL AND c.phone IS NOT NULL";

    public async Task<IReadOnlyList<CampaignRecipient>> AudienceAsync(CampaignAudience audience, string? after, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 5000);
        var parameters = new DynamicParameters();
        string where;
        switch (audience)
        {
            case CampaignAudience.Contacts contacts:
                // The listed ids are paged here (at most 100,000), so each query names one page of them.
                var page = contacts.ContactIds.Distinct(StringComparer.Ordinal).Where(id => after is null || string.CompareOrdinal(id, after) > 0)
                    .Order(StringComparer.Ordinal).Take(limit).ToArray();
                if (page.Length == 0)
                {
                    return [];
                }
                var found = new List<CampaignRecipient>(page.Length);
                foreach (var chunk in page.Chunk(ListChunk))
                {
                    found.AddRange(await ReadAudienceAsync($"{Reachable} AND {database.Dialect.InList("c.id", "audience_ids")}", new { audience_ids = chunk },
                        null, cancellationToken));
                }
                return [.. found.OrderBy(r => r.ContactId, StringComparer.Ordinal)];
            case CampaignAudience.Segment segment:
                parameters.AddDynamicParams(segment.Filter.Parameters);
                where = $"{Reachable} AND ({segment.Filter.Where})";
                break;
            default:
                where = Reachable;
                break;
        }
        if (after is not null)
        {
            where += " AND c.id > @audience_after";
            parameters.Add("audience_after", after);
        }
        parameters.Add("audience_limit", limit);
        return await ReadAudienceAsync(where, parameters, " ORDER BY c.id LIMIT @audience_limit", cancellationToken);
    }

    public async Task<long> CountAudienceAsync(CampaignAudience audience, string? phonePrefix, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        var where = Reachable;
        if (phonePrefix is not null)
        {
            where += " AND c.phone LIKE @audience_prefix";
            parameters.Add("audience_prefix", phonePrefix + "%");
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        switch (audience)
        {
            case CampaignAudience.Contacts contacts:
                long count = 0;
                foreach (var chunk in contacts.ContactIds.Distinct(StringComparer.Ordinal).Chunk(ListChunk))
                {
                    parameters.Add("audience_ids", chunk);
                    count += await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        $"SELECT COUNT(*) FROM contacts c WHERE {where} AND {database.Dialect.InList("c.id", "audience_ids")}", parameters, cancellationToken: cancellationToken));
                }
                return count;
            case CampaignAudience.Segment segment:
                parameters.AddDynamicParams(segment.Filter.Parameters);
                where += $" AND ({segment.Filter.Where})";
                break;
        }
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM contacts c WHERE {where}", parameters,
            cancellationToken: cancellationToken));
    }

    private async Task<List<CampaignRecipient>> ReadAudienceAsync(string where, object parameters, string? tail, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AudienceRow>(new CommandDefinition($"""
            SELECT c.id AS ContactId, c.phone AS Phone, c.timezone AS Timezone, c.attributes AS Attributes, c.locale AS Locale
            FROM contacts c WHERE {where}{tail}
            """, parameters, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CampaignRecipient(0, r.ContactId, r.Phone, r.Timezone, r.Attributes, r.Locale, 0))];
    }

    private sealed class AudienceRow
    {
        public string ContactId { get; set; } = "";
        public string Phone { get; set; } = "";
        public string? Timezone { get; set; }
        public string? Attributes { get; set; }
        public string? Locale { get; set; }
    }
}
