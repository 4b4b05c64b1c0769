using System.Globalization;
using System.Text.Json;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Kaleyra;

/// <summary>
/// Kaleyra's SMS callback (protocols.md §3): fields <c>id</c> (the per-recipient message_id),
/// <c>mobile</c>, <c>status</c>, <c>status_details</c>, <c>ref</c>, <c>ref1</c>, <c>ref2</c>,
/// <c>delivered_at</c>, as a GET query, a POST form or JSON (one object or an array). Herald sends
/// its own message id as <c>ref</c>, so a report correlates even before Kaleyra's id is recorded.
/// </summary>
public static class KaleyraDlrFormat
{
    /// <summary>Reads a callback body as JSON.</summary>
    /// <exception cref="DlrFormatException">It is not valid JSON.</exception>
    internal static JsonDocument ReadJson(string body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new DlrFormatException($"The body is not valid JSON: {ex.Message}");
        }
        // JSON may escape half a surrogate pair ("\ud800"): valid JSON, but no string, so reading it later would throw.
        try
        {
            CheckText(document.RootElement);
            return document;
        }
        catch (InvalidOperationException)
        {
            document.Dispose();
            throw new DlrFormatException("The body has a string that is not valid Unicode text (an escaped lone surrogate such as \\ud800): send UTF-8 text.");
        }
    }

    private static void CheckText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                _ = element.GetString();
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CheckText(item);
                }
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    CheckText(property.Value);
                }
                break;
        }
    }

    /// <summary>
    /// Reads a callback whose fields come as a form body or, with no body, as the query string; null when the request
    /// has no such fields (the caller says what it expected).
    /// </summary>
    internal static DlrParseResult? TryParseFields(DlrRequest request)
    {
        var body = request.Body.AsSpan().Trim();
        if (body.Length > 0 && CallbackFields.IsForm(request.ContentType))
        {
            var form = CallbackFields.ParseForm(request.Body);
            return Matches(form) ? Parse(form, request.Body) : null;
        }
        return body.Length == 0 && Matches(request.Query) ? Parse(request.Query, CallbackFields.Raw(request.Query)) : null;
    }

    /// <summary>Whether a set of fields looks like a Kaleyra callback.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string> fields) =>
        fields.ContainsKey("status") && (fields.ContainsKey("id") || fields.ContainsKey("ref") || fields.ContainsKey("message_id"));

    /// <summary>Whether a JSON body looks like Kaleyra callbacks.</summary>
    public static bool Matches(JsonElement root) => root.ValueKind switch
    {
        JsonValueKind.Object => root.TryGetProperty("status", out _) && (root.TryGetProperty("id", out _) || root.TryGetProperty("ref", out _) || root.TryGetProperty("message_id", out _)),
        JsonValueKind.Array => root.GetArrayLength() > 0 && root.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("status", out _) && !e.TryGetProperty("event", out _)),
        _ => false,
    };

    /// <summary>Reads one callback given as fields (query string or form).</summary>
    public static DlrParseResult Parse(IReadOnlyDictionary<string, string> fields, string raw)
    {
        var (report, problem) = ParseRecord(fields, raw);
        return report is not null ? new DlrParseResult([report], []) : new DlrParseResult([], [problem!]);
    }

    /// <summary>Reads JSON callbacks: one object or an array of objects.</summary>
    public static DlrParseResult Parse(JsonElement root)
    {
        var reports = new List<DeliveryReport>();
        var unprocessed = new List<UnprocessedRecord>();
        IEnumerable<JsonElement> records = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray() : [root];
        foreach (var record in records)
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (record.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in record.EnumerateObject())
                {
                    var value = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                        _ => null,
                    };
                    if (value is not null)
                    {
                        fields[property.Name] = value;
                    }
                }
            }
            var (report, problem) = ParseRecord(fields, record.GetRawText());
            if (report is not null)
            {
                reports.Add(report);
            }
            else
            {
                unprocessed.Add(problem!);
            }
        }
        return new DlrParseResult(reports, unprocessed);
    }

    /// <summary>Maps a Kaleyra status and trace code (status_details) to Herald's state (protocols.md §5).</summary>
    public static DeliveryState? StateFor(string status, string? details)
    {
        var trace = Normalize(details);
        if (trace is "CON-DND" or "DND" or "TEMPLATE-NOT-FOUND" or "BLACKLIST" or "BLACKLISTED" or "OPT-OUT" or "BLOCKED-COUNTRY")
        {
            return DeliveryState.Rejected;
        }
        if (trace is "EXPIRED")
        {
            return DeliveryState.Expired;
        }
        return Normalize(status) switch
        {
            "SENT" or "SUBMITTED" or "ENROUTE" => DeliveryState.Sent,
            "DELIVERED" or "DELIVRD" => DeliveryState.Delivered,
            "FAILED" or "NOTSENT" or "NOT-SENT" or "REJECTED" => DeliveryState.Failed,
            "UNDELIVERED" or "UNDELIV" => DeliveryState.Undelivered,
            "EXPIRED" => DeliveryState.Expired,
            _ => null,
        };
    }

    /// <summary>The CleverTap failure code (protocols.md §2) for a failed Kaleyra report; null when it is not a failure.</summary>
    public static string? CleverTapCodeFor(string status, string? details)
    {
        var state = StateFor(status, details);
        if (state is not (DeliveryState.Failed or DeliveryState.Undelivered or DeliveryState.Rejected or DeliveryState.Expired))
        {
            return null;
        }
        return Normalize(details) switch
        {
            "CON-DND" or "DND" => "901",
            "TEMPLATE-NOT-FOUND" => "908",
            "BLACKLIST" or "BLACKLISTED" or "BLOCKED-COUNTRY" => "903",
            "OPT-OUT" => "909",
            "INVALID-SUB" => "910",
            "EXPIRED" => "916",
            "NO-CREDITS" => "904",
            _ => state == DeliveryState.Undelivered ? "914" : "900",
        };
    }

    private static (DeliveryReport?, UnprocessedRecord?) ParseRecord(IReadOnlyDictionary<string, string> fields, string raw)
    {
        string? Field(string name) => fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        var status = Field("status");
        if (status is null)
        {
            return (null, new("missing_status", "status is mandatory (Sent, Delivered, Failed, Undelivered).", raw));
        }
        var details = Field("status_details") ?? Field("statusDetails") ?? Field("error_code");
        var state = StateFor(status, details);
        if (state is null)
        {
            return (null, new("unknown_status", $"Unknown status '{status}': expected Sent, Delivered, Failed, NotSent, Undelivered.", raw));
        }
        var providerId = Field("id") ?? Field("message_id") ?? Field("sid");
        var reference = Field("ref");
        if (reference is null && providerId is null)
        {
            return (null, new("missing_id", "A Kaleyra callback needs id (the message_id) or ref (Herald's message id).", raw));
        }
        DateTimeOffset? at = DateTimeOffset.TryParse(Field("delivered_at") ?? Field("datetime") ?? Field("updated_at"), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        var report = reference is not null
            ? new DeliveryReport(reference, DlrCorrelation.HeraldMessageId, status, state, at, CleverTapCodeFor(status, details) is { } c ? c : null, details, raw)
            {
                AlternateProviderMessageId = providerId,
            }
            : new DeliveryReport(providerId!, DlrCorrelation.ProviderMessageId, status, state, at, CleverTapCodeFor(status, details), details, raw);
        return (report, null);
    }

    private static string? Normalize(string? value) => value?.Trim().Replace('_', '-').Replace(' ', '-').ToUpperInvariant();
}
