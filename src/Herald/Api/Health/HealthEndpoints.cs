using Herald.Shared;
using Herald.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Health;

/// <summary>The answer of /healthz and /readyz.</summary>
/// <param name="Status">ok (healthz); ready, draining or unavailable (readyz).</param>
/// <param name="Database">sqlite or postgres (readyz).</param>
/// <param name="Detail">Why the server is not ready.</param>
public sealed record HealthStatus(string Status, string? Database = null, string? Detail = null);

/// <summary>/healthz (the process answers) and /readyz (the database answers and the server is not stopping).</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok")))
            .AllowAnonymous().WithTags("Operations").WithSummary("The process answers");
        app.MapGet("/readyz", async Task<Results<Ok<HealthStatus>, JsonHttpResult<HealthStatus>>> (IDatabase database, IDrainState drain, CancellationToken ct) =>
            drain.Draining
                ? TypedResults.Json(new HealthStatus("draining", database.Provider,
                    "Herald is stopping: sends in flight finish, unsent messages go back to the queue. Send new traffic elsewhere."), statusCode: 503)
            : await database.PingAsync(ct)
                ? TypedResults.Ok(new HealthStatus("ready", database.Provider))
                : TypedResults.Json(new HealthStatus("unavailable", database.Provider, "The database does not answer."), statusCode: 503))
            .Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous().WithTags("Operations").WithSummary("The database answers and the server takes traffic");
        return app;
    }
}
