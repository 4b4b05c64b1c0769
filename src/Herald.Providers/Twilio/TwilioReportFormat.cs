using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Twilio;

/// <summary>
/// Twilio's status callbacks: a form POST with <c>MessageSid</c>, <c>MessageStatus</c> (queued, accepted, scheduled, sending,
/// sent, delivered, undelivered, failed, canceled, read), <c>ErrorCode</c> on failures, and <c>AccountSid</c>, <c>From</c>,
/// <c>To</c>, signed with <c>X-Twilio-Signature</c>. Herald's StatusCallback URL carries the message's id as <c>ref</c>, so a
/// report correlates even before Twilio's sid is recorded; else it correlates on <c>MessageSid</c>.
/// </summary>
internal sealed class TwilioReportFormat : IDeliveryReportFormat
{
    /// <summary>The query field of the StatusCallback URL that carries Herald's message id.</summary>
    public const string ReferenceField = "ref";

    public string? Verify(DlrCallback callback, Func<IProviderSettings> settings) => VerifySignature(callback, settings, "status callbacks");

    /// <summary>Checks Twilio's signature of a callback (status callbacks and inbound messages alike); null when it matches, else why not.</summary>
    internal static string? VerifySignature(DlrCallback callback, Func<IProviderSettings> settings, string what)
    {
        var token = (settings() as TwilioSettings)?.AuthToken;
        if (string.IsNullOrEmpty(token))
        {
            return "This provider has no auth token to check Twilio's signature with: set authToken in its settings.";
        }
        var signature = callback.Header(TwilioSignature.Header);
        if (string.IsNullOrWhiteSpace(signature))
        {
            return $"The callback has no {TwilioSignature.Header} header: this URL takes only {what} signed by Twilio.";
        }
        var parameters = string.Equals(callback.Method, "POST", StringComparison.OrdinalIgnoreCase) && CallbackFields.IsForm(callback.Request.ContentType)
            ? CallbackFields.ParsePairs(callback.Request.Body).ToList()
            : [];
        return TwilioSignature.Matches(token, callback.Url, parameters, signature)
            ? null
            : $"The {TwilioSignature.Header} does not match: the callback was not signed with this provider's auth token for {callback.Url.GetLeftPart(UriPartial.Path)}. "
                + "If Herald is behind a reverse proxy, Herald__PublicBaseUrl must be the address Twilio calls.";
    }

    public DlrParseResult Parse(DlrRequest request)
    {
        var body = request.Body.AsSpan().Trim();
        if (body.Length == 0 || !CallbackFields.IsForm(request.ContentType))
        {
            throw new DlrFormatException("The body is not a Twilio status callback: Twilio posts a form with MessageSid and MessageStatus.");
        }
        var fields = CallbackFields.ParseForm(request.Body);
        string? Field(string name) => fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        var status = Field("MessageStatus") ?? Field("SmsStatus");
        var sid = Field("MessageSid") ?? Field("SmsSid");
        if (status is null && sid is null)
        {
            throw new DlrFormatException("The body is not a Twilio status callback: Twilio posts a form with MessageSid and MessageStatus.");
        }
        var raw = request.Body;
        if (status is null)
        {
            return Unprocessed("missing_status", "MessageStatus is mandatory (queued, sent, delivered, undelivered, failed, ...).", raw);
        }
        var code = Field("ErrorCode");
        if (code == "0")
        {
            code = null;
        }
        var normalized = status.ToLowerInvariant();
        if (!States.TryGetValue(normalized, out var state))
        {
            return Unprocessed("unknown_status", $"Unknown MessageStatus '{status}': expected queued, sending, sent, delivered, read, undelivered or failed.", raw);
        }
        if (state is DeliveryState.Failed or DeliveryState.Undelivered && TwilioClassification.IsRefusal(code))
        {
            state = DeliveryState.Rejected;
        }
        var reference = request.Query.TryGetValue(ReferenceField, out var r) && !string.IsNullOrWhiteSpace(r) ? r.Trim() : null;
        if (reference is null && sid is null)
        {
            return Unprocessed("missing_id", "A Twilio status callback needs MessageSid.", raw);
        }
        var description = Field("ErrorMessage") ?? TwilioClassification.Meaning(code);
        var report = reference is not null
            ? new DeliveryReport(reference, DlrCorrelation.HeraldMessageId, normalized, state, null, code, description, raw) { AlternateProviderMessageId = sid }
            : new DeliveryReport(sid!, DlrCorrelation.ProviderMessageId, normalized, state, null, code, description, raw);
        return new DlrParseResult([report], []);
    }

    /// <summary>Twilio's statuses and the state each moves a message to (null: on the timeline only).</summary>
    private static readonly Dictionary<string, DeliveryState?> States = new(StringComparer.Ordinal)
    {
        ["queued"] = null,
        ["accepted"] = null,
        ["scheduled"] = null,
        ["sending"] = null,
        ["sent"] = DeliveryState.Sent,
        ["delivered"] = DeliveryState.Delivered,
        ["read"] = DeliveryState.Delivered,
        ["undelivered"] = DeliveryState.Undelivered,
        ["failed"] = DeliveryState.Failed,
        ["canceled"] = DeliveryState.Failed,
    };

    private static DlrParseResult Unprocessed(string code, string error, string raw) => new([], [new UnprocessedRecord(code, error, raw)]);
}
