using Herald.Dispatch.Links;
using Herald.Engagement.Links;
using Herald.Shared;

namespace Herald.Api.Links;

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
