using System.Text.Json.Serialization;

namespace Herald.Simulator.Inspection;

/// <summary>A request the simulator received (connector face), as <c>GET /_sim/requests</c> shows it.</summary>
/// <param name="Id">Sequence number, increasing in arrival order.</param>
/// <param name="ReceivedAt">When the request arrived (simulator's <see cref="TimeProvider"/>).</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path.</param>
/// <param name="Query">Raw query string as received, including the leading <c>?</c>, or empty.</param>
/// <param name="Headers">Headers as received, unmasked (sandbox); repeated headers joined with <c>,</c>.</param>
/// <param name="Body">Request body as text.</param>
/// <param name="Response">What the simulator answered.</param>
public sealed record RecordedRequest(
    long Id,
    DateTimeOffset ReceivedAt,
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    RecordedResponse Response);

/// <summary>The simulator's answer to a recorded request. Status 499 means the caller gave up first.</summary>
public sealed record RecordedResponse(int Status, string Body);

/// <summary>One DLR callback the simulator queued for delivery and its attempts so far.</summary>
/// <param name="Id">Sequence number, increasing in queue order.</param>
/// <param name="MessageId">The <c>message_id</c> of the send, sent back as <c>meta</c>.</param>
/// <param name="Event">The CleverTap event reported: <c>delivered</c> or <c>failed</c>.</param>
/// <param name="Url">The <c>callback_url</c> the DLR is posted to.</param>
/// <param name="Body">The JSON body posted (identical on every attempt).</param>
/// <param name="QueuedAt">When the send was accepted and the DLR queued.</param>
/// <param name="DueAt">When the first attempt is (or was) due.</param>
/// <param name="Attempts">Attempts so far, oldest first.</param>
/// <param name="Result">Pending until the callback succeeded, failed for good, or was cancelled by shutdown.</param>
public sealed record RecordedCallback(
    long Id,
    string MessageId,
    string Event,
    string Url,
    string Body,
    DateTimeOffset QueuedAt,
    DateTimeOffset DueAt,
    IReadOnlyList<CallbackAttempt> Attempts,
    CallbackResult Result);

/// <summary>One attempt to post a DLR: either an HTTP <paramref name="Status"/> or a transport <paramref name="Error"/>.</summary>
public sealed record CallbackAttempt(
    int Attempt,
    DateTimeOffset At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>Final (or current) state of a DLR delivery.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CallbackResult>))]
public enum CallbackResult
{
    /// <summary>Waiting for its due time or for a retry.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>The callback URL answered 2xx.</summary>
    [JsonStringEnumMemberName("delivered")]
    Delivered,

    /// <summary>A permanent 4xx, or transient failures until the retries ran out.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>The simulator stopped before the delivery finished.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>The delivery queue was full; never attempted.</summary>
    [JsonStringEnumMemberName("dropped")]
    Dropped,
}

/// <summary>Counters since start or the last clear, as <c>GET /_sim/stats</c> shows them.</summary>
/// <param name="Received">Connector requests received.</param>
/// <param name="Accepted">Requests answered 200.</param>
/// <param name="Rejected">Requests answered anything else (including callers that gave up).</param>
/// <param name="DlrQueued">DLR callbacks queued (accepted sends minus the "no DLR" scenario).</param>
/// <param name="DlrDelivered">DLR callbacks the callback URL acknowledged with 2xx (whatever the event).</param>
/// <param name="DlrFailed">DLR callbacks given up on: permanent 4xx, retries exhausted, or queue full.</param>
/// <param name="DlrRetries">DLR callback attempts beyond the first.</param>
/// <param name="ByMessageId">Per-<c>message_id</c> counters.</param>
public sealed record SimulatorStats(
    long Received,
    long Accepted,
    long Rejected,
    long DlrQueued,
    long DlrDelivered,
    long DlrFailed,
    long DlrRetries,
    MessageIdStats ByMessageId);

/// <summary>Counters over the <c>message_id</c>s of accepted sends.</summary>
/// <param name="Duplicates">
/// Accepted sends whose <c>message_id</c> had already been accepted before (a message accepted three
/// times counts 2). A rejected attempt (503, 429, timeout) followed by an accepted retry is not a duplicate.
/// </param>
/// <param name="Distinct">Distinct <c>message_id</c>s accepted.</param>
public sealed record MessageIdStats(long Duplicates, long Distinct);
