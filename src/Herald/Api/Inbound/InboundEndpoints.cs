using System.Text;
using Herald.Api.DeliveryReports;
using Herald.Core.DeliveryReports;
using Herald.Engagement.Inbound;
using Herald.Providers.Abstractions;
using Herald.Security;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Inbound;

/// <summary>What the inbound URL answers: how many messages it took, and what became of each.</summary>
/// <param name="Status">success.</param>
/// <param name="Processed">Messages taken (replays included).</param>
/// <param name="Messages">Each message's id, keyword and confirmation.</param>
public sealed record InboundAnswer(string Status, int Processed, IReadOnlyList<InboundView> Messages);

/// <summary>An inbound message as the API shows it.</summary>
public sealed record InboundView(string Id, string ProviderId, string From, string? To, string Text, string? Keyword, string? MessageId, string? ContactId,
    string? ReplyMessageId, string? Note, DateTimeOffset ReceivedAt, bool? Replay = null)
{
    internal static InboundView Of(InboundRecord r, bool? replay = null) =>
        new(r.Id, r.ProviderId, r.From, r.To, r.Text, r.Keyword, r.MessageId, r.ContactId, r.ReplyMessageId, r.Note, r.ReceivedAt, replay);
}

/// <summary>
/// <c>POST /inbound/{providerId}/{token}</c>: where a provider forwards the messages people send to its numbers (replies, STOP,
/// START, HELP). No API key: the token (the provider's callback token) is the credential; Twilio's are signed too. The provider's
/// kind reads the body. And <c>GET /api/v1/inbound</c>, the received messages.
/// </summary>
internal static class InboundEndpoints
{
    public static IEndpointRouteBuilder MapInbound(this IEndpointRouteBuilder app)
    {
        app.MapPost("/inbound/{providerId}/{token}", ReceiveAsync).AllowAnonymous()
            .Produces<InboundAnswer>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithTags("Inbound").WithSummary("A provider's inbound URL: replies and keywords (the token is the credential; no API key)")
            .WithDescription("The provider's kind reads the body: Kaleyra's fields (sender, receiver, message, id), Twilio's signed form (From, To, Body, " +
                "MessageSid), or the field names a generic provider declares in settings.inbound. Keywords (whole message, without case and spaces): " +
                "STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, OPT OUT suppress promotional messages; START, UNSTOP, YES resubscribe; " +
                "HELP, INFO answer the help text; one confirmation per message, through the same provider. A replay changes nothing (docs/inbound.md).")
            .ShortCircuit();
        return app;
    }

    public static RouteGroupBuilder MapInboundList(this RouteGroupBuilder api)
    {
        api.MapGet("/inbound", async Task<Results<Ok<ItemPage<InboundView>>, ValidationProblem>> (string? from, string? keyword, int? limit, string? cursor,
            IInboundStore inbound, CancellationToken ct) =>
        {
            keyword = string.IsNullOrWhiteSpace(keyword) ? null : keyword.Trim().ToLowerInvariant();
            if (keyword is not (null or "stop" or "start" or "help" or InboundRecord.PlainReply))
            {
                return Problems.BadRequest("keyword", $"keyword is one of stop, start, help, or {InboundRecord.PlainReply} (messages that are no keyword).");
            }
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            string? after = null;
            if (cursor is not null && !PageCursor.TryDecode("in", cursor, out after))
            {
                return Problems.BadRequest("cursor", "cursor is not one this list gave: start again without it.");
            }
            var page = await inbound.ListAsync(string.IsNullOrWhiteSpace(from) ? null : from.Trim(), keyword, limit ?? 50, after, ct);
            return TypedResults.Ok(new ItemPage<InboundView>([.. page.Items.Select(r => InboundView.Of(r))], page.Next is null ? null : PageCursor.Encode("in", page.Next)));
        }).RequireScope(ApiAccess.Read).WithTags("Inbound").WithSummary("Inbound messages, newest first (optionally from one number, of one keyword: stop, start, help or reply): the keyword read and the confirmation sent");
        return api;
    }

    private static async Task<IResult> ReceiveAsync(string providerId, string token, HttpContext context, Providers.ProviderLookup providers,
        Providers.ProviderService providerService, IInboundReplies replies, PublicLimits.PublicEndpointLimiter limiter, CancellationToken ct)
    {
        if (limiter.CheckClient(context) is { } tooMany)
        {
            return tooMany;
        }
        var provider = await providers.FindByIdAsync(providerId, ct);
        if (provider is null || !DlrEndpoints.TokenMatches(provider.CallbackToken, token))
        {
            return Problems.NotFound("There is no inbound URL here. Copy the inboundUrl shown for the provider.");
        }
        if (limiter.CheckProvider(provider.Id, context) is { } tooManyForProvider)
        {
            return tooManyForProvider;
        }
        if (providerService.InboundFor(provider) is not { } format)
        {
            return Problems.NotFound($"Providers of kind {provider.Kind} send no inbound messages to Herald.");
        }
        var (body, tooLarge) = await DlrEndpoints.ReadBodyAsync(context, ct);
        if (tooLarge is not null)
        {
            return tooLarge;
        }
        var request = new DlrRequest(context.Request.ContentType, body!, CallbackBodies.Query(context.Request.QueryString.Value ?? ""));
        var url = providerService.InboundUrl(provider)!;
        var callback = new DlrCallback(new Uri(url.AbsoluteUri + context.Request.QueryString.Value), context.Request.Method,
            name => context.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null, request);
        if (format.Verify(callback, () => providerService.Ready(provider).Settings) is { } refusal)
        {
            return new ForbiddenProblem(refusal);
        }
        IReadOnlyList<InboundMessage> messages;
        try
        {
            messages = format.Parse(request);
        }
        catch (DlrFormatException ex)
        {
            return Problems.BadRequest("body", ex.Message);
        }
        if (messages.Count > 100)
        {
            return Problems.BadRequest("body", "At most 100 inbound messages per request: send fewer at once.");
        }
        var views = new List<InboundView>(messages.Count);
        try
        {
            foreach (var message in messages)
            {
                if (message.Text.Length > 2000 || message.From.Length > 64 || message.To is { Length: > 64 } || message.ProviderMessageId is { Length: > 200 })
                {
                    return Problems.BadRequest("body", "An inbound message's text is at most 2,000 characters, its numbers at most 64 and its id at most 200.");
                }
                var outcome = await replies.ReceiveAsync(new InboundText(provider.Id, message.From, message.To, message.Text, message.ProviderMessageId, message.Raw), ct);
                views.Add(InboundView.Of(outcome.Inbound, outcome.Replay));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Not taken: the provider keeps the message and sends it again; what was done is safe to do again (docs/inbound.md).
            context.Response.Headers.RetryAfter = "5";
            return new UnavailableProblem("Try again later", "The inbound message could not be stored; send it again.");
        }
        return format.Reply is { } reply
            ? TypedResults.Text(reply.Body, reply.ContentType, Encoding.UTF8, reply.StatusCode)
            : TypedResults.Json(new InboundAnswer("success", views.Count, views));
    }
}
