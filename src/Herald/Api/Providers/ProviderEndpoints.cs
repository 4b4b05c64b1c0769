using Herald.Api.DeliveryReports;
using Herald.Security;
using Herald.Dispatch;
using Microsoft.AspNetCore.Http.HttpResults;

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
        var group = api.MapGroup("/providers").WithTags("Providers");
        group.MapGet("/", async Task<Ok<ItemList<ProviderView>>> (ProviderService providers, CancellationToken ct) =>
            TypedResults.Ok(new ItemList<ProviderView>(await providers.ListAsync(ct))))
            .RequireScope(ApiAccess.Read).WithSummary("List providers (secrets masked)");
        group.MapGet("/{id}", async Task<Results<Ok<ProviderView>, NotFoundProblem>> (string id, ProviderService providers, CancellationToken ct) =>
            await providers.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : NotFound(id))
            .RequireScope(ApiAccess.Read).WithSummary("Get a provider by id or nickname");
        group.MapPost("/", async Task<Results<Created<ProviderView>, ValidationProblem>> (ProviderInput input, ProviderService providers, CancellationToken ct) =>
        {
            var change = await providers.CreateAsync(input, ct);
            return change.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Created($"/api/v1/providers/{change.Provider!.Id}", change.Provider);
        }).RequireScope(ApiAccess.Admin, "provider.create").WithSummary("Add a provider").WithDescription("The answer carries the provider's id and its own callbackUrl for delivery reports.");
        group.MapPut("/{id}", async Task<Results<Ok<ProviderView>, NotFoundProblem, ValidationProblem>> (string id, ProviderInput input,
            ProviderService providers, CancellationToken ct) =>
        {
            var change = await providers.UpdateAsync(id, input, ct);
            return change.NotFound ? NotFound(id)
                : change.Errors is { } errors ? Problems.Invalid(errors)
                : TypedResults.Ok(change.Provider!);
        }).RequireScope(ApiAccess.Admin, "provider.update").WithSummary("Replace a provider's settings").WithDescription("Masked secrets (****) keep their stored value.");
        group.MapDelete("/{id}", async Task<Results<NoContent, NotFoundProblem, ConflictProblem>> (string id, ProviderService providers, CancellationToken ct) =>
        {
            var removal = await providers.DeleteAsync(id, ct);
            return removal.Removed ? TypedResults.NoContent()
                : removal.NotFound ? NotFound(id)
                : Problems.Conflict("Provider in use", removal.Refusal(id)!);
        }).RequireScope(ApiAccess.Admin, "provider.delete").WithSummary("Remove a provider");
        group.MapPost("/{id}/reports/preview", async Task<Results<Ok<ReportPreview>, NotFoundProblem, ValidationProblem>> (string id, ReportSample sample,
            ProviderService providers, CancellationToken ct) =>
        {
            var (preview, errors, notFound) = await providers.PreviewReportsAsync(id, sample, ct);
            return notFound ? NotFound(id) : errors is not null ? Problems.Invalid(errors) : TypedResults.Ok(preview!);
        }).RequireScope(ApiAccess.Read).WithSummary("Read a sample delivery report as the provider's callback URL would (nothing is stored)")
            .WithDescription("Body: {\"method\",\"contentType\",\"query\",\"body\"} and optionally \"reports\", a declaration to try instead of the saved one. "
                + "Answers the records Herald reads (message id, state, error, time), those it would keep as unprocessed, or why it cannot read the callback, and its answer.");
        api.MapProviderStats();
        return api;
    }

    private static NotFoundProblem NotFound(string id) => Problems.NotFound($"No provider has the id or nickname '{id}'.");
}
