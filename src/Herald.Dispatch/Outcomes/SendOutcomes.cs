using System.Text.Json;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Storage.Records;

namespace Herald.Dispatch.Outcomes;

/// <summary>
/// The one outcome path: turns a provider's answer into the message's next state and its timeline entry. The dispatcher,
/// Send Test SMS and the connector all record answers through it, so a provider's answer reads the same wherever it came from.
/// </summary>
public static class SendOutcomes
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The exchange as stored on the timeline (secrets were masked by the sender), bodies and headers included.</summary>
    public static string? Detail(SendResult result) => Detail(result, keepBodies: true);

    /// <summary>
    /// The exchange as stored on the timeline. Without <paramref name="keepBodies"/> an accepted answer keeps only the request's
    /// method and URL, the answer's status and the time it took (the provider's id is on the entry's note and the message):
    /// a successful send's bodies are kept for a sample only, a failure's always. Written field by field, not serialised.
    /// </summary>
    public static string? Detail(SendResult result, bool keepBodies)
    {
        if (result.Exchange is not { } exchange)
        {
            return null;
        }
        var full = keepBodies || result.Outcome is not SendOutcome.Accepted;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(full ? 1024 : 256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("request");
            json.WriteString("method", exchange.Request.Method);
            json.WriteString("url", exchange.Request.Url);
            if (full)
            {
                WriteHeaders(json, exchange.Request.Headers);
                if (exchange.Request.Body is { } requestBody)
                {
                    json.WriteString("body", requestBody);
                }
            }
            json.WriteEndObject();
            if (exchange.Response is { } response)
            {
                json.WriteStartObject("response");
                json.WriteNumber("status", response.Status);
                if (full)
                {
                    WriteHeaders(json, response.Headers);
                    json.WriteString("body", response.Body);
                    json.WriteBoolean("truncated", response.Truncated);
                }
                json.WriteEndObject();
            }
            json.WriteNumber("elapsedMs", exchange.ElapsedMs);
            if (exchange.Error is { } error)
            {
                json.WriteString("error", error);
            }
            if (!full)
            {
                json.WriteBoolean("bodiesKept", false);
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// An accepted answer whose bodies are not kept, as its four values (<see cref="StateChange.Summary"/>), when they read back as
    /// the JSON <see cref="Detail(SendResult, bool)"/> would write (plain method and URL, an answer, no error); otherwise null, and
    /// the caller keeps <see cref="Detail(SendResult, bool)"/>.
    /// </summary>
    public static ExchangeSummary? Summary(SendResult result, bool keepBodies) =>
        !keepBodies && result.Outcome is SendOutcome.Accepted && result.Exchange is { Response: { } response, Error: null } exchange
        && ExchangeSummary.IsPlain(exchange.Request.Method) && ExchangeSummary.IsPlain(exchange.Request.Url)
            ? new ExchangeSummary(exchange.Request.Method, exchange.Request.Url, response.Status, exchange.ElapsedMs)
            : null;

    private static void WriteHeaders(Utf8JsonWriter json, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        json.WriteStartArray("headers");
        foreach (var (key, value) in headers)
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            json.WriteString("value", value);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>
    /// The timeline entry for <paramref name="result"/>: accepted → accepted (with the provider's id), permanent → failed, and a
    /// transient failure → <paramref name="transientState"/> with <paramref name="transientNote"/> (the caller decides whether
    /// it is retried: queued with a retry time, expired, or failed for a path that does not retry).
    /// </summary>
    public static StateChange Change(SendResult result, string? detail, DeliveryState transientState, string? transientNote = null) => result.Outcome switch
    {
        SendOutcome.Accepted accepted => new StateChange
        {
            Proposed = DeliveryState.Accepted, Source = "provider-response", Event = "accepted", Detail = detail,
            ProviderMessageId = accepted.ProviderMessageId,
            Note = accepted.ProviderMessageId is null ? "accepted (the answer carried no message id)" : $"provider message id {accepted.ProviderMessageId}",
        },
        SendOutcome.Permanent permanent => new StateChange
        {
            Proposed = DeliveryState.Failed, Source = "provider-response", Event = "permanent-failure", Detail = detail, Note = permanent.Reason,
        },
        SendOutcome.Transient transient => new StateChange
        {
            Proposed = transientState, Source = "provider-response", Event = "transient-failure", Detail = detail, Note = transientNote ?? transient.Reason,
        },
        _ => throw new InvalidOperationException("Unknown outcome."),
    };

    /// <summary>The reason a failed answer gives, or null when it was accepted.</summary>
    public static string? Reason(SendOutcome outcome) => outcome switch
    {
        SendOutcome.Transient t => t.Reason,
        SendOutcome.Permanent p => p.Reason,
        _ => null,
    };
}
