using System.Globalization;
using Herald.Simulator.Connector;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Simulator.Inspection;

/// <summary>
/// <c>GET /_sim/requests?limit=N</c>, <c>GET /_sim/callbacks?limit=N</c> (newest first),
/// <c>GET /_sim/stats</c>, and <c>DELETE /_sim/requests</c> (clears logs and counters).
/// </summary>
internal static class InspectionEndpoints
{
    public const string Prefix = "/_sim";
    public const int DefaultLimit = 100;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(Prefix);
        group.MapGet("/requests", GetRequestsAsync);
        group.MapDelete("/requests", ClearAsync);
        group.MapGet("/callbacks", GetCallbacksAsync);
        group.MapGet("/stats", GetStatsAsync);
    }

    private static Task GetRequestsAsync(HttpContext context)
    {
        if (!TryGetLimit(context, out var limit))
        {
            return BadLimitAsync(context);
        }

        var requests = Inspector(context).GetRequests(limit);
        return context.Response.WriteAsJsonAsync(
            requests as RecordedRequest[] ?? [.. requests], SimulatorJsonContext.Default.RecordedRequestArray, cancellationToken: context.RequestAborted);
    }

    private static Task GetCallbacksAsync(HttpContext context)
    {
        if (!TryGetLimit(context, out var limit))
        {
            return BadLimitAsync(context);
        }

        var callbacks = Inspector(context).GetCallbacks(limit);
        return context.Response.WriteAsJsonAsync(
            callbacks as RecordedCallback[] ?? [.. callbacks], SimulatorJsonContext.Default.RecordedCallbackArray, cancellationToken: context.RequestAborted);
    }

    private static Task GetStatsAsync(HttpContext context) =>
        context.Response.WriteAsJsonAsync(
            Inspector(context).GetStats(), SimulatorJsonContext.Default.SimulatorStats, cancellationToken: context.RequestAborted);

    private static Task ClearAsync(HttpContext context)
    {
        Inspector(context).Clear();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static ISimulatorInspector Inspector(HttpContext context) =>
        context.RequestServices.GetRequiredService<ISimulatorInspector>();

    private static bool TryGetLimit(HttpContext context, out int limit)
    {
        var raw = context.Request.Query["limit"].ToString();
        if (raw.Length == 0)
        {
            limit = DefaultLimit;
            return true;
        }

        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit >= 0;
    }

    private static Task BadLimitAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsJsonAsync(
            new ErrorEnvelope(new ErrorBody("invalid_query", "limit", "limit must be a non-negative integer.")),
            SimulatorJsonContext.Default.ErrorEnvelope,
            cancellationToken: context.RequestAborted);
    }
}
