namespace Herald.Storage.Sql;

/// <summary>
/// The one claim statement for leased work tables (the dispatch queue, the outbox): marks up to <c>@limit</c> due rows as
/// held and returns them, in one statement. On PostgreSQL concurrent claimers skip each other's locked rows
/// (<c>FOR UPDATE SKIP LOCKED</c>), so several nodes share the work without ever taking the same row; SQLite has one
/// writer at a time, so the statement alone is enough there.
/// </summary>
internal static class LeaseClaim
{
    /// <param name="dialect">The database.</param>
    /// <param name="table">The work table.</param>
    /// <param name="set">What claiming sets (the lease, a status, counters).</param>
    /// <param name="due">Which rows are due.</param>
    /// <param name="order">Which due rows go first.</param>
    /// <param name="returning">The columns to return.</param>
    public static string Sql(ISqlDialect dialect, string table, string set, string due, string order, string returning) => $"""
        UPDATE {table} SET {set}
        WHERE id IN (SELECT id FROM {table} WHERE {due} ORDER BY {order} LIMIT @limit {dialect.SkipLocked})
        RETURNING {returning}
        """;
}
