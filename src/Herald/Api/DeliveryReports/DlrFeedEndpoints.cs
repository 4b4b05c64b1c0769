using Herald.Security;
using System.Text.Json;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.DeliveryReports;

/// <summary>One stored delivery report as the feed shows it: the raw request and the answer Herald gave.</summary>
public sealed record DlrFeedItem(
    long Id,
    string ProviderId,
    DateTimeOffset ReceivedAt,
    string Method,
    string? ContentType,
    string Body,
    string Query,
    DateTimeOffset? ProcessedAt,
    JsonElement? Result);

/// <summary>The answer of GET /api/v1/dlr: reports oldest first, and the id to pass as <c>after</c> next time.</summary>
public sealed record DlrFeedPage(IReadOnlyList<DlrFeedItem> Items, long Next);

/// <summary>
/// <c>GET /api/v1/dlr?provider=&amp;after=&amp;limit=</c>: the delivery reports Herald received and kept, to follow them
/// (<c>herald dlr tail</c>): every report not applied cleanly, those of test SMS and a sample of plain successes (see
/// <c>DlrProcessor</c>); the other plain successes are applied and not kept. With <c>after</c>, the reports after that id, oldest first; without it, the latest
/// <c>limit</c> reports, oldest first. <c>next</c> is the id to pass as <c>after</c> on the next call.
/// </summary>
internal static class DlrFeedEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static RouteGroupBuilder MapDlrFeed(this RouteGroupBuilder api)
    {
        api.MapGet("/dlr", async Task<Results<Ok<DlrFeedPage>, ValidationProblem>> (string? provider, long? after, int? limit, IDlrInbox inbox, IProviderStore providers, CancellationToken ct) =>
        {
            if (limit is < 1 or > MaxLimit)
            {
                return Problems.BadRequest("limit", $"limit must be between 1 and {MaxLimit}.");
            }
            if (after is < 0)
            {
                return Problems.BadRequest("after", "after is a report id (0 or more): pass the 'next' value of the previous answer.");
            }
            string? providerId = null;
            if (!string.IsNullOrWhiteSpace(provider))
            {
                // A removed provider's id still filters its reports.
                providerId = (await providers.FindAsync(provider, ct))?.Id ?? provider;
            }
            var take = limit ?? DefaultLimit;
            var items = after is { } afterId
                ? await inbox.ListAfterAsync(providerId, afterId, take, ct)
                : (await inbox.RecentAsync(providerId, take, ct)).Reverse().ToList();
            return TypedResults.Ok(new DlrFeedPage([.. items.Select(View)], items.Count > 0 ? items[^1].Id : after ?? 0));
        }).RequireScope(ApiAccess.Read).WithTags("Delivery reports").WithSummary("The delivery reports Herald received and kept (all but most plain successes), to follow them");
        return api;
    }

    private static DlrFeedItem View(DlrInboxItem item) => new(
        item.Id, item.ProviderId, item.ReceivedAt, item.Method, item.ContentType, item.Body, item.Query, item.ProcessedAt, Parse(item.Result));

    private static JsonElement? Parse(string? result)
    {
        if (string.IsNullOrEmpty(result))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(result);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(result);
        }
    }
}
