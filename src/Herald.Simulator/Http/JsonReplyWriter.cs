using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Herald.Simulator.Http;

/// <summary>How every provider face writes its JSON answer.</summary>
internal static class JsonReplyWriter
{
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>Writes the answer, with <c>Retry-After</c> when given. A caller that left keeps the outcome (its callbacks stand), as with a real provider.</summary>
    public static async Task WriteAsync(HttpResponse response, int status, string json, int? retryAfterSeconds, CancellationToken aborted)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        if (retryAfterSeconds is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }
        try
        {
            await response.WriteAsync(json, aborted);
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The caller left.
        }
    }
}
