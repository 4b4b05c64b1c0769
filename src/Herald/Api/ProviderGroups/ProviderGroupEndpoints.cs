using Herald.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.ProviderGroups;

/// <summary>/api/v1/provider-groups: ordered providers a message fails over between.</summary>
internal static class ProviderGroupEndpoints
{
    public static IServiceCollection AddProviderGroups(this IServiceCollection services) => services.AddSingleton<ProviderGroupService>();

    public static RouteGroupBuilder MapProviderGroups(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/provider-groups").WithTags("Provider groups");
        group.MapGet("/", async Task<Ok<ItemList<ProviderGroupView>>> (ProviderGroupService groups, CancellationToken ct) =>
            TypedResults.Ok(new ItemList<ProviderGroupView>(await groups.ListAsync(ct))))
            .RequireScope(ApiAccess.Read).WithSummary("List provider groups");
        group.MapGet("/{id}", async Task<Results<Ok<ProviderGroupView>, NotFoundProblem>> (string id, ProviderGroupService groups, CancellationToken ct) =>
            await groups.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : NotFound(id))
            .RequireScope(ApiAccess.Read).WithSummary("Get a provider group by id or name");
        group.MapPost("/", async Task<Results<Created<ProviderGroupView>, ValidationProblem>> (ProviderGroupInput input, ProviderGroupService groups, CancellationToken ct) =>
        {
            var change = await groups.CreateAsync(input, ct);
            return change.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Created($"/api/v1/provider-groups/{change.Group!.Id}", change.Group);
        }).RequireScope(ApiAccess.Admin, "provider-group.create").WithSummary("Create a provider group");
        group.MapPut("/{id}", async Task<Results<Ok<ProviderGroupView>, NotFoundProblem, ValidationProblem>> (string id, ProviderGroupInput input,
            ProviderGroupService groups, CancellationToken ct) =>
        {
            var change = await groups.UpdateAsync(id, input, ct);
            return change.NotFound ? NotFound(id) : change.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Ok(change.Group!);
        }).RequireScope(ApiAccess.Admin, "provider-group.update").WithSummary("Replace a provider group");
        group.MapDelete("/{id}", async Task<Results<NoContent, NotFoundProblem>> (string id, ProviderGroupService groups, CancellationToken ct) =>
            await groups.DeleteAsync(id, ct) ? TypedResults.NoContent() : NotFound(id))
            .RequireScope(ApiAccess.Admin, "provider-group.delete").WithSummary("Remove a provider group");
        return api;
    }

    private static NotFoundProblem NotFound(string id) => Problems.NotFound($"No provider group has the id or name '{id}'.");
}
