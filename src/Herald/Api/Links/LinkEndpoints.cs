using Herald.Dispatch.Links;
using Herald.Engagement.Links;
using Herald.Security;
using Herald.Shared;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Links;

/// <summary>A short link as the API shows it: where it leads, the message it is in, and its clicks.</summary>
/// <param name="Code">The code.</param>
/// <param name="ShortUrl">The short link as the message carries it.</param>
/// <param name="Url">Where it redirects.</param>
/// <param name="MessageId">The message it is in.</param>
/// <param name="Phone">The message's recipient.</param>
/// <param name="CampaignId">The message's campaign, if any.</param>
/// <param name="JourneyId">The message's journey, if any.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="Clicks">Counted clicks (not HEAD, not preview bots; docs/links.md).</param>
/// <param name="FirstClickAt">The first counted click.</param>
/// <param name="LastClickAt">The latest counted click.</param>
public sealed record LinkView(string Code, string ShortUrl, string Url, string MessageId, string Phone, string? CampaignId, string? JourneyId,
    DateTimeOffset CreatedAt, long Clicks, DateTimeOffset? FirstClickAt, DateTimeOffset? LastClickAt);

/// <summary>
/// <c>GET|HEAD /l/{code}</c>: a short link. 302 to the long URL; a GET from a person counts a click (queued, written in batches);
/// HEAD requests and preview bots are redirected without counting; an unknown code gets a plain 404 page. No API key, no session,
/// no middleware after routing: it is the one public page a message's reader sees.
/// </summary>
internal static class LinkEndpoints
{
    private const string NotFoundPage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
        <title>Link not found</title></head>
        <body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #222">
        <h1 style="font-size: 1.4rem">This link does not exist</h1>
        <p>Check that it was copied whole from the message.</p>
        </body></html>
        """;

    public static IEndpointRouteBuilder MapShortLinks(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/l/{code}", [HttpMethods.Get, HttpMethods.Head], Follow).AllowAnonymous()
            .Produces(StatusCodes.Status302Found).Produces(StatusCodes.Status404NotFound, contentType: "text/html")
            .WithTags("Short links").WithSummary("A short link: 302 to its long URL, counting the click (not HEAD, not preview bots)")
            .WithDescription("Made per message by the intake ({PublicBaseUrl}/l/{code}, docs/links.md). A counted click becomes a clicked entry on the " +
                "message's timeline, a clicked event on the contact ({messageId, url, campaignId?, journeyId?}) and a click on the campaign's report.")
            .ShortCircuit();
        return app;
    }

    /// <summary><c>GET /api/v1/links/{code}</c> and <c>GET /api/v1/links?message=|campaign=</c>: short links and their clicks (read scope).</summary>
    public static RouteGroupBuilder MapLinks(this RouteGroupBuilder api)
    {
        api.MapGet("/links/{code}", async Task<Results<Ok<LinkView>, NotFoundProblem>> (string code, ILinkStore links, ILinkShortener shortener, CancellationToken ct) =>
            await links.FindAsync(code, ct) is { } link
                ? TypedResults.Ok(View(link, shortener))
                : Problems.NotFound($"No short link has the code '{code}': give the part after /l/ in the link, e.g. 'aB3xK9q'."))
            .RequireScope(ApiAccess.Read).WithTags("Short links").WithSummary("A short link: where it leads, its message, and its clicks (count, first, last)");

        api.MapGet("/links", async Task<Results<Ok<ItemPage<LinkView>>, ValidationProblem>> (string? message, string? campaign, int? limit, string? cursor,
            ILinkStore links, ILinkShortener shortener, CancellationToken ct) =>
        {
            message = string.IsNullOrWhiteSpace(message) ? null : message.Trim();
            campaign = string.IsNullOrWhiteSpace(campaign) ? null : campaign.Trim();
            if ((message is null) == (campaign is null))
            {
                return Problems.BadRequest("message", "Give one of message (a message id) or campaign (a campaign id): the links of that message or campaign.");
            }
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            string? after = null;
            if (cursor is not null && !PageCursor.TryDecode("ln", cursor, out after))
            {
                return Problems.BadRequest("cursor", "cursor is not one this list gave: start again without it.");
            }
            if (message is not null)
            {
                // A message has a few links at most: one page.
                return TypedResults.Ok(new ItemPage<LinkView>([.. (await links.ForMessageAsync(message, ct)).Select(l => View(l, shortener))], null));
            }
            var page = await links.ForCampaignAsync(campaign!, limit ?? 50, after, ct);
            return TypedResults.Ok(new ItemPage<LinkView>([.. page.Items.Select(l => View(l, shortener))], page.Next is null ? null : PageCursor.Encode("ln", page.Next)));
        }).RequireScope(ApiAccess.Read).WithTags("Short links")
            .WithSummary("A message's or a campaign's short links with their clicks (campaign: one link per recipient and URL, by code, paged)");
        return api;
    }

    private static LinkView View(LinkRecord link, ILinkShortener shortener) => new(link.Code, shortener.ShortUrl(link.Code), link.Url, link.MessageId, link.Phone,
        link.CampaignId, link.JourneyId, link.CreatedAt, link.Clicks, link.FirstClickAt, link.LastClickAt);

    private static async Task<IResult> Follow(string code, HttpContext context, ILinkClicks clicks, PublicLimits.PublicEndpointLimiter limiter, CancellationToken ct)
    {
        // Per address, like every public endpoint: guessing codes costs the guesser its budget.
        if (limiter.CheckClient(context) is { } tooMany)
        {
            return tooMany;
        }
        var link = await clicks.FindAsync(code, ct);
        if (link is null)
        {
            return TypedResults.Content(NotFoundPage, "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        }
        clicks.Click(link, context.Request.Method, context.Request.Headers.UserAgent.ToString());
        // Nothing to cache: a shared cache would answer the next reader without Herald counting the click.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Redirect(link.Url);
    }
}

/// <summary>Short links point at the public base URL the host serves (<c>Herald:PublicBaseUrl</c>, else the first listen URL).</summary>
internal sealed class PublicShortLinkBase(IPublicUrls urls) : IShortLinkBase
{
    public Uri? BaseUrl => urls.BaseUrl;
}
