using System.Globalization;
using Herald.Security;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Audit;

/// <summary>One audit log entry as the API shows it.</summary>
public sealed record AuditEntryView(long Id, DateTimeOffset At, AuditActorView Actor, string Action, string? TargetId, string Summary, string? ClientIp);

/// <summary>Who made a change: an API key (<c>key</c>) or a dashboard user (<c>user</c>).</summary>
public sealed record AuditActorView(string Kind, string Id, string? Name);

/// <summary>GET /api/v1/audit: the audit log of admin changes, newest first.</summary>
internal static class AuditEndpoints
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditTrail>();
        return services;
    }

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", async Task<Results<Ok<ItemPage<AuditEntryView>>, ValidationProblem>> (string? cursor, string? actor, string? action, int? limit,
            IAuditStore audit, CancellationToken ct) =>
        {
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            long? before = null;
            if (cursor is not null)
            {
                if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                {
                    return Problems.BadRequest("cursor", "cursor is not one this API gave out: pass the 'next' value of the previous page.");
                }
                before = parsed;
            }
            var page = await audit.ListAsync(new AuditQuery { Actor = actor?.Trim(), Action = action?.Trim(), Before = before, Limit = limit ?? 50 }, ct);
            return TypedResults.Ok(new ItemPage<AuditEntryView>([.. page.Items.Select(View)], page.Next));
        }).RequireScope(ApiAccess.Read).WithTags("Audit")
            .WithSummary("The audit log of admin changes, newest first")
            .WithDescription("Filter by actor (a key id, user id or their name) and action (e.g. provider.update, or provider. for every provider action); page with cursor.");
        return api;
    }

    internal static AuditEntryView View(AuditRecord r) =>
        new(r.Id, r.At, new AuditActorView(r.ActorKind, r.ActorId, r.ActorName), r.Action, r.TargetId, r.Summary, r.ClientIp);
}
