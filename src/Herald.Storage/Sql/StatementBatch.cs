using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace Herald.Storage.Sql;

/// <summary>
/// A write of fixed shape that a bulk write runs for many rows in one statement. The SQL reads its rows from <c>{rows}</c>, a row
/// source aliased <c>r</c> with the named columns: on SQLite one JSON array of rows (<c>json_each</c>), on PostgreSQL one typed
/// array per column (<c>unnest</c>). So a chunk of a thousand rows costs one statement and one or a few parameters, not a thousand
/// statements with their binds. An INSERT … SELECT with ON CONFLICT needs <c>WHERE true</c> before the ON CONFLICT (SQLite's parser).
/// </summary>
internal sealed class Statement
{
    /// <param name="sql">The statement, with <c>{rows}</c> where the row source goes.</param>
    /// <param name="columns">The row source's columns in order, each "name text" or "name bigint".</param>
    public Statement(string sql, params string[] columns)
    {
        Columns = columns.Select(c => c.Split(' ', 2)).Select(p => (Name: p[0], Type: p[1])).ToArray();
        if (Columns.Any(c => c.Type is not ("text" or "bigint")))
        {
            throw new ArgumentException("A column is \"name text\" or \"name bigint\".", nameof(columns));
        }
        var names = string.Join(", ", Columns.Select(c => c.Name));
        SqliteSql = sql.Replace("{rows}", $"(SELECT {string.Join(", ", Columns.Select((c, i) => $"value ->> {i} AS {c.Name}"))} FROM json_each(@rows)) AS r",
            StringComparison.Ordinal);
        PostgresSql = sql.Replace("{rows}", $"unnest({string.Join(", ", Columns.Select((c, i) => $"@c{i}::{c.Type}[]"))}) AS r({names})", StringComparison.Ordinal);
    }

    public (string Name, string Type)[] Columns { get; }
    public string SqliteSql { get; }
    public string PostgresSql { get; }
}

/// <summary>
/// Bulk writes inside one transaction: rows are queued per statement, then each statement runs once over all its rows, in the
/// order the statements were first used. Rows of one statement must not touch the same key twice (an UPDATE … FROM or an
/// ON CONFLICT DO UPDATE would see only one of them, or fail on PostgreSQL): the writers merge them first.
/// </summary>
internal sealed class StatementBatch(DbConnection connection, DbTransaction transaction)
{
    private readonly List<(Statement Statement, List<object?[]> Rows)> _pending = [];

    public int Count => _pending.Sum(p => p.Rows.Count);

    public void Add(Statement statement, params object?[] values)
    {
        if (values.Length != statement.Columns.Length)
        {
            throw new ArgumentException($"The statement takes {statement.Columns.Length} values, not {values.Length}.", nameof(values));
        }
        var rows = _pending.Find(p => p.Statement == statement).Rows;
        if (rows is null)
        {
            rows = [];
            _pending.Add((statement, rows));
        }
        rows.Add(values);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var (statement, rows) in _pending)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            if (connection.CanCreateBatch)
            {
                command.CommandText = statement.PostgresSql;
                for (var i = 0; i < statement.Columns.Length; i++)
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = "c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    parameter.Value = statement.Columns[i].Type == "text"
                        ? rows.Select(r => r[i] is null ? null : Convert.ToString(r[i], System.Globalization.CultureInfo.InvariantCulture)).ToArray()
                        : rows.Select(r => r[i] is null ? (long?)null : Convert.ToInt64(r[i], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                    command.Parameters.Add(parameter);
                }
            }
            else
            {
                command.CommandText = statement.SqliteSql;
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@rows";
                parameter.Value = Json(rows);
                command.Parameters.Add(parameter);
            }
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        _pending.Clear();
    }

    /// <summary>Keys for <see cref="KeyIn"/>: a JSON array on SQLite, an array on PostgreSQL.</summary>
    public static object Keys(ISqlDialect dialect, IEnumerable<string> keys) =>
        dialect.Name == "postgres" ? keys.ToArray() : Json(keys.Select(k => new object?[] { k }).ToList(), flat: true);

    /// <summary>"column is one of the keys", for one parameter made by <see cref="Keys"/> (any number of keys, one bind).</summary>
    public static string KeyIn(ISqlDialect dialect, string column, string parameter) =>
        dialect.Name == "postgres" ? $"{column} = ANY(@{parameter})" : $"{column} IN (SELECT value FROM json_each(@{parameter}))";

    private static string Json(List<object?[]> rows, bool flat = false)
    {
        var buffer = new ArrayBufferWriter<byte>(rows.Count * 64 + 16);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            json.WriteStartArray();
            foreach (var row in rows)
            {
                if (!flat)
                {
                    json.WriteStartArray();
                }
                foreach (var value in row)
                {
                    switch (value)
                    {
                        case null:
                            json.WriteNullValue();
                            break;
                        case string s:
                            json.WriteStringValue(s);
                            break;
                        case long l:
                            json.WriteNumberValue(l);
                            break;
                        case int n:
                            json.WriteNumberValue(n);
                            break;
                        case bool b:
                            json.WriteNumberValue(b ? 1 : 0);
                            break;
                        default:
                            throw new ArgumentException($"A bulk value is a string, a whole number, a bool or null, not {value.GetType().Name}.", nameof(rows));
                    }
                }
                if (!flat)
                {
                    json.WriteEndArray();
                }
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
