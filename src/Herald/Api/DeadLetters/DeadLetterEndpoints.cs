using Herald.Security;
using System.Globalization;
using Herald.Api.Messages;
using Herald.Core.Messaging;
using Herald.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.DeadLetters;

/// <summary>One dead letter in the API.</summary>
public sealed record DeadLetterView(
    string Id,
    string To,
    string? Body,
    ProviderRef? Provider,
    string Type,
    string Status,
    int Attempts,
    string? Reason,
    DateTimeOffset CreatedAt,
    DateTimeOffset FailedAt);

/// <summary>The body of POST /api/v1/messages/dead-letters/retry: which dead letters to requeue (all when empty).</summary>
public sealed record RetryDeadLettersRequest(string? Provider, string? Status, string? Since, int? Limit);

/// <summary>A message put back on the queue.</summary>
/// <param name="Id">The message's id.</param>
/// <param name="Status">queued.</param>
/// <param name="ValidUntil">Its new validity.</param>
public sealed record RequeuedMessage(string Id, string Status, DateTimeOffset ValidUntil);

/// <summary>The answer of a bulk retry: how many messages went back on the queue, and their ids.</summary>
public sealed record RequeuedMessages(int Requeued, IReadOnlyList<string> Ids);

/// <summary>GET /api/v1/messages/dead-letters, POST /api/v1/messages/{id}/retry and POST /api/v1/messages/dead-letters/retry.</summary>
internal static class DeadLetterEndpoints
{
    /// <summary>The most messages one bulk retry requeues.</summary>
    public const int MaxBulkRetry = 10_000;

    public static IServiceCollection AddDeadLetters(this IServiceCollection services) => services.AddSingleton<IDeadLetters, DeadLetterService>();

    public static RouteGroupBuilder MapDeadLetters(this RouteGroupBuilder api)
    {
        api.MapGet("/messages/dead-letters", ListAsync).RequireScope(ApiAccess.Read).WithTags("Dead letters").WithSummary("List failed and expired messages");
        api.MapPost("/messages/{id}/retry", RetryAsync).RequireScope(ApiAccess.Admin, "message.retry").WithTags("Dead letters").WithSummary("Send a failed or expired message again");
        api.MapPost("/messages/dead-letters/retry", RetryAllAsync).RequireScope(ApiAccess.Admin, "dead-letters.retry").WithTags("Dead letters").WithSummary("Send dead letters again, all or filtered");
        return api;
    }

    private static async Task<Results<Ok<ItemPage<DeadLetterView>>, ValidationProblem>> ListAsync(string? provider, string? status, string? since, int? limit, string? cursor,
        IDeadLetters deadLetters, IProviderStore providers, TimeProvider time, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.BadRequest("limit", "limit must be between 1 and 1000.");
        }
        string? after = null;
        if (cursor is not null && !MessageEndpoints.TryDecodeCursor(cursor, out after))
        {
            return Problems.BadRequest("cursor", "cursor is not one this API gave out: pass the 'next' value of the previous page.");
        }
        var (filter, error) = await FilterAsync(provider, status, since, providers, time, ct);
        if (error is not null)
        {
            return error;
        }
        var page = await deadLetters.ListAsync(filter! with { Limit = limit ?? 50, After = after }, ct);
        return TypedResults.Ok(new ItemPage<DeadLetterView>([.. page.Items.Select(View)], page.Next is null ? null : MessageEndpoints.EncodeCursor(page.Next)));
    }

    private static async Task<Results<Accepted<RequeuedMessage>, ConflictProblem, NotFoundProblem>> RetryAsync(string id, IDeadLetters deadLetters,
        CancellationToken ct) =>
        await deadLetters.RetryAsync(id, "api", ct) switch
        {
            RetryOutcome.Requeued requeued => TypedResults.Accepted($"/api/v1/messages/{id}", new RequeuedMessage(id, "queued", requeued.ValidUntil)),
            RetryOutcome.NotDead notDead => Problems.Conflict("Not a dead letter",
                $"Message {id} is {notDead.State.ToWire()}: only failed or expired messages can be retried" +
                    (notDead.State is DeliveryState.Queued or DeliveryState.Dispatching ? " (it is already on its way)." : ", so it is not sent again.")),
            RetryOutcome.ProviderGone gone => Problems.Conflict("Provider removed",
                $"Message {id} went through provider {gone.Provider}, which no longer exists: send it again with POST /api/v1/messages through another provider."),
            _ => Problems.NotFound($"No message has the id '{id}'."),
        };

    private static async Task<Results<Ok<RequeuedMessages>, ValidationProblem>> RetryAllAsync(RetryDeadLettersRequest? request, IDeadLetters deadLetters, IProviderStore providers,
        TimeProvider time, CancellationToken ct)
    {
        request ??= new RetryDeadLettersRequest(null, null, null, null);
        if (request.Limit is < 1 or > MaxBulkRetry)
        {
            return Problems.BadRequest("limit", $"limit must be between 1 and {MaxBulkRetry}.");
        }
        var (filter, error) = await FilterAsync(request.Provider, request.Status, request.Since, providers, time, ct);
        if (error is not null)
        {
            return error;
        }
        var ids = await deadLetters.RetryAllAsync(filter!, request.Limit ?? 1000, "api", ct);
        return TypedResults.Ok(new RequeuedMessages(ids.Count, ids));
    }

    private static async Task<(DeadLetterQuery? Filter, ValidationProblem? Error)> FilterAsync(string? provider, string? status, string? since,
        IProviderStore providers, TimeProvider time, CancellationToken ct)
    {
        DeliveryState? state = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!DeliveryStates.TryParse(status.Trim(), out var parsed) || parsed is not (DeliveryState.Failed or DeliveryState.Expired))
            {
                return (null, Problems.BadRequest("status", $"'{status}' is not a dead-letter state: use failed or expired (or leave it out for both)."));
            }
            state = parsed;
        }
        DateTimeOffset? from = null;
        if (!string.IsNullOrWhiteSpace(since))
        {
            from = ParseSince(since.Trim(), time.GetUtcNow());
            if (from is null)
            {
                return (null, Problems.BadRequest("since", $"'{since}' is not a time: give an ISO-8601 time (2025-01-31T00:00:00Z) or an age such as 30m, 24h or 7d."));
            }
        }
        string? providerId = null;
        if (!string.IsNullOrWhiteSpace(provider))
        {
            providerId = (await providers.FindAsync(provider, ct))?.Id ?? provider; // a removed provider's id still filters its messages
        }
        return (new DeadLetterQuery { ProviderId = providerId, Status = state, Since = from }, null);
    }

    /// <summary>An ISO-8601 time, or an age back from now: <c>30m</c>, <c>24h</c>, <c>7d</c>.</summary>
    internal static DateTimeOffset? ParseSince(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            // In minutes as a double: FromDays(99999999) is past TimeSpan's range and would throw.
            double? minutes = char.ToLowerInvariant(text[^1]) switch
            {
                'm' => amount,
                'h' => amount * 60d,
                'd' => amount * 1440d,
                _ => null,
            };
            TimeSpan? age = minutes is null ? null : minutes.Value >= TimeSpan.MaxValue.TotalMinutes ? TimeSpan.MaxValue : TimeSpan.FromMinutes(minutes.Value);
            if (age is not null)
            {
                // An age further back than the calendar goes (99999999d) means "everything".
                return age.Value < now - DateTimeOffset.MinValue ? now - age.Value : DateTimeOffset.MinValue;
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    private static DeadLetterView View(DeadLetter d) => new(
        d.Message.Id, d.Message.To, d.Message.Body,
        d.Message.ProviderId is null && d.Message.ProviderNickname is null ? null : new ProviderRef(d.Message.ProviderId, d.Message.ProviderNickname),
        d.Message.Type, d.Message.Status.ToWire(), d.Message.Attempts, d.Reason, d.Message.CreatedAt, d.Message.UpdatedAt);
}
