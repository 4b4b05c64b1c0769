using Herald.Security;
using System.Text.Json.Nodes;
using Herald.Engagement.Events;
using Herald.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Api.Events;

/// <summary>Segment's answer to an accepted call.</summary>
/// <param name="Success">Always true: the events are stored (a replay of a stored messageId changes nothing).</param>
public sealed record EventAnswer(bool Success);

/// <summary>
/// Segment-compatible event ingestion (<c>/api/v1/identify</c>, <c>/track</c>, <c>/page</c>, <c>/screen</c>, <c>/group</c>, <c>/alias</c>,
/// <c>/batch</c>), so Segment's own libraries and other sources can point at Herald. The write key is an API key, given as Basic auth's
/// user name (as Segment's libraries send it), as the body's <c>writeKey</c>, or as a Bearer key.
/// </summary>
internal static class EventEndpoints
{
    /// <summary>The calls, each answered like Segment's HTTP tracking API.</summary>
    public static readonly string[] Calls = ["identify", "track", "page", "screen", "group", "alias"];

    /// <summary>Whether a request is one of these calls (whose body may carry the write key).</summary>
    public static bool IsEventCall(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/api/v1", out var rest)
        && rest.Value?.TrimStart('/') is { } call && (call == "batch" || Calls.Contains(call));

    public static RouteGroupBuilder MapEvents(this RouteGroupBuilder api)
    {
        foreach (var call in Calls)
        {
            api.MapPost($"/{call}", async Task<Results<Ok<EventAnswer>, ValidationProblem>> (JsonObject body, IEventIngest ingest, CancellationToken ct) =>
            {
                body["type"] ??= call;
                return Answer(await ingest.IngestAsync([body], body["sentAt"], null, ct));
            }).RequireScope(ApiAccess.Send).WithTags("Events").WithSummary(Summary(call));
        }
        var limit = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<IOptions<HeraldOptions>>().Value.MaxBatchBodyBytes;
        api.MapPost("/batch", async Task<Results<Ok<EventAnswer>, ValidationProblem>> (JsonObject body, IEventIngest ingest, CancellationToken ct) =>
        {
            if (body["batch"] is not JsonArray batch)
            {
                return Problems.BadRequest("batch", "The body is {\"batch\": [ ... ]}: a list of identify, track, page, screen, group or alias calls, each with its type.");
            }
            var items = new List<JsonObject>(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i] is not JsonObject item)
                {
                    return Problems.BadRequest($"batch[{i}]", "Each item of the batch is an object with its type, e.g. {\"type\": \"track\", \"userId\": \"u1\", \"event\": \"added_to_cart\"}.");
                }
                items.Add(item);
            }
            return Answer(await ingest.IngestAsync(items, body["sentAt"], "batch", ct));
        }).WithMetadata(new Messages.BodySizeLimit(limit)).RequireScope(ApiAccess.Send).WithTags("Events")
            .WithSummary($"Several calls at once (at most {IEventIngest.MaxBatch:N0}), each with its type: Segment's /v1/batch")
            .WithDescription("All are checked first: one bad item refuses the batch (400 naming it, e.g. batch[3].userId) and nothing is stored. " +
                "Deduplicated on messageId; timestamps are corrected for the sender's clock skew with sentAt, as Segment does; unknown fields are ignored.");
        return api;
    }

    private static string Summary(string call) => call switch
    {
        "identify" => "Segment identify: userId and traits; traits.phone creates or links the contact, other traits become attributes",
        "track" => "Segment track: an event of a known userId (or an anonymousId) with its properties",
        _ => $"Segment {call}: stored as an event",
    };

    private static Results<Ok<EventAnswer>, ValidationProblem> Answer(EventBatchOutcome outcome) =>
        outcome.Errors is { } errors
            ? Problems.Invalid(errors.ToDictionary(e => e.Key, e => new[] { e.Value }))
            : TypedResults.Ok(new EventAnswer(true));
}
