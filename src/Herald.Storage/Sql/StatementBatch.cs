using System.Data.Common;
using System.Text.RegularExpressions;

namespace Herald.Storage.Sql;

/// <summary>
/// A statement of fixed shape that a bulk write runs many times, written with positional parameters <c>@p0</c>, <c>@p1</c>, ...
/// </summary>
internal sealed partial class Statement
{
    public Statement(string sql)
    {
        Sql = sql;
        Parameters = Placeholder().Matches(sql).Select(m => int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        // Npgsql batches take positional $1, $2, ... (named parameters would make it rewrite every statement).
        PostgresSql = Placeholder().Replace(sql, m => "$" + (int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) + 1));
    }

    public string Sql { get; }
    public string PostgresSql { get; }
    public int Parameters { get; }

    [GeneratedRegex(@"@p(\d+)\b")]
    private static partial Regex Placeholder();
}

/// <summary>
/// Bulk writes inside one transaction: statements are queued, then run together: on PostgreSQL as one batch (one round trip),
/// on SQLite through one reused prepared command per statement shape (SQLite is in process, so round trips cost nothing).
/// </summary>
internal sealed class StatementBatch(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
{
    private readonly List<(Statement Statement, object?[] Values)> _pending = [];
    private readonly Dictionary<Statement, DbCommand> _commands = [];

    public int Count => _pending.Count;

    public void Add(Statement statement, params object?[] values)
    {
        if (values.Length != statement.Parameters)
        {
            throw new ArgumentException($"The statement takes {statement.Parameters} values, not {values.Length}.", nameof(values));
        }
        _pending.Add((statement, values));
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
            foreach (var (statement, values) in _pending)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = statement.PostgresSql;
                foreach (var value in values)
                {
                    var parameter = command.CreateParameter();
                    parameter.Value = value ?? DBNull.Value;
                    command.Parameters.Add(parameter);
                }
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            foreach (var (statement, values) in _pending)
            {
                if (!_commands.TryGetValue(statement, out var command))
                {
                    command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = statement.Sql;
                    for (var i = 0; i < statement.Parameters; i++)
                    {
                        var parameter = command.CreateParameter();
                        parameter.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        command.Parameters.Add(parameter);
                    }
                    command.Prepare();
                    _commands[statement] = command;
                }
                for (var i = 0; i < values.Length; i++)
                {
                    command.Parameters[i].Value = values[i] ?? DBNull.Value;
                }
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        _pending.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync();
        }
        _commands.Clear();
    }
}
