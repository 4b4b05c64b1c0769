using Herald.Security;
using System.Text.Json;
using Herald.Engagement.Segments;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Segments;

/// <summary>The body of POST/PUT /api/v1/segments: a name and a rule tree (docs/segments.md).</summary>
/// <param name="Name">The segment's name.</param>
/// <param name="Rule">The rule, e.g. <c>{"all": [{"attribute": "city", "op": "eq", "value": "Pune"}]}</c>.</param>
public sealed record SegmentInput(string? Name, JsonElement? Rule);

/// <summary>The body of POST /api/v1/segments/count: a rule that is not saved (the builder's live count).</summary>
/// <param name="Rule">The rule.</param>
public sealed record SegmentRuleInput(JsonElement? Rule);

/// <summary>A segment as the API shows it.</summary>
public sealed record SegmentView(string Id, string Name, JsonElement Rule, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>How many contacts a segment has, counted at <paramref name="At"/>.</summary>
public sealed record SegmentCountView(long Count, DateTimeOffset At);

/// <summary>A contact in a segment preview; numbers are shown in full, as everywhere in the API (it needs the key).</summary>
public sealed record SegmentContactView(string Id, string? Phone, string? ExternalId, string? Country, string? Timezone, string? Locale,
    JsonElement Attributes, DateTimeOffset CreatedAt);

/// <summary>/api/v1/segments: saved rule trees, their counts and previews.</summary>
internal static class SegmentEndpoints
{
    /// <summary>Default and largest preview size.</summary>
    public const int DefaultPreview = 20, MaxPreview = 100;

    public static RouteGroupBuilder MapSegments(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/segments").WithTags("Segments");
        group.MapGet("/", async Task<Ok<ItemList<SegmentView>>> (ISegmentService segments, CancellationToken ct) =>
            TypedResults.Ok(new ItemList<SegmentView>([.. (await segments.ListAsync(ct)).Select(View)])))
            .RequireScope(ApiAccess.Read).WithSummary("List segments");
        group.MapPost("/", async Task<Results<Created<SegmentView>, ValidationProblem>> (SegmentInput input, ISegmentService segments, CancellationToken ct) =>
        {
            var change = await segments.CreateAsync(input.Name, input.Rule, ct);
            return change.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Created($"/api/v1/segments/{change.Segment!.Id}", View(change.Segment));
        }).RequireScope(ApiAccess.Admin, "segment.create").WithSummary("Create a segment").WithDescription("The rule is checked and every problem named by its JSON path, e.g. $.all[1].op.");
        group.MapPost("/count", async Task<Results<Ok<SegmentCountView>, ValidationProblem>> (SegmentRuleInput input, ISegmentService segments,
            TimeProvider time, CancellationToken ct) =>
        {
            var count = await segments.CountRuleAsync(input.Rule, ct);
            return count.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Ok(new SegmentCountView(count.Count!.Value, time.GetUtcNow()));
        }).RequireScope(ApiAccess.Read).WithSummary("Count the contacts of an unsaved rule").WithDescription("For a live count while a rule is being written; nothing is saved.");
        group.MapGet("/{id}", async Task<Results<Ok<SegmentView>, NotFoundProblem>> (string id, ISegmentService segments, CancellationToken ct) =>
            await segments.GetAsync(id, ct) is { } segment ? TypedResults.Ok(View(segment)) : NotFound(id))
            .RequireScope(ApiAccess.Read).WithSummary("Get a segment");
        group.MapPut("/{id}", async Task<Results<Ok<SegmentView>, NotFoundProblem, ValidationProblem>> (string id, SegmentInput input,
            ISegmentService segments, CancellationToken ct) =>
        {
            var change = await segments.UpdateAsync(id, input.Name, input.Rule, ct);
            return change.NotFound ? NotFound(id) : change.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Ok(View(change.Segment!));
        }).RequireScope(ApiAccess.Admin, "segment.update").WithSummary("Replace a segment's name and rule");
        group.MapDelete("/{id}", async Task<Results<NoContent, NotFoundProblem>> (string id, ISegmentService segments, CancellationToken ct) =>
            await segments.DeleteAsync(id, ct) ? TypedResults.NoContent() : NotFound(id))
            .RequireScope(ApiAccess.Admin, "segment.delete").WithSummary("Remove a segment");
        group.MapGet("/{id}/count", async Task<Results<Ok<SegmentCountView>, NotFoundProblem, ValidationProblem>> (string id, ISegmentService segments,
            TimeProvider time, CancellationToken ct) =>
        {
            var count = await segments.CountAsync(id, ct);
            return count.NotFound ? NotFound(id) : count.Errors is { } errors ? Problems.Invalid(errors)
                : TypedResults.Ok(new SegmentCountView(count.Count!.Value, time.GetUtcNow()));
        }).RequireScope(ApiAccess.Read).WithSummary("Count a segment's contacts now");
        group.MapGet("/{id}/preview", async Task<Results<Ok<ItemList<SegmentContactView>>, NotFoundProblem, ValidationProblem>> (string id, int? limit,
            ISegmentService segments, CancellationToken ct) =>
        {
            if (limit is < 1 or > MaxPreview)
            {
                return Problems.BadRequest("limit", $"limit is between 1 and {MaxPreview} (default {DefaultPreview}).");
            }
            return await segments.PreviewAsync(id, limit ?? DefaultPreview, ct) is { } contacts
                ? TypedResults.Ok(new ItemList<SegmentContactView>([.. contacts.Select(View)]))
                : NotFound(id);
        }).RequireScope(ApiAccess.Read).WithSummary("The first contacts of a segment, by id");
        return api;
    }

    private static NotFoundProblem NotFound(string id) => Problems.NotFound($"No segment has the id '{id}'; GET /api/v1/segments lists them.");

    private static SegmentView View(Segment s) => new(s.Id, s.Name, s.Rule, s.CreatedAt, s.UpdatedAt);

    private static SegmentContactView View(AudienceContact c)
    {
        using var attributes = JsonDocument.Parse(string.IsNullOrWhiteSpace(c.Attributes) ? "{}" : c.Attributes);
        return new(c.Id, c.Phone, c.ExternalId, c.Country, c.Timezone, c.Locale, attributes.RootElement.Clone(), c.CreatedAt);
    }
}
