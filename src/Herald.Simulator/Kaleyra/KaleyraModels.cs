using System.Text.Json.Serialization;

namespace Herald.Simulator.Kaleyra;

/// <summary>
/// 200 body of <c>POST /v1/{sid}/messages|sms</c>, exactly Kaleyra's documented shape:
/// <c>{"id":..,"sender":..,"type":"DEFAULT","body":..,"createdDateTime":"2019-11-04 10:42:23+00:00","totalCount":1,
/// "data":[{"message_id":"&lt;id&gt;:1","recipient":"91XXXXXXXXXX"}],"dlrurl":null,"error":{}}</c>.
/// </summary>
internal sealed record KaleyraSendAccepted(
    string Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Sender,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Body,
    string CreatedDateTime,
    int TotalCount,
    KaleyraRecipientId[] Data,
    [property: JsonPropertyName("dlrurl"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? DlrUrl,
    KaleyraNoError Error);

/// <summary>One recipient of an accepted send.</summary>
internal sealed record KaleyraRecipientId(
    [property: JsonPropertyName("message_id")] string MessageId,
    string Recipient);

/// <summary>Kaleyra's empty <c>"error":{}</c> on success.</summary>
internal sealed class KaleyraNoError
{
    public static KaleyraNoError Instance { get; } = new();
}

/// <summary>200 body of <c>GET /v1/{sid}/messages/status</c>: <c>{"data":[..],"error":{}}</c>.</summary>
internal sealed record KaleyraStatusResponse(KaleyraStatusItem[] Data, KaleyraNoError Error);

/// <param name="MessageId">The <c>message_id</c> asked about, as given.</param>
/// <param name="Recipient">The recipient (digits); omitted for <c>NotFound</c>.</param>
/// <param name="Status"><c>Submitted</c>, <c>Sent</c>, <c>Delivered</c>, <c>Failed</c>, <c>Undelivered</c> or <c>NotFound</c>.</param>
/// <param name="StatusDetails">Trace code, e.g. <c>DELIVERED</c>, <c>CON-DND</c>, <c>NOT-FOUND</c>.</param>
internal sealed record KaleyraStatusItem(
    [property: JsonPropertyName("message_id")] string MessageId,
    string? Recipient,
    string Status,
    [property: JsonPropertyName("status_details")] string StatusDetails);

/// <summary>Where and how a Kaleyra send's status callbacks go, from its <c>callback</c> field.</summary>
/// <param name="Url">Absolute http(s) URL.</param>
/// <param name="UseGet">GET with the fields in the query string, else POST.</param>
/// <param name="ContentType">POST body type: JSON when <c>callback.header</c> has a JSON Content-Type, else form.</param>
/// <param name="Headers">The other <c>callback.header</c> entries, sent as request headers.</param>
/// <param name="RetryDelays">From <c>callback.retry</c>, already scaled; null when absent (simulator defaults).</param>
internal sealed record KaleyraCallbackSpec(
    Uri Url,
    bool UseGet,
    string ContentType,
    KeyValuePair<string, string>[] Headers,
    TimeSpan[]? RetryDelays)
{
    public bool IsJson => ContentType.Contains("json", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A validated Kaleyra send.</summary>
/// <param name="Recipients">Digits only, in request order (1 to 100).</param>
/// <param name="Type">Canonical: <c>OTP</c>, <c>DEFAULT</c>, <c>MKT</c> or <c>TXN</c>.</param>
/// <param name="ScheduledAt">The <c>time</c> field, when given: callbacks start after it.</param>
internal sealed record KaleyraSend(
    string[] Recipients,
    string? Sender,
    string? Body,
    string Type,
    string? TemplateId,
    KaleyraCallbackSpec? Callback,
    string? Ref,
    string? Ref1,
    string? Ref2,
    DateTimeOffset? ScheduledAt);

/// <summary>A validation failure: 400 <c>{"error":{"code":"E400","message":..,"field":..}}</c>.</summary>
internal sealed record KaleyraFieldError(string? Field, string Message);
