using System.Globalization;
using System.Text.Json;
using Herald.Core.Messaging;
using Herald.Providers.Http;

namespace Herald.Providers.Twilio;

/// <summary>
/// What Twilio's answer to <c>POST .../Messages.json</c> means: 2xx accepted with the Message resource's <c>sid</c> (unless
/// its <c>status</c> is already failed); 429, Twilio error 20429 (too many requests) or 14107/21611 (rate or queue limits),
/// 408 and 5xx transient with Retry-After honoured; every other 4xx permanent with Twilio's <c>code</c> and <c>message</c>
/// (21211 invalid number, 21610 unsubscribed recipient, 21408 region not enabled, 21614 not a mobile, ...).
/// </summary>
internal static class TwilioClassification
{
    /// <summary>Twilio error codes that say to wait and try again rather than give up.</summary>
    private static readonly HashSet<string> TransientCodes = ["20429", "14107", "21611", "20500", "20503"];

    /// <summary>What the common error codes mean (Twilio's error dictionary), for reasons people read.</summary>
    private static readonly Dictionary<string, string> Meanings = new(StringComparer.Ordinal)
    {
        ["20003"] = "authentication failed: check accountSid and authToken",
        ["20404"] = "not found: check accountSid and host",
        ["20429"] = "too many requests",
        ["14107"] = "message rate limit exceeded",
        ["21211"] = "invalid 'To' phone number",
        ["21408"] = "permission to send to this region is not enabled on the account",
        ["21602"] = "the message body is required",
        ["21606"] = "the 'From' number is not a valid, SMS-capable Twilio number of the account",
        ["21608"] = "a trial account can send only to verified numbers",
        ["21610"] = "the recipient replied STOP (unsubscribed)",
        ["21611"] = "the sender has too many queued messages",
        ["21612"] = "Twilio cannot route to this number",
        ["21614"] = "'To' is not a mobile number",
        ["21617"] = "the message body is too long",
        ["30001"] = "queue overflow",
        ["30002"] = "account suspended",
        ["30003"] = "unreachable destination handset",
        ["30004"] = "message blocked",
        ["30005"] = "unknown destination handset",
        ["30006"] = "landline or unreachable carrier",
        ["30007"] = "message filtered by the carrier",
        ["30008"] = "unknown error",
        ["30034"] = "message from an unregistered number (US A2P 10DLC)",
    };

    /// <summary>Codes whose failure is a refusal of the recipient or the content (Herald's <c>rejected</c>) rather than a delivery failure.</summary>
    private static readonly HashSet<string> RefusalCodes = ["21610", "30004", "30007", "30034"];

    /// <summary>The outcome of one send.</summary>
    public static SendOutcome Classify(HttpResponseMessage response, string body, TimeProvider time)
    {
        var status = (int)response.StatusCode;
        var answer = Read(body);
        if (status is >= 200 and < 300)
        {
            if (answer.Status is "failed" or "undelivered" or "canceled")
            {
                return new SendOutcome.Permanent(Reason("Twilio did not take the message", answer.ErrorCode, answer.ErrorMessage, status), answer.ErrorCode ?? answer.Status);
            }
            return new SendOutcome.Accepted(answer.Sid);
        }
        var code = answer.Code;
        if (status is 408 or 429 || status >= 500 || (code is not null && TransientCodes.Contains(code)))
        {
            return new SendOutcome.Transient(Reason("Twilio could not take the message now", code, answer.Message, status), HttpClassification.RetryAfter(response, time));
        }
        var what = status is 401 or 403 ? "Twilio refused the credentials" : status == 404 ? "Twilio found no such account" : "Twilio rejected the message";
        return new SendOutcome.Permanent(Reason(what, code, answer.Message, status), code ?? status.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>What an error code means, when it is a common one.</summary>
    public static string? Meaning(string? code) => code is not null && Meanings.TryGetValue(code, out var meaning) ? meaning : null;

    /// <summary>Whether a failed message with this error code was refused (<c>rejected</c>) rather than not delivered.</summary>
    public static bool IsRefusal(string? code) => code is not null && RefusalCodes.Contains(code);

    private static string Reason(string what, string? code, string? message, int status)
    {
        var text = message ?? Meaning(code) ?? "no reason given";
        var meaning = Meaning(code);
        if (meaning is not null && message is not null && !message.Contains(meaning, StringComparison.OrdinalIgnoreCase))
        {
            text = $"{message}; {meaning}";
        }
        return $"{what}: {text} (HTTP {status}{(code is null ? "" : ", Twilio error " + code)})";
    }

    /// <summary>The fields of a Message resource or an error answer that classification needs.</summary>
    private static Answer Read(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart() is not ['{', ..])
        {
            return new Answer(null, null, null, null, null, string.IsNullOrWhiteSpace(body) ? null : HttpClassification.ErrorMessage(body));
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Answer(null, null, null, null, null, null);
            }
            return new Answer(Text(root, "sid"), Text(root, "status")?.ToLowerInvariant(), Text(root, "error_code"), Text(root, "error_message"),
                Text(root, "code"), Text(root, "message"));
        }
        catch (JsonException)
        {
            return new Answer(null, null, null, null, null, HttpClassification.ErrorMessage(body));
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String when value.GetString() is { Length: > 0 } text => text,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    private sealed record Answer(string? Sid, string? Status, string? ErrorCode, string? ErrorMessage, string? Code, string? Message);
}
