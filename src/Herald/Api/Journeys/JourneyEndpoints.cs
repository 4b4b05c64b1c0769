using Herald.Engagement.Journeys;
using Herald.Security;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Journeys;

/// <summary>The answer of POST /api/v1/journeys/validate.</summary>
/// <param name="Valid">Whether the definition can be saved and published.</param>
/// <param name="Errors">What to fix, by field.</param>
public sealed record JourneyValidation(bool Valid, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>One instance: where a contact is in a journey.</summary>
public sealed record JourneyInstanceView(long Id, int Version, string ContactId, string Node, bool Waiting, string Status, DateTimeOffset? WakeAt,
    string TriggerMessageId, DateTimeOffset EnteredAt, DateTimeOffset? ExitedAt, string? ExitReason, DateTimeOffset? ConvertedAt);

/// <summary>/api/v1/journeys: write a journey, publish it, pause or resume it, and see what it achieved.</summary>
internal static class JourneyEndpoints
{
    public static RouteGroupBuilder MapJourneys(this RouteGroupBuilder api)
    {
        var journeys = api.MapGroup("/journeys");
        journeys.MapPost("", CreateAsync).RequireScope(ApiAccess.Admin, "journey.create").WithSummary("Write a journey (a draft)");
        journeys.MapPost("/validate", ValidateAsync).RequireScope(ApiAccess.Read).WithSummary("Check a journey definition without saving it");
        journeys.MapGet("", ListAsync).RequireScope(ApiAccess.Read).WithSummary("List journeys, newest first");
        journeys.MapGet("/{id}", GetAsync).RequireScope(ApiAccess.Read).WithSummary("A journey and its draft definition");
        journeys.MapPut("/{id}", UpdateAsync).RequireScope(ApiAccess.Admin, "journey.update").WithSummary("Change the draft (published versions never change)");
        journeys.MapPost("/{id}/publish", (string id, IJourneys j, CancellationToken ct) => ChangeAsync(j.PublishAsync(id, ct), id))
            .RequireScope(ApiAccess.Admin, "journey.publish").WithSummary("Make the draft a new immutable version that new entries take");
        journeys.MapPost("/{id}/pause", (string id, IJourneys j, CancellationToken ct) => ChangeAsync(j.PauseAsync(id, ct), id))
            .RequireScope(ApiAccess.Admin, "journey.pause").WithSummary("Hold the journey: nobody enters and no timer fires");
        journeys.MapPost("/{id}/resume", (string id, IJourneys j, CancellationToken ct) => ChangeAsync(j.ResumeAsync(id, ct), id))
            .RequireScope(ApiAccess.Admin, "journey.resume").WithSummary("Continue a paused journey");
        journeys.MapGet("/{id}/report", ReportAsync).RequireScope(ApiAccess.Read).WithSummary("What the journey achieved: entered, active per node, exits, sends, conversions");
        journeys.MapGet("/{id}/instances", InstancesAsync).RequireScope(ApiAccess.Read).WithSummary("Where contacts are in the journey, newest first");
        return api;
    }

    private static async Task<Results<Created<JourneyView>, ValidationProblem>> CreateAsync(JourneyDefinition definition, IJourneys journeys, CancellationToken ct)
    {
        var result = await journeys.CreateAsync(definition, ct);
        return result.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Created($"/api/v1/journeys/{result.Journey!.Id}", result.Journey);
    }

    private static async Task<Ok<JourneyValidation>> ValidateAsync(JourneyDefinition definition, IJourneys journeys, CancellationToken ct)
    {
        var errors = await journeys.ValidateAsync(definition, ct);
        return TypedResults.Ok(new JourneyValidation(errors.Count == 0, errors));
    }

    private static async Task<Results<Ok<IReadOnlyList<JourneyView>>, ValidationProblem>> ListAsync(int? limit, IJourneys journeys, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.BadRequest("limit", "limit must be between 1 and 1000.");
        }
        return TypedResults.Ok(await journeys.ListAsync(limit ?? 100, ct));
    }

    private static async Task<Results<Ok<JourneyView>, NotFoundProblem>> GetAsync(string id, IJourneys journeys, CancellationToken ct) =>
        await journeys.GetAsync(id, ct) is { } journey ? TypedResults.Ok(journey) : NotFound(id);

    private static Task<Results<Ok<JourneyView>, ValidationProblem, NotFoundProblem, ConflictProblem>> UpdateAsync(string id, JourneyDefinition definition,
        IJourneys journeys, CancellationToken ct) => ChangeAsync(journeys.UpdateAsync(id, definition, ct), id);

    private static async Task<Results<Ok<JourneyView>, ValidationProblem, NotFoundProblem, ConflictProblem>> ChangeAsync(Task<JourneyResult> change, string id)
    {
        var result = await change;
        return result switch
        {
            { NotFound: true } => NotFound(id),
            { Errors: { } errors } => Problems.Invalid(errors),
            { Conflict: { } conflict } => Problems.Conflict("Not in that state", conflict),
            _ => TypedResults.Ok(result.Journey!),
        };
    }

    private static async Task<Results<Ok<JourneyReport>, NotFoundProblem>> ReportAsync(string id, IJourneys journeys, CancellationToken ct) =>
        await journeys.ReportAsync(id, ct) is { } report ? TypedResults.Ok(report) : NotFound(id);

    private static async Task<Results<Ok<IReadOnlyList<JourneyInstanceView>>, ValidationProblem, NotFoundProblem>> InstancesAsync(string id, string? contactId, int? limit,
        IJourneys journeys, IJourneyStore store, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.BadRequest("limit", "limit must be between 1 and 1000.");
        }
        if (await journeys.GetAsync(id, ct) is null)
        {
            return NotFound(id);
        }
        var rows = await store.InstancesAsync(id, string.IsNullOrWhiteSpace(contactId) ? null : contactId, limit ?? 100, ct);
        return TypedResults.Ok<IReadOnlyList<JourneyInstanceView>>([.. rows.Select(View)]);
    }

    private static JourneyInstanceView View(JourneyInstance i) => new(i.Id, i.Version, i.ContactId, i.Node, i.Waiting, i.Status, i.WakeAt, i.TriggerMessageId,
        i.EnteredAt, i.ExitedAt, i.ExitReason, i.ConvertedAt);

    private static NotFoundProblem NotFound(string id) => Problems.NotFound($"No journey has the id '{id}'.");
}
