namespace Herald.Api.ProviderGroups;

/// <summary>/api/v1/provider-groups: ordered providers a message fails over between.</summary>
internal static class ProviderGroupEndpoints
{
    public static IServiceCollection AddProviderGroups(this IServiceCollection services) => services.AddSingleton<ProviderGroupService>();

    public static RouteGroupBuilder MapProviderGroups(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/provider-groups");
        group.MapGet("/", async (ProviderGroupService groups, CancellationToken ct) => Results.Ok(new { items = await groups.ListAsync(ct) }));
        group.MapGet("/{id}", async (string id, ProviderGroupService groups, CancellationToken ct) =>
            await groups.GetAsync(id, ct) is { } view ? Results.Ok(view) : NotFound(id));
        group.MapPost("/", async (ProviderGroupInput input, ProviderGroupService groups, CancellationToken ct) =>
        {
            var change = await groups.CreateAsync(input, ct);
            return change.Errors is { } errors ? Problems.Invalid(errors) : Results.Created($"/api/v1/provider-groups/{change.Group!.Id}", change.Group);
        });
        group.MapPut("/{id}", async (string id, ProviderGroupInput input, ProviderGroupService groups, CancellationToken ct) =>
        {
            var change = await groups.UpdateAsync(id, input, ct);
            return change.NotFound ? NotFound(id) : change.Errors is { } errors ? Problems.Invalid(errors) : Results.Ok(change.Group);
        });
        group.MapDelete("/{id}", async (string id, ProviderGroupService groups, CancellationToken ct) =>
            await groups.DeleteAsync(id, ct) ? Results.NoContent() : NotFound(id));
        return api;
    }

    private static IResult NotFound(string id) => Problems.NotFound($"No provider group has the id or name '{id}'.");
}
