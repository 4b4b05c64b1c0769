using System.Security.Cryptography;
using System.Text;
using Herald.Core.DeliveryReports;
using Herald.Providers;
using Herald.Providers.Abstractions;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.DeliveryReports;

/// <summary>
/// <c>POST|GET /dlr/{providerId}/{token}</c>: a provider's callback URL. No API key: the token is
/// the credential. The raw report is stored (with others arriving meanwhile, see <see cref="DlrIngest"/>) before it is acknowledged.
/// </summary>
internal static class DlrEndpoints
{
    public static IEndpointRouteBuilder MapDeliveryReports(this IEndpointRouteBuilder app)
    {
        // Short-circuited at routing: a provider's callback needs none of the API's or the dashboard's middleware
        // (the token is its credential), and it is the busiest request Herald serves (one or two per message).
        app.MapMethods("/dlr/{providerId}/{token}", [HttpMethods.Get, HttpMethods.Post], Receive).AllowAnonymous()
            .Produces<DlrAnswer>().Produces<DlrAnswer>(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithTags("Delivery reports").WithSummary("A provider's callback URL (the token is the credential; no API key)")
            .WithDescription("Takes the provider kind's report format as POST (form or JSON) or GET (query). Answers like CleverTap: {\"status\",\"processed\",\"unprocessed\"}.")
            .ShortCircuit();
        return app;
    }

    private static async Task<IResult> Receive(string providerId, string token, HttpContext context, Herald.Api.Providers.ProviderLookup providers,
        Herald.Api.Providers.ProviderService providerService, DlrIngest ingest, PublicLimits.PublicEndpointLimiter limiter, TimeProvider time, CancellationToken ct)
    {
        // Limits first: a refused callback is not stored, so the provider keeps it and sends it again. A provider that has
        // reports to come (it accepted messages) is not held to the per-address limit before its token is checked: its
        // reports come back from its few addresses at the rate Herald sent.
        var expected = limiter.Expects(providerId);
        if (!expected && limiter.CheckClient(context) is { } tooMany)
        {
            return tooMany;
        }
        var provider = await providers.FindByIdAsync(providerId, ct);
        if (provider is null || !TokenMatches(provider.CallbackToken, token))
        {
            // A wrong token always counts against its address. The same answer whether the provider exists or not.
            return (expected ? limiter.CheckClient(context) : null)
                ?? Problems.NotFound("There is no callback URL here. Copy the callbackUrl shown for the provider.");
        }
        if (limiter.CheckReport(provider.Id, context) is { } tooManyForProvider)
        {
            return tooManyForProvider;
        }
        var (body, tooLarge) = await ReadBodyAsync(context, ct);
        if (tooLarge is not null)
        {
            return tooLarge;
        }
        var reports = providerService.ReportsFor(provider);
        // A kind whose provider signs its callbacks (Twilio) checks the signature before anything is stored: a forged
        // callback is refused here and lands nowhere, not even among the unprocessed reports.
        var callbackUrl = providerService.CallbackUrl(provider);
        var query = context.Request.QueryString.Value;
        var callback = new DlrCallback(string.IsNullOrEmpty(query) ? callbackUrl : new Uri(callbackUrl.AbsoluteUri + query), context.Request.Method,
            name => context.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null,
            new DlrRequest(context.Request.ContentType, body!, CallbackBodies.Query(context.Request.QueryString.Value ?? "")));
        if (reports.Verify(callback, () => providerService.Ready(provider).Settings) is { } refusal)
        {
            return new ForbiddenProblem(refusal);
        }
        var (status, answer, unavailable) = await SubmitAsync(context, ingest, provider.Id, null, body!, time, ct);
        if (unavailable is not null)
        {
            return unavailable;
        }
        // A provider that retries until it sees a particular reply gets the one its settings declare once its report is taken.
        if (status is >= 200 and < 300 && reports.Reply is { } reply)
        {
            return TypedResults.Text(reply.Body, reply.ContentType, Encoding.UTF8, reply.StatusCode);
        }
        // The usual answer (every record applied) is written as the text the serialiser would write, without serialising it:
        // this is the busiest answer Herald gives (one or two per message).
        return DlrProcessor.IsPlain(answer)
            ? TypedResults.Text(Encoding.UTF8.GetBytes(DlrProcessor.StoredText(answer)), "application/json; charset=utf-8", status)
            : TypedResults.Json(answer, statusCode: status);
    }

    /// <summary>
    /// Reads a callback's body and hands it to the report pipeline (stored with others, then applied); answers what the pipeline
    /// answered, or 503 with Retry-After when it could not be stored (the provider keeps the report and sends it again).
    /// </summary>
    /// <param name="scope">The one message a per-message callback URL names (the connector's); null for a provider's callback URL.</param>
    internal static async Task<Results<JsonHttpResult<DlrAnswer>, NotFoundProblem, TooLargeProblem, UnavailableProblem>> IngestAsync(HttpContext context, DlrIngest ingest, string providerId, string? scope, TimeProvider time, CancellationToken ct)
    {
        var (body, tooLarge) = await ReadBodyAsync(context, ct);
        if (tooLarge is not null)
        {
            return tooLarge;
        }
        return await StoreAsync(context, ingest, providerId, scope, body!, time, ct);
    }

    /// <summary>The largest body read into a pooled buffer rather than through a <see cref="StreamReader"/>.</summary>
    private const int PooledBody = 64 * 1024;

    /// <summary>The callback's body, or 413 when it is over the limit.</summary>
    internal static async Task<(string? Body, TooLargeProblem? TooLarge)> ReadBodyAsync(HttpContext context, CancellationToken ct)
    {
        try
        {
            if (context.Request.ContentLength is { } length and <= PooledBody)
            {
                // A callback is small and says how long it is: one pooled buffer and one decode.
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
                try
                {
                    var read = 0;
                    int n;
                    while (read < length && (n = await context.Request.Body.ReadAsync(buffer.AsMemory(read, (int)length - read), ct)) > 0)
                    {
                        read += n;
                    }
                    var bytes = buffer.AsSpan(0, read);
                    if (bytes is [0xFE, 0xFF, ..] or [0xFF, 0xFE, ..] or [0x00, 0x00, 0xFE, 0xFF, ..])
                    {
                        // A UTF-16 (or UTF-32) byte order mark: decoded as the reader below would.
                        using var bom = new StreamReader(new MemoryStream(buffer, 0, read), Encoding.UTF8);
                        return (await bom.ReadToEndAsync(ct), null);
                    }
                    return (Encoding.UTF8.GetString(bytes is [0xEF, 0xBB, 0xBF, ..] ? bytes[3..] : bytes), null);
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            return (await reader.ReadToEndAsync(ct), null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, new TooLargeProblem("A delivery report body may be at most 1 MiB: send fewer records per callback."));
        }
    }

    /// <summary>Hands a read callback to the report pipeline: what the pipeline answered, or 503 with Retry-After.</summary>
    private static async Task<Results<JsonHttpResult<DlrAnswer>, NotFoundProblem, TooLargeProblem, UnavailableProblem>> StoreAsync(HttpContext context, DlrIngest ingest, string providerId, string? scope,
        string body, TimeProvider time, CancellationToken ct)
    {
        var (status, answer, unavailable) = await SubmitAsync(context, ingest, providerId, scope, body, time, ct);
        return unavailable is not null ? unavailable : TypedResults.Json(answer, statusCode: status);
    }

    /// <summary>Hands a read callback to the report pipeline: the status and answer, or 503 with Retry-After when it could not be stored.</summary>
    private static async Task<(int Status, DlrAnswer Answer, UnavailableProblem? Unavailable)> SubmitAsync(HttpContext context, DlrIngest ingest, string providerId,
        string? scope, string body, TimeProvider time, CancellationToken ct)
    {
        var item = new DlrInboxItem
        {
            ProviderId = providerId,
            MessageId = scope,
            ReceivedAt = time.GetUtcNow(),
            Method = context.Request.Method,
            ContentType = context.Request.ContentType,
            Body = body,
            Query = context.Request.QueryString.Value ?? "",
        };
        try
        {
            var (status, answer) = await ingest.SubmitAsync(item, ct);
            return (status, answer, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            context.Response.Headers.RetryAfter = "5";
            return (0, null!, new UnavailableProblem("Try again later",
                ex is DlrIngestClosedException ? ex.Message : "The report could not be stored; send it again."));
        }
    }

    internal static bool TokenMatches(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));
}
