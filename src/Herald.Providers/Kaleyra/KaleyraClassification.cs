using System.Globalization;
using System.Text.Json;
using Herald.Core.Messaging;
using Herald.Providers.Http;

namespace Herald.Providers.Kaleyra;

/// <summary>
/// What Kaleyra's answer means for each recipient of one request (protocols.md §3): 2xx accepted
/// with the recipient's <c>data[].message_id</c>; 401/403 permanent (credentials); other 4xx
/// permanent with Kaleyra's <c>error.message</c>; 408, 429 and 5xx transient, Retry-After honoured.
/// </summary>
internal static class KaleyraClassification
{
    /// <summary>The code of a permanent failure for a recipient a 2xx answer does not list.</summary>
    public const string MissingRecipientCode = "missing-recipient";

    /// <summary>One outcome per recipient, in the order of <paramref name="recipients"/> (E.164).</summary>
    public static IReadOnlyList<SendOutcome> Classify(HttpResponseMessage response, string body, IReadOnlyList<string> recipients, TimeProvider time)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return Accepted(body, recipients);
        }
        var (message, code) = Error(body);
        var statusText = status.ToString(CultureInfo.InvariantCulture);
        SendOutcome outcome = status switch
        {
            401 or 403 => new SendOutcome.Permanent(
                $"credentials rejected by Kaleyra: check apiKey and sid (HTTP {status}{(message.Length > 0 ? ": " + message : "")})", statusText),
            404 => new SendOutcome.Permanent(
                $"Kaleyra answered HTTP 404{(message.Length > 0 ? ": " + message : "")}: check sid, host and endpoint", code ?? statusText),
            408 or 429 or >= 500 => HttpClassification.FromStatus(response, body, null, time),
            _ => new SendOutcome.Permanent(
                $"Kaleyra rejected the message: {(message.Length > 0 ? message : "no reason given")} (HTTP {status}{(code is null ? "" : ", code " + code)})", code ?? statusText),
        };
        return recipients.Select(_ => outcome).ToList();
    }

    private static List<SendOutcome> Accepted(string body, IReadOnlyList<string> recipients)
    {
        var (topId, entries) = ReadSuccess(body);
        if (recipients.Count == 1)
        {
            var digits = Digits(recipients[0]);
            var id = entries.FirstOrDefault(e => e.Recipient == digits && e.MessageId is not null).MessageId
                ?? entries.FirstOrDefault(e => e.MessageId is not null).MessageId
                ?? topId;
            return [new SendOutcome.Accepted(id)];
        }
        if (entries.Count == 0)
        {
            // Accepted as a whole without per-recipient ids: nothing to map, and the shared top-level
            // id would make every message of the batch claim the same reports.
            return recipients.Select(_ => (SendOutcome)new SendOutcome.Accepted(null)).ToList();
        }
        var used = new bool[entries.Count];
        var outcomes = new List<SendOutcome>(recipients.Count);
        for (var i = 0; i < recipients.Count; i++)
        {
            var digits = Digits(recipients[i]);
            var match = -1;
            for (var j = 0; j < entries.Count && match < 0; j++)
            {
                if (!used[j] && entries[j].Recipient == digits)
                {
                    match = j;
                }
            }
            // Kaleyra lists recipients in request order; without a recipient field, order is all there is.
            if (match < 0 && entries.Count == recipients.Count && !used[i] && entries[i].Recipient is null)
            {
                match = i;
            }
            if (match >= 0 && entries[match].MessageId is { } id)
            {
                used[match] = true;
                outcomes.Add(new SendOutcome.Accepted(id));
            }
            else
            {
                outcomes.Add(new SendOutcome.Permanent(
                    $"Kaleyra accepted the request but its answer has no message_id for {recipients[i]}: it did not take this recipient", MissingRecipientCode));
            }
        }
        return outcomes;
    }

    private static (string? Id, List<(string? MessageId, string? Recipient)> Entries) ReadSuccess(string body)
    {
        var entries = new List<(string?, string?)>();
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart() is not ['{', ..])
        {
            return (null, entries);
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, entries);
            }
            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in data.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object))
                {
                    var recipient = Text(entry, "recipient") ?? Text(entry, "mobile") ?? Text(entry, "to");
                    entries.Add((Text(entry, "message_id") ?? Text(entry, "id"), recipient is null ? null : Digits(recipient)));
                }
            }
            return (Text(root, "id"), entries);
        }
        catch (JsonException)
        {
            return (null, entries); // a 2xx that is not JSON: accepted without an id
        }
    }

    /// <summary>Kaleyra's <c>error.message</c> (or the best text the body has) and <c>error.code</c>.</summary>
    public static (string Message, string? Code) Error(string body)
    {
        string? code = null;
        try
        {
            if (!string.IsNullOrWhiteSpace(body) && body.TrimStart() is ['{', ..])
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    code = Text(error, "code");
                }
            }
        }
        catch (JsonException)
        {
            // not JSON: no code, and ErrorMessage falls back to the text
        }
        return (HttpClassification.ErrorMessage(body), code);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String when value.GetString() is { Length: > 0 } text => text,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    /// <summary>The digits of a number: Kaleyra lists recipients without <c>+</c>.</summary>
    public static string Digits(string number) => string.Concat(number.Where(char.IsAsciiDigit));
}
