using Herald.Security;
using Herald.Storage;
using Herald.Storage.Cluster;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Cluster;

/// <summary>This node's view of the cluster, as <c>GET /api/v1/cluster</c> answers it.</summary>
/// <param name="NodeId">This node's id (<c>Herald:Cluster:NodeId</c>).</param>
/// <param name="Leader">Whether this node is the leader (runs the cluster-wide scheduled jobs).</param>
/// <param name="LeaderSince">When it became the leader.</param>
/// <param name="LeaderNode">The leader's node id as the database sees it; null when no node leads right now.</param>
/// <param name="Election">How the leader is chosen.</param>
/// <param name="Database">sqlite or postgres.</param>
public sealed record ClusterView(string NodeId, bool Leader, DateTimeOffset? LeaderSince, string? LeaderNode, string Election, string Database);

/// <summary><c>GET /api/v1/cluster</c>: which node this is and which node leads.</summary>
internal static class ClusterEndpoints
{
    public static RouteGroupBuilder MapCluster(this RouteGroupBuilder api)
    {
        api.MapGet("/cluster", async Task<Ok<ClusterView>> (IClusterLeadership leadership, IDatabase database, CancellationToken ct) =>
            TypedResults.Ok(new ClusterView(leadership.NodeId, leadership.IsLeader, leadership.LeaderSince,
                await leadership.LeaderNodeAsync(ct), leadership.Election, database.Provider)))
            .RequireScope(ApiAccess.Read).WithTags("Cluster").WithSummary("This node and the cluster's leader");
        return api;
    }
}
