using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Herald.Storage.Cluster;

/// <summary>
/// Leadership as a session-level PostgreSQL advisory lock (<c>pg_try_advisory_lock</c>) held on a dedicated,
/// unpooled connection. A node that is not the leader tries again every <see cref="ClusterOptions.LeaderRetryInterval"/>;
/// the leader checks its session on the same beat and steps down when the connection breaks. Stopping closes the
/// session, which releases the lock at once. Advisory locks are per database, so Herald databases sharing a server
/// do not contend.
/// </summary>
internal sealed partial class PostgresLeaderElection : ILeaderElection
{
    /// <summary>The advisory lock key (the migrations use 7311540 as a transaction lock).</summary>
    internal const long LockKey = 7311541;

    private const string ApplicationPrefix = "herald:";

    private readonly string _connectionString;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _connection;
    private volatile Leading? _leading;
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private int _disposed;

    public PostgresLeaderElection(string connectionString, ClusterOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        NodeId = options.EffectiveNodeId;
        // Unpooled: the lock lives and dies with this one session. The application name lets operators find the leader.
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = ApplicationPrefix + NodeId,
            Timeout = Math.Clamp((int)Math.Ceiling(options.LeaderRetryInterval.TotalSeconds * 2), 2, 30),
        }.ToString();
    }

    public string NodeId { get; }
    public bool IsLeader => _leading is not null;
    public DateTimeOffset? LeaderSince => _leading?.Since;
    public string Election => "postgres advisory lock";

    public async Task<bool> RunIfLeaderAsync(Func<CancellationToken, Task> job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!IsLeader)
        {
            return false;
        }
        await job(cancellationToken);
        return true;
    }

    public async Task<string?> LeaderNodeAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.classid = {LockKey >> 32} AND l.objid = {LockKey & 0xFFFFFFFF} AND l.objsubid = 1
            """, connection);
        var name = await command.ExecuteScalarAsync(cancellationToken) as string;
        return name is null ? null : name.StartsWith(ApplicationPrefix, StringComparison.Ordinal) ? name[ApplicationPrefix.Length..] : name;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await AttemptAsync(cancellationToken);
        _stopping = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is { } stopping)
        {
            await stopping.CancelAsync();
            await (_loop ?? Task.CompletedTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            var wasLeader = IsLeader;
            await DropConnectionAsync();
            if (wasLeader)
            {
                LogReleased(_logger, NodeId);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.LeaderRetryInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await AttemptAsync(stoppingToken);
        }
    }

    /// <summary>One beat: contest the lock when not leading, check the session when leading; any failure means not leading.</summary>
    private async Task AttemptAsync(CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(Max(_options.LeaderRetryInterval, TimeSpan.FromSeconds(2)), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await _gate.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            if (IsLeader)
            {
                await CheckAsync(linked.Token);
            }
            else
            {
                await ContestAsync(linked.Token);
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            await LoseAsync(ex);
        }
        catch (OperationCanceledException)
        {
            // stopping: StopAsync closes the session
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ContestAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        command.Parameters.AddWithValue("key", LockKey);
        if (await command.ExecuteScalarAsync(cancellationToken) is true)
        {
            _leading = new Leading(_time.GetUtcNow());
            LogBecameLeader(_logger, NodeId);
        }
    }

    /// <summary>The lock is held while the session lives; asking pg_locks also catches a pooler that swapped the session.</summary>
    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var connection = _connection is { State: System.Data.ConnectionState.Open } open ? open
            : throw new InvalidOperationException("the leader's connection is closed");
        await using var command = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
                AND classid = @high AND objid = @low AND objsubid = 1)
            """, connection);
        command.Parameters.AddWithValue("high", (long)(LockKey >> 32));
        command.Parameters.AddWithValue("low", LockKey & 0xFFFFFFFF);
        if (await command.ExecuteScalarAsync(cancellationToken) is not true)
        {
            throw new InvalidOperationException("the session no longer holds the leader lock");
        }
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open)
        {
            return open;
        }
        await DropConnectionAsync();
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await KeepAliveAsync(connection, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        _connection = connection;
        return connection;
    }

    /// <summary>
    /// Lets the server notice a vanished leader (power cut, network gone) within a few beats instead of the operating
    /// system's default of hours, so the lock is freed for another node.
    /// </summary>
    private async Task KeepAliveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(_options.LeaderRetryInterval.TotalSeconds));
        var sql = string.Create(CultureInfo.InvariantCulture,
            $"SET tcp_keepalives_idle = {seconds}; SET tcp_keepalives_interval = {seconds}; SET tcp_keepalives_count = 3; SET tcp_user_timeout = {seconds * 4000}");
        await using var command = new NpgsqlCommand(sql, connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            // An older server without one of them: the lock still works, a vanished leader is just noticed later.
            LogNoKeepAlive(_logger, ex.MessageText);
        }
    }

    private async Task LoseAsync(Exception reason)
    {
        var wasLeader = IsLeader;
        await DropConnectionAsync();
        if (wasLeader)
        {
            LogLost(_logger, NodeId, reason);
        }
        else
        {
            LogContestFailed(_logger, NodeId, reason.Message);
        }
    }

    private async Task DropConnectionAsync()
    {
        _leading = null;
        if (_connection is { } connection)
        {
            _connection = null;
            try
            {
                await connection.DisposeAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
            {
                // the session is gone either way
            }
        }
    }

    private sealed record Leading(DateTimeOffset Since);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await StopAsync(CancellationToken.None);
        _stopping?.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} is now the cluster leader: it runs the cluster-wide scheduled jobs")]
    private static partial void LogBecameLeader(ILogger logger, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} lost the cluster leadership (its database session broke); it will contest it again")]
    private static partial void LogLost(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Node {NodeId} could not contest the cluster leadership: {Reason}")]
    private static partial void LogContestFailed(ILogger logger, string nodeId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not set TCP keepalives on the leader session ({Reason}); a vanished leader may hold the leadership until the server notices")]
    private static partial void LogNoKeepAlive(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} released the cluster leadership (stopping)")]
    private static partial void LogReleased(ILogger logger, string nodeId);
}
