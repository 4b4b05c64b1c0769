using Herald.Security;
using Herald.Core.Phones;
using Herald.Engagement.Contacts;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Contacts;

/// <summary>The body of POST /api/v1/suppressions.</summary>
/// <param name="Phone">The number, E.164.</param>
/// <param name="Reason">opt-out, complaint, invalid or manual.</param>
/// <param name="Categories">promotional, transactional, service; empty or ["*"] for all.</param>
public sealed record SuppressionRequest(string? Phone, string? Reason, List<string>? Categories);

/// <summary>A number on the suppression list.</summary>
/// <param name="Phone">E.164.</param>
/// <param name="Reason">opt-out, complaint, invalid or manual.</param>
/// <param name="Categories">The categories it is never sent, or ["*"] for all.</param>
/// <param name="Source">Where it came from: api, opt-out, ...</param>
/// <param name="CreatedAt">When it was first added.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record SuppressionView(string Phone, string Reason, IReadOnlyList<string> Categories, string? Source, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>/api/v1/suppressions: numbers never sent the listed categories, whether they are contacts or not.</summary>
internal static class SuppressionEndpoints
{
    public static RouteGroupBuilder MapSuppressions(this RouteGroupBuilder api)
    {
        api.MapPost("/suppressions", async Task<Results<Ok<SuppressionView>, ValidationProblem>> (SuppressionRequest request, ISuppressionService suppressions, CancellationToken ct) =>
        {
            var outcome = await suppressions.AddAsync(request.Phone, request.Reason, request.Categories, "api", ct);
            return outcome.Errors is { } errors
                ? Problems.Invalid(errors.ToDictionary(e => e.Key, e => new[] { e.Value }))
                : TypedResults.Ok(View(outcome.Suppression!));
        }).RequireScope(ApiAccess.Admin, "suppression.add").WithTags("Suppressions").WithSummary("Add a number to the suppression list (or change its reason and categories)");

        api.MapGet("/suppressions", async Task<Results<Ok<ItemPage<SuppressionView>>, ValidationProblem>> (string? phone, string? reason, int? limit, string? cursor,
            ISuppressionStore suppressions, CancellationToken ct) =>
        {
            if (phone is not null)
            {
                if (!PhoneNumber.TryParseInternational(phone, out var number, out var error))
                {
                    return Problems.BadRequest("phone", error!);
                }
                var found = await suppressions.FindAsync(number!.E164, ct);
                return TypedResults.Ok(new ItemPage<SuppressionView>(found is null ? [] : [View(found)], null));
            }
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            string? after = null;
            if (cursor is not null && !PageCursor.TryDecode("s", cursor, out after))
            {
                return Problems.BadRequest("cursor", "cursor is not one this API gave out: pass the 'next' value of the previous page.");
            }
            var page = await suppressions.ListAsync(reason?.Trim().ToLowerInvariant(), limit ?? 50, after, ct);
            return TypedResults.Ok(new ItemPage<SuppressionView>([.. page.Items.Select(View)], page.Next is null ? null : PageCursor.Encode("s", page.Next)));
        }).RequireScope(ApiAccess.Read).WithTags("Suppressions").WithSummary("List the suppression list, newest first, or look up one number (phone)");

        api.MapDelete("/suppressions/{phone}", async Task<Results<NoContent, NotFoundProblem, ValidationProblem>> (string phone, ISuppressionStore suppressions, CancellationToken ct) =>
        {
            if (!PhoneNumber.TryParseInternational(phone, out var number, out var error))
            {
                return Problems.BadRequest("phone", error!);
            }
            return await suppressions.DeleteAsync(number!.E164, ct) ? TypedResults.NoContent() : Problems.NotFound($"{number.E164} is not on the suppression list.");
        }).RequireScope(ApiAccess.Admin, "suppression.remove").WithTags("Suppressions").WithSummary("Remove a number from the suppression list");
        return api;
    }

    internal static SuppressionView View(SuppressionRecord s) => new(s.Phone, s.Reason, s.Categories.Split(','), s.Source, s.CreatedAt, s.UpdatedAt);
}
