using System.Text.Json.Serialization;

namespace Herald.Simulator.Inspection;

/// <summary>A request the simulator received (either face), as <c>GET /_sim/requests</c> shows it.</summary>
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

/// <summary>
/// One callback the simulator queued for delivery and its attempts so far: a CleverTap-format DLR of the
/// connector face, or a Kaleyra status callback (<c>Sent</c>, then the final status) of the Kaleyra face.
/// </summary>
/// <param name="Id">Sequence number, increasing in queue order.</param>
/// <param name="MessageId">
/// Connector face: the <c>message_id</c> of the send, sent back as <c>meta</c>. Kaleyra face: the
/// per-recipient <c>message_id</c> (<c>&lt;id&gt;:&lt;n&gt;</c>), sent back as <c>id</c>.
/// </param>
/// <param name="Event">
/// Connector face: the CleverTap event reported, <c>delivered</c> or <c>failed</c>. Kaleyra face: the
/// Kaleyra status, <c>Sent</c>, <c>Delivered</c>, <c>Failed</c> or <c>Undelivered</c>.
/// </param>
/// <param name="Url">The URL the callback goes to; for a GET callback including its query string.</param>
/// <param name="Body">The body sent (identical on every attempt); empty for a GET callback.</param>
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
    CallbackResult Result)
{
    /// <summary>HTTP method of the callback: <c>POST</c> (always on the connector face) or <c>GET</c>.</summary>
    public string Method { get; init; } = "POST";

    /// <summary>Content type of <see cref="Body"/>; null for a GET callback.</summary>
    public string? ContentType { get; init; }

    /// <summary>Which face queued it: <c>connector</c>, <c>kaleyra</c> or <c>twilio</c>.</summary>
    public string Face { get; init; } = "connector";

    /// <summary>Extra request headers it is sent with (a Kaleyra <c>callback.header</c>, Twilio's <c>X-Twilio-Signature</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
}

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
/// <param name="Received">Send requests received, on both faces (Kaleyra status queries are not counted).</param>
/// <param name="Accepted">Send requests answered 200.</param>
/// <param name="Rejected">Send requests answered anything else (including callers that gave up).</param>
/// <param name="DlrQueued">
/// Callbacks queued: one DLR per accepted connector send (minus the "no DLR" scenario); two per Kaleyra
/// recipient with a <c>callback</c> (<c>Sent</c> and the final status).
/// </param>
/// <param name="DlrDelivered">Callbacks the callback URL acknowledged with 2xx (whatever the event).</param>
/// <param name="DlrFailed">Callbacks given up on: permanent 4xx, retries exhausted, or queue full.</param>
/// <param name="DlrRetries">Callback attempts beyond the first.</param>
/// <param name="ByMessageId">Per-<c>message_id</c> counters of the connector face.</param>
public sealed record SimulatorStats(
    long Received,
    long Accepted,
    long Rejected,
    long DlrQueued,
    long DlrDelivered,
    long DlrFailed,
    long DlrRetries,
    MessageIdStats ByMessageId)
{
    /// <summary>Requests to the Kaleyra face's send endpoints (<c>/v1/{sid}/messages</c>, <c>/v1/{sid}/sms</c>).</summary>
    public long KaleyraRequests { get; init; }

    /// <summary>Kaleyra send requests answered 200.</summary>
    public long KaleyraAccepted { get; init; }

    /// <summary>Recipients of accepted Kaleyra sends (a request to 100 numbers counts 100).</summary>
    public long KaleyraRecipients { get; init; }

    /// <summary>
    /// Duplicate counters of the Kaleyra face over (<c>ref</c>, recipient) pairs of accepted sends that carry
    /// a <c>ref</c>: the same <c>ref</c> sent again to the same number is a duplicate; one request to several
    /// numbers with one <c>ref</c> is not.
    /// </summary>
    public MessageIdStats ByRef { get; init; } = new(0, 0);

    /// <summary>Send requests answered 429 because of <see cref="SimulatorOptions.RateLimit"/>.</summary>
    public long RateLimited { get; init; }

    /// <summary>Send requests answered 503 because of <see cref="SimulatorOptions.HttpErrorRate"/>.</summary>
    public long InjectedErrors { get; init; }
}

/// <summary>
/// Duplicate counters over the keys of accepted sends: the <c>message_id</c> on the connector face
/// (<see cref="SimulatorStats.ByMessageId"/>), the (<c>ref</c>, recipient) pair on the Kaleyra face
/// (<see cref="SimulatorStats.ByRef"/>).
/// </summary>
/// <param name="Duplicates">
/// Accepted sends whose key had already been accepted before (a message accepted three times counts 2).
/// A rejected attempt (503, 429, timeout) followed by an accepted retry is not a duplicate.
/// </param>
/// <param name="Distinct">Distinct keys accepted.</param>
public sealed record MessageIdStats(long Duplicates, long Distinct);
