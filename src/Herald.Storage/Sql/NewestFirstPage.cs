using System.Globalization;
using System.Text;
using Dapper;
using Herald.Storage.Records;

namespace Herald.Storage.Sql;

/// <summary>
/// A page of an append-only table read newest first by its auto id: the caller's filters in <c>sql</c> (which ends in a
/// WHERE clause), then <c>id &lt; before</c>, one row more than the page to know whether another follows.
/// </summary>
internal static class NewestFirstPage
{
    public static async Task<Page<TRecord>> ReadAsync<TRow, TRecord>(SqlDatabase database, StringBuilder sql, DynamicParameters parameters, long? before,
        int limit, Func<TRow, long> id, Func<TRow, TRecord> record, CancellationToken cancellationToken)
    {
        if (before is { } b)
        {
            sql.Append(" AND id < @before");
            parameters.Add("before", b);
        }
        sql.Append(" ORDER BY id DESC LIMIT @limit");
        parameters.Add("limit", limit + 1);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<TRow>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? id(rows[limit - 1]).ToString(CultureInfo.InvariantCulture) : null;
        return new Page<TRecord>([.. rows.Take(limit).Select(record)], next);
    }
}
