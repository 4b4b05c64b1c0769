using Herald.Security;
using Herald.Engagement.Dlt;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Dlt;

/// <summary>The body of POST /api/v1/dlt/templates/{id}/check.</summary>
/// <param name="Body">A Liquid message body.</param>
public sealed record DltBodyCheckRequest(string? Body);

/// <summary>/api/v1/dlt/templates: registered DLT content templates (India), used by the send-path policy and the campaign check.</summary>
internal static class DltTemplateEndpoints
{
    public static RouteGroupBuilder MapDltTemplates(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/dlt/templates").WithTags("DLT templates");
        group.MapGet("/", async Task<Results<Ok<ItemPage<DltTemplateView>>, ValidationProblem>> (string? cursor, int? limit, IDltTemplates templates, CancellationToken ct) =>
        {
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            var (items, next) = await templates.ListAsync(cursor, limit ?? 50, ct);
            return TypedResults.Ok(new ItemPage<DltTemplateView>(items, next));
        }).RequireScope(ApiAccess.Read).WithSummary("List DLT templates (paged by cursor, in template id order)");
        group.MapGet("/{templateId}", async Task<Results<Ok<DltTemplateView>, NotFoundProblem>> (string templateId, IDltTemplates templates, CancellationToken ct) =>
            await templates.GetAsync(templateId, ct) is { } view ? TypedResults.Ok(view) : NotFound(templateId))
            .RequireScope(ApiAccess.Read).WithSummary("Get a DLT template");
        group.MapPost("/", async Task<Results<Created<DltTemplateView>, ValidationProblem, ConflictProblem>> (DltTemplateInput input, IDltTemplates templates, CancellationToken ct) =>
        {
            var change = await templates.CreateAsync(input, ct);
            if (change.Errors is { } errors)
            {
                return Problems.Invalid(errors);
            }
            return change.Conflict
                ? Problems.Conflict("DLT template exists", $"A DLT template with the id {input.TemplateId} is registered already: change it with PUT /api/v1/dlt/templates/{input.TemplateId}.")
                : TypedResults.Created($"/api/v1/dlt/templates/{change.Template!.TemplateId}", change.Template);
        }).RequireScope(ApiAccess.Admin, "dlt-template.create").WithSummary("Register a DLT template")
            .WithDescription("The text is kept exactly as registered: at send, a message to a +91 number that names this template must match it outside its {#var#} slots (each value at most 30 characters) and come from its header, or it is skipped with reason dlt-mismatch.");
        group.MapPut("/{templateId}", async Task<Results<Ok<DltTemplateView>, NotFoundProblem, ValidationProblem>> (string templateId, DltTemplateInput input,
            IDltTemplates templates, CancellationToken ct) =>
        {
            var change = await templates.UpdateAsync(templateId, input, ct);
            return change.NotFound ? NotFound(templateId) : change.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Ok(change.Template!);
        }).RequireScope(ApiAccess.Admin, "dlt-template.update").WithSummary("Replace a DLT template");
        group.MapDelete("/{templateId}", async Task<Results<NoContent, NotFoundProblem>> (string templateId, IDltTemplates templates, CancellationToken ct) =>
            await templates.DeleteAsync(templateId, ct) ? TypedResults.NoContent() : NotFound(templateId))
            .RequireScope(ApiAccess.Admin, "dlt-template.delete").WithSummary("Remove a DLT template");
        group.MapPost("/{templateId}/check", async Task<Results<Ok<DltBodyCheck>, NotFoundProblem, ValidationProblem>> (string templateId, DltBodyCheckRequest request,
            IDltTemplates templates, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(request.Body))
            {
                return Problems.BadRequest("body", "body is the Liquid message body to check against the registered text.");
            }
            return await templates.CheckBodyAsync(templateId, request.Body, ct) is { } check ? TypedResults.Ok(check) : NotFound(templateId);
        }).RequireScope(ApiAccess.Read).WithSummary("Check that a Liquid body can only produce the registered text")
            .WithDescription("Fixed text identical to the registered text, and each {#var#} filled by exactly one {{ output }}; tags and whitespace control are refused.");
        return api;
    }

    private static NotFoundProblem NotFound(string templateId) =>
        Problems.NotFound($"No DLT template has the id '{templateId}': register it with POST /api/v1/dlt/templates.");
}
