using Microsoft.Data.Sqlite;
using Npgsql;

namespace Herald.Storage;

/// <summary>Tells a database that is away (down, restarting, its disk full, busy) from a query that is wrong.</summary>
public static class DatabaseFaults
{
    /// <summary>
    /// Whether <paramref name="exception"/> (or one inside it) says the database could not take the work for a reason outside
    /// the request, so the same request may succeed later: the caller answers 503, not 500. <paramref name="reason"/> says
    /// which, in words for an operator.
    /// </summary>
    public static bool IsUnavailable(Exception exception, out string reason)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException { SqliteErrorCode: 13 }:
                    reason = "the disk holding the SQLite database is full";
                    return true;
                case SqliteException { SqliteErrorCode: 5 or 6 }:
                    reason = "the SQLite database is locked by another writer";
                    return true;
                case SqliteException { SqliteErrorCode: 10 or 14 } io:
                    reason = $"SQLite could not read or write its files ({io.Message.Split('\'')[0].Trim()})";
                    return true;
                case PostgresException { SqlState: "53100" }:
                    reason = "the disk of the PostgreSQL server is full";
                    return true;
                case PostgresException { SqlState: "57P01" or "57P02" or "57P03" }:
                    reason = "the PostgreSQL server is shutting down or starting";
                    return true;
                case NpgsqlException { IsTransient: true }:
                    reason = "the PostgreSQL server cannot be reached";
                    return true;
            }
        }
        reason = "";
        return false;
    }
}
