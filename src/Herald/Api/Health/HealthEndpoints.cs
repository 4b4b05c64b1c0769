using Herald.Shared;
using Herald.Storage;

namespace Herald.Api.Health;

/// <summary>/healthz (the process answers) and /readyz (the database answers and the server is not stopping).</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).AllowAnonymous();
        app.MapGet("/readyz", async (IDatabase database, IDrainState drain, CancellationToken ct) =>
            drain.Draining
                ? Results.Json(new
                {
                    status = "draining", database = database.Provider,
                    detail = "Herald is stopping: sends in flight finish, unsent messages go back to the queue. Send new traffic elsewhere.",
                }, statusCode: 503)
            : await database.PingAsync(ct)
                ? Results.Ok(new { status = "ready", database = database.Provider })
                : Results.Json(new { status = "unavailable", database = database.Provider, detail = "The database does not answer." }, statusCode: 503))
            .AllowAnonymous();
        return app;
    }
}
