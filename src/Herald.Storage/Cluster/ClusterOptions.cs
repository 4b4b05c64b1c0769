using Microsoft.Extensions.Options;

namespace Herald.Storage.Cluster;

/// <summary>How this node takes part in a cluster of nodes on one PostgreSQL database (<c>Herald:Cluster</c>).</summary>
public sealed class ClusterOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Cluster";

    /// <summary>
    /// This node's name in timelines, <c>/api/v1/cluster</c>, metrics and <c>pg_stat_activity</c>
    /// (env <c>Herald__Cluster__NodeId</c>). Default: <c>{machine name}-{process id}</c>.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// How often a node that is not the leader tries to become it, and how often the leader checks that its database
    /// session (which holds the leadership) is alive. Default 5 s.
    /// </summary>
    public TimeSpan LeaderRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The node id to use: <see cref="NodeId"/> or the default.</summary>
    public string EffectiveNodeId => string.IsNullOrWhiteSpace(NodeId) ? $"{Environment.MachineName}-{Environment.ProcessId}" : NodeId.Trim();
}

internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        var failures = new List<string>();
        if (options.NodeId is { } nodeId && (nodeId.Trim().Length > 48 || nodeId.Any(char.IsControl)))
        {
            failures.Add("Herald:Cluster:NodeId must be at most 48 printable characters (it is shown in timelines and pg_stat_activity).");
        }
        if (options.LeaderRetryInterval < TimeSpan.FromMilliseconds(100) || options.LeaderRetryInterval > TimeSpan.FromMinutes(5))
        {
            failures.Add("Herald:Cluster:LeaderRetryInterval must be between 100 ms and 5 minutes (e.g. 00:00:05).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
