using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Herald.Storage.Sql;

/// <summary>
/// A write of fixed shape that a <see cref="StatementBatch"/> runs many times. Two kinds:
/// <list type="bullet">
/// <item><b>Per row</b> (<c>new Statement(sql)</c>): positional parameters <c>@p0</c>, <c>@p1</c>, …; each row is its own execution, in
/// the order the rows were added (the hot path's few rows of many shapes).</item>
/// <item><b>Set-based</b> (<c>new Statement(sql, "name text", "at bigint", …)</c>): the SQL reads its rows from <c>{rows}</c>, a row
/// source aliased <c>r</c> with the named columns: on SQLite one JSON array of rows (<c>json_each</c>), on PostgreSQL one typed array
/// per column (<c>unnest</c>). So a chunk of a thousand rows costs one statement and a few parameters, not a thousand statements with
/// their binds. An INSERT … SELECT with ON CONFLICT needs <c>WHERE true</c> before the ON CONFLICT (SQLite's parser).</item>
/// </list>
/// A set-based statement with a <see cref="SqliteRow"/> runs set-based on PostgreSQL only: on SQLite (in process, no round trips,
/// no statement to plan again) each row is one execution of that prepared one-row statement, as the hot path's writes ran there
/// before they became set-based. With <see cref="KeyedByFirstColumn"/> a row whose
/// first value (an UPDATE's key) is already in the pending set starts a second execution after the first, so rows for one key apply
/// in order, as they would one by one.
/// </summary>
internal sealed partial class Statement
{
    /// <param name="sql">
    /// The statement: with <c>@p0</c>… placeholders (per row), or with <c>{rows}</c> where the row source goes. An UPDATE … FROM
    /// <c>{rows}</c> also says <c>AND table.key {in_keys}</c> ("is one of the rows' first values"): PostgreSQL plans the join over
    /// its guess of the rows' number and, on a table of some ten thousand rows, scans all of it for a few hundred rows; with the keys
    /// as <c>= ANY(array)</c> it looks them up in the key's index.
    /// </param>
    /// <param name="columns">For a set-based statement, the row source's columns in order, each "name text" or "name bigint".</param>
    public Statement(string sql, params string[] columns)
    {
        Columns = [.. columns.Select(c => c.Split(' ', 2)).Select(p => (Name: p[0], Type: p.Length > 1 ? p[1] : ""))];
        if (Columns.Any(c => c.Type is not ("text" or "bigint")))
        {
            throw new ArgumentException("A column is \"name text\" or \"name bigint\".", nameof(columns));
        }
        if (SetBased)
        {
            Parameters = Columns.Length;
            Sql = sql.Replace("{rows}", $"(SELECT {string.Join(", ", Columns.Select((c, i) => $"value ->> {i} AS {c.Name}"))} FROM json_each(@rows)) AS r",
                StringComparison.Ordinal).Replace("{in_keys}", "IN (SELECT value ->> 0 FROM json_each(@rows))", StringComparison.Ordinal);
            // Positional $1, $2, … so an Npgsql batch runs it as is.
            PostgresSql = sql.Replace("{rows}",
                $"unnest({string.Join(", ", Columns.Select((c, i) => $"${i + 1}::{c.Type}[]"))}) AS r({string.Join(", ", Columns.Select(c => c.Name))})",
                StringComparison.Ordinal).Replace("{in_keys}", $"= ANY($1::{Columns[0].Type}[])", StringComparison.Ordinal);
            return;
        }
        Sql = sql;
        Parameters = Placeholder().Matches(sql).Select(m => int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        // Npgsql batches take positional $1, $2, ... (named parameters would make it rewrite every statement).
        PostgresSql = Placeholder().Replace(sql, m => "$" + (int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture) + 1));
    }

    /// <summary>The SQLite text (per row: <c>@p0</c>…; set-based: one <c>@rows</c> JSON parameter).</summary>
    public string Sql { get; }

    /// <summary>The PostgreSQL text, with positional parameters.</summary>
    public string PostgresSql { get; }

    /// <summary>The values each row takes.</summary>
    public int Parameters { get; }

    /// <summary>A set-based statement's row source columns; empty for a per-row statement.</summary>
    public (string Name, string Type)[] Columns { get; }

    /// <summary>Whether all of a batch's rows run in one execution.</summary>
    public bool SetBased => Columns.Length > 0;

    /// <summary>
    /// For a set-based statement that SQLite runs row by row: the same write of one row, with the row's values as <c>@p0</c>, <c>@p1</c>, …
    /// in the columns' order (a plain <c>INSERT … VALUES</c> or <c>UPDATE … WHERE key = @p0</c>: SQLite materialises a row source
    /// for an <c>UPDATE … FROM</c>, which costs two to three times the plain statement per row).
    /// </summary>
    public string? SqliteRow { get; init; }

    /// <summary>Whether SQLite runs this set-based statement once per row (<see cref="SqliteRow"/>).</summary>
    public bool RowByRowOnSqlite => SqliteRow is not null;

    /// <summary>The set-based rows must not repeat their first value in one execution (an UPDATE … FROM keyed by it): a repeat runs in the next one.</summary>
    public bool KeyedByFirstColumn { get; init; }

    [GeneratedRegex(@"@p(\d+)\b")]
    private static partial Regex Placeholder();
}

/// <summary>
/// Writes inside one transaction, queued and then run together by <see cref="FlushAsync"/>: on PostgreSQL as one batch (one round
/// trip), on SQLite through one reused prepared command per statement shape (SQLite is in process, so round trips cost nothing).
/// Per-row statements run in the order their rows were added. A set-based statement runs once over all its rows, at the place it was
/// first used; its rows must not touch the same key twice (an UPDATE … FROM or an ON CONFLICT DO UPDATE would see only one of them,
/// or fail on PostgreSQL): the writers merge them first.
/// </summary>
internal sealed class StatementBatch(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
{
    private readonly List<(Statement Statement, List<object?[]> Rows)> _pending = [];
    private readonly Dictionary<Statement, (List<object?[]> Rows, HashSet<object>? Keys)> _sets = [];
    private readonly Dictionary<Statement, DbCommand> _commands = [];

    /// <summary>The rows queued.</summary>
    public int Count { get; private set; }

    public void Add(Statement statement, params object?[] values)
    {
        if (values.Length != statement.Parameters)
        {
            throw new ArgumentException($"The statement takes {statement.Parameters} values, not {values.Length}.", nameof(values));
        }
        Count++;
        if (!statement.SetBased)
        {
            _pending.Add((statement, [values]));
            return;
        }
        if (!_sets.TryGetValue(statement, out var set)
            || (statement.KeyedByFirstColumn && values[0] is { } key && set.Keys!.Contains(key)))
        {
            set = ([], statement.KeyedByFirstColumn ? [] : null);
            _sets[statement] = set;
            _pending.Add((statement, set.Rows));
        }
        set.Rows.Add(values);
        if (values[0] is { } first)
        {
            set.Keys?.Add(first);
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return;
        }
        if (connection.CanCreateBatch)
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var (statement, rows) in _pending)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = statement.PostgresSql;
                if (statement.SetBased)
                {
                    for (var i = 0; i < statement.Columns.Length; i++)
                    {
                        var parameter = command.CreateParameter();
                        parameter.Value = Column(rows, i, statement.Columns[i].Type);
                        command.Parameters.Add(parameter);
                    }
                }
                else
                {
                    foreach (var value in rows[0])
                    {
                        var parameter = command.CreateParameter();
                        parameter.Value = value ?? DBNull.Value;
                        command.Parameters.Add(parameter);
                    }
                }
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            foreach (var (statement, rows) in _pending)
            {
                var command = Prepared(statement);
                if (statement.SetBased && !statement.RowByRowOnSqlite)
                {
                    command.Parameters[0].Value = Json(rows);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    continue;
                }
                foreach (var row in rows)
                {
                    for (var i = 0; i < row.Length; i++)
                    {
                        command.Parameters[i].Value = row[i] ?? DBNull.Value;
                    }
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
        }
        _pending.Clear();
        _sets.Clear();
        Count = 0;
    }

    /// <summary>
    /// Runs a set-based statement with a <c>RETURNING</c> clause over <paramref name="rows"/> now (after what is queued, which goes first)
    /// and reads the first column of what it returns: for a conditional UPDATE whose rows decide what else the transaction writes.
    /// One statement for all the rows, as when queued.
    /// </summary>
    public async Task<List<T>> ReturningAsync<T>(Statement statement, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
    {
        if (!statement.SetBased)
        {
            throw new ArgumentException("Only a set-based statement returns rows for all its rows at once.", nameof(statement));
        }
        await FlushAsync(cancellationToken);
        var result = new List<T>(rows.Count);
        if (rows.Count == 0)
        {
            return result;
        }
        var list = rows as List<object?[]> ?? [.. rows];
        DbCommand command;
        if (connection.CanCreateBatch)
        {
            command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statement.PostgresSql;
            for (var i = 0; i < statement.Columns.Length; i++)
            {
                var parameter = command.CreateParameter();
                parameter.Value = Column(list, i, statement.Columns[i].Type);
                command.Parameters.Add(parameter);
            }
        }
        else
        {
            command = Prepared(statement);
            command.Parameters[0].Value = Json(list);
        }
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                result.Add(reader.GetFieldValue<T>(0));
            }
        }
        finally
        {
            if (connection.CanCreateBatch)
            {
                await command.DisposeAsync();
            }
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync();
        }
        _commands.Clear();
    }

    /// <summary>Keys for <see cref="KeyIn"/>: a JSON array on SQLite, an array on PostgreSQL.</summary>
    public static object Keys(ISqlDialect dialect, IEnumerable<string> keys) =>
        dialect.Name == "postgres" ? keys.ToArray() : Json(keys.Select(k => new object?[] { k }).ToList(), flat: true);

    /// <summary>"column is one of the keys", for one parameter made by <see cref="Keys"/> (any number of keys, one bind).</summary>
    public static string KeyIn(ISqlDialect dialect, string column, string parameter) =>
        dialect.Name == "postgres" ? $"{column} = ANY(@{parameter})" : $"{column} IN (SELECT value FROM json_each(@{parameter}))";

    private DbCommand Prepared(Statement statement)
    {
        if (_commands.TryGetValue(statement, out var command))
        {
            return command;
        }
        command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = statement.SqliteRow ?? statement.Sql;
        if (statement.SetBased && !statement.RowByRowOnSqlite)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@rows";
            command.Parameters.Add(parameter);
        }
        else
        {
            for (var i = 0; i < statement.Parameters; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
                command.Parameters.Add(parameter);
            }
            command.Prepare();
        }
        _commands[statement] = command;
        return command;
    }

    private static object Column(List<object?[]> rows, int i, string type) => type == "text"
        ? rows.Select(r => r[i] is null ? null : Convert.ToString(r[i], CultureInfo.InvariantCulture)).ToArray()
        : rows.Select(r => r[i] is null ? (long?)null : Convert.ToInt64(r[i], CultureInfo.InvariantCulture)).ToArray();

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
