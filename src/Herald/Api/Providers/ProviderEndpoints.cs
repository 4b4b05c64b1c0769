using Herald.Dispatch;
namespace Herald.Api.Providers;

/// <summary>/api/v1/providers: the seed's "Add Provider" form as an API.</summary>
internal static class ProviderEndpoints
{
    /// <summary>Provider settings (secrets protected), the one-second lookup the hot paths read, and the dispatcher's senders.</summary>
    public static IServiceCollection AddProviders(this IServiceCollection services)
    {
        services.AddSingleton<ProviderLookup>();
        services.AddSingleton<ProviderService>();
        services.AddSingleton<ISenderResolver, Herald.Sending.ProviderSenderResolver>();
        return services;
    }

    public static RouteGroupBuilder MapProviders(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/providers");
        group.MapGet("/", async (ProviderService providers, CancellationToken ct) => Results.Ok(new { items = await providers.ListAsync(ct) }));
        group.MapGet("/{id}", async (string id, ProviderService providers, CancellationToken ct) =>
            await providers.GetAsync(id, ct) is { } view ? Results.Ok(view) : Problems.NotFound($"No provider has the id or nickname '{id}'."));
        group.MapPost("/", async (ProviderInput input, ProviderService providers, CancellationToken ct) =>
        {
            var change = await providers.CreateAsync(input, ct);
            return change.Errors is { } errors ? Problems.Invalid(errors) : Results.Created($"/api/v1/providers/{change.Provider!.Id}", change.Provider);
        });
        group.MapPut("/{id}", async (string id, ProviderInput input, ProviderService providers, CancellationToken ct) =>
        {
            var change = await providers.UpdateAsync(id, input, ct);
            return change.NotFound ? Problems.NotFound($"No provider has the id or nickname '{id}'.")
                : change.Errors is { } errors ? Problems.Invalid(errors)
                : Results.Ok(change.Provider);
        });
        group.MapDelete("/{id}", async (string id, ProviderService providers, CancellationToken ct) =>
        {
            var removal = await providers.DeleteAsync(id, ct);
            return removal.Removed ? Results.NoContent()
                : removal.NotFound ? Problems.NotFound($"No provider has the id or nickname '{id}'.")
                : Problems.Conflict("Provider in use", removal.Refusal(id)!);
        });
        api.MapProviderStats();
        return api;
    }
}
