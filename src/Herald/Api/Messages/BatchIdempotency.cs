using Herald.Core;
using Herald.Storage;

namespace Herald.Api.Messages;

/// <summary>
/// <c>Idempotency-Key</c> on <c>POST /api/v1/messages/batch</c>: the first answer (status and body, so the same ids)
/// is stored with the messages in one transaction and given again for the same key and body within 24 h; the same key
/// with another body is a 409. A batch that queued nothing (400) is not stored, so it can be fixed and sent again.
/// </summary>
internal sealed class BatchIdempotency
{
    /// <summary>How long a key is remembered.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    private BatchIdempotency(string key, string hash)
    {
        Key = key;
        Hash = hash;
    }

    public string Key { get; }

    public string Hash { get; }

    /// <summary>The request's Idempotency-Key: null without one, or a 400 for a key that is too long.</summary>
    public static (string? Key, IResult? Error) KeyOf(HttpRequest request)
    {
        var key = request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0)
        {
            return (null, null);
        }
        return key.Length > 255 ? (null, Problems.BadRequest("Idempotency-Key", "Idempotency-Key is at most 255 characters.")) : (key, null);
    }

    /// <summary>
    /// The key with the request's hash (<see cref="BatchBodyReader.Scan"/>: SHA-256 of the request as serialised). "batch:" keeps a
    /// batch's hash apart from a single message's, so one key cannot replay across the two endpoints.
    /// </summary>
    public static BatchIdempotency For(string key, string requestHash) => new(key, "batch:" + requestHash);

    /// <summary>The stored answer for this key, a 409 when the key was used for another request, or null when it is new.</summary>
    public async Task<IResult?> ReplayAsync(Herald.Dispatch.Intake.IMessageIntake queue, TimeProvider time, HttpResponse response, CancellationToken ct)
    {
        var existing = await queue.FindIdempotencyAsync(Key, time.GetUtcNow() - Window, ct);
        if (existing is null)
        {
            return null;
        }
        if (existing.RequestHash != Hash || existing.Response is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key reused",
                detail: $"The Idempotency-Key '{Key}' was used in the last 24 h for a different request " +
                    $"({(existing.Response is null ? $"message {existing.MessageId}" : "another batch")}). " +
                    "Send the same body to get the first answer again, or use a new key for a new batch.");
        }
        response.Headers["Idempotent-Replayed"] = "true";
        return Results.Content(existing.Response, "application/json", System.Text.Encoding.UTF8, existing.ResponseStatus ?? StatusCodes.Status202Accepted);
    }

    /// <summary>What to store with the batch's messages.</summary>
    public IdempotencyRecord Record(string answer, int status, string firstMessageId, DateTimeOffset now) =>
        new(Key, Hash, firstMessageId, now) { Response = answer, ResponseStatus = status };
}
