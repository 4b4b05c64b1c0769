namespace Herald.Api.Messages;

/// <summary>One queued message of a batch.</summary>
/// <param name="Index">Its position in the request's messages array.</param>
/// <param name="Id">Its message id.</param>
/// <param name="Status">queued, or rejected when the send-path policy skipped it (it is stored, with the reason on its timeline).</param>
/// <param name="Segments">How many SMS segments it takes.</param>
/// <param name="Reason">The policy's reason code when it was skipped (suppressed, no-consent, dlt-mismatch, quiet-hours, frequency-cap) or deferred (legal-window, quiet-hours).</param>
/// <param name="NotBefore">When a deferred message may go (the next allowed minute).</param>
public sealed record BatchAcceptedItem(int Index, string Id, string Status, int Segments, string? Reason = null, DateTimeOffset? NotBefore = null);

/// <summary>One refused message of a batch.</summary>
/// <param name="Index">Its position in the request's messages array.</param>
/// <param name="Errors">What to fix, by field.</param>
public sealed record BatchRejectedItem(int Index, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>
/// The answer of POST /api/v1/messages/batch when any message was queued (202). When none was, the 400 is a problem
/// details body with the same <c>accepted</c> (empty) and <c>rejected</c> members.
/// </summary>
public sealed record SendBatchResult(IReadOnlyList<BatchAcceptedItem> Accepted, IReadOnlyList<BatchRejectedItem> Rejected);

/// <summary>The send endpoints as the OpenAPI document shows them (kept apart from the endpoints' code).</summary>
internal static class SendMessageDescription
{
    public static RouteHandlerBuilder DescribeSend(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<SendMessageResult>(StatusCodes.Status202Accepted)
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status409Conflict)
        .WithTags("Messages")
        .WithSummary("Send one message")
        .WithDescription("Stored before it is acknowledged. An Idempotency-Key header is honoured for 24 h: the same key and body answer " +
            "the same message again; the same key with another body is a 409. The send-path policy (docs/policy.md) decides at once: a message it " +
            "skips is stored as rejected and answered with status rejected and its reason; a deferred one is queued with notBefore.");

    public static RouteHandlerBuilder DescribeSendBatch(this RouteHandlerBuilder endpoint) => endpoint
        .Accepts<SendBatchRequest>("application/json") // read from the body as a stream, so not bound as a parameter
        .Produces<SendBatchResult>(StatusCodes.Status202Accepted)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .WithTags("Messages")
        .WithSummary("Send up to 10,000 messages in one request")
        .WithDescription("Each message is checked on its own: the valid ones are queued in one transaction, the others are listed with " +
            "their errors by index; a message the send-path policy skips is stored and listed as accepted with status rejected and its reason; when none is valid the 400 is a problem details body with the same accepted and rejected lists. More than 10,000 messages is a 400, refused as soon as message 10,001 starts. " +
            "An Idempotency-Key header gives the first answer again for 24 h.");
}
