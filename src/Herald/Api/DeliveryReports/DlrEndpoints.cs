using System.Security.Cryptography;
using System.Text;
using Herald.Storage;
using Herald.Storage.Records;

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
        app.MapMethods("/dlr/{providerId}/{token}", [HttpMethods.Get, HttpMethods.Post], Receive).AllowAnonymous().ShortCircuit();
        return app;
    }

    private static async Task<IResult> Receive(string providerId, string token, HttpContext context, Herald.Api.Providers.ProviderLookup providers, DlrIngest ingest,
        PublicLimits.PublicEndpointLimiter limiter, TimeProvider time, CancellationToken ct)
    {
        // Limits first: a refused callback is not stored, so the provider keeps it and sends it again.
        if (limiter.CheckClient(context) is { } tooMany)
        {
            return tooMany;
        }
        var provider = await providers.FindByIdAsync(providerId, ct);
        if (provider is null || !TokenMatches(provider.CallbackToken, token))
        {
            // The same answer whether the provider exists or not.
            return Problems.NotFound("There is no callback URL here. Copy the callbackUrl shown for the provider.");
        }
        if (limiter.CheckProvider(provider.Id, context) is { } tooManyForProvider)
        {
            return tooManyForProvider;
        }
        string body;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem(statusCode: 413, title: "Payload too large", detail: "A delivery report body may be at most 1 MiB: send fewer records per callback.");
        }
        var item = new DlrInboxItem
        {
            ProviderId = provider.Id,
            ReceivedAt = time.GetUtcNow(),
            Method = context.Request.Method,
            ContentType = context.Request.ContentType,
            Body = body,
            Query = context.Request.QueryString.Value ?? "",
        };
        try
        {
            var (status, answer) = await ingest.SubmitAsync(item, ct);
            return Results.Json(answer, statusCode: status);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Not stored (the batch's transaction failed, or Herald is stopping): the provider keeps the report and sends it again.
            context.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again later",
                detail: ex is DlrIngestClosedException ? ex.Message : "The report could not be stored; send it again.");
        }
    }

    private static bool TokenMatches(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));
}
