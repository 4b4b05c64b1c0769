namespace Herald.Storage.Cluster;

/// <summary>
/// Which node of a cluster runs the cluster-wide scheduled jobs (lease-expiry sweeps, parked-report matching, later
/// campaign ticks). Every node still claims and sends messages; only those jobs run on the leader.
/// </summary>
/// <remarks>
/// Leadership is exclusive while the leader's database session lives. When that session dies silently, the old
/// leader notices at its next check (within <see cref="ClusterOptions.LeaderRetryInterval"/>) while another node may
/// already have taken over, so a leader job must be safe to run twice at once (every job today is one atomic update).
/// </remarks>
public interface IClusterLeadership
{
    /// <summary>This node's name (<see cref="ClusterOptions.NodeId"/>).</summary>
    string NodeId { get; }

    /// <summary>Whether this node is the leader now.</summary>
    bool IsLeader { get; }

    /// <summary>When this node last became the leader; null while it is not.</summary>
    DateTimeOffset? LeaderSince { get; }

    /// <summary>How the leader is chosen, for operators (e.g. <c>postgres advisory lock</c>).</summary>
    string Election { get; }

    /// <summary>The node id of the current leader as the database sees it (this node's or another's); null when none leads.</summary>
    Task<string?> LeaderNodeAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="job"/> when this node is the leader; returns whether it ran.</summary>
    Task<bool> RunIfLeaderAsync(Func<CancellationToken, Task> job, CancellationToken cancellationToken);
}

/// <summary>Takes part in the election: started with the host, stopped (leadership released) when the node stops.</summary>
internal interface ILeaderElection : IClusterLeadership, IAsyncDisposable
{
    /// <summary>Makes a first attempt at once, then keeps contesting (or checking) in the background.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops contesting and releases leadership.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>A database only one node can use (SQLite): that node always leads.</summary>
internal sealed class SingleNodeLeadership(string nodeId, TimeProvider time) : ILeaderElection
{
    private readonly DateTimeOffset _since = time.GetUtcNow();

    public string NodeId => nodeId;
    public bool IsLeader => true;
    public DateTimeOffset? LeaderSince => _since;
    public string Election => "single node (sqlite)";

    public Task<string?> LeaderNodeAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(nodeId);

    public async Task<bool> RunIfLeaderAsync(Func<CancellationToken, Task> job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        await job(cancellationToken);
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
