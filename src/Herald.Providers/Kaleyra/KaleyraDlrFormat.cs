using System.Text.Json;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Kaleyra;

/// <summary>
/// Kaleyra's SMS callback (protocols.md §3): fields <c>id</c> (the per-recipient message_id),
/// <c>mobile</c>, <c>status</c>, <c>status_details</c>, <c>ref</c>, <c>ref1</c>, <c>ref2</c>,
/// <c>delivered_at</c>, as a GET query, a POST form or JSON (one object or an array). Herald sends
/// its own message id as <c>ref</c>, so a report correlates even before Kaleyra's id is recorded. Read by <see cref="GenericHttp.ReportPresets.Kaleyra"/>.
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

    /// <summary>The preset's reader.</summary>
    private static GenericHttp.DeclaredReportFormat Format { get; } = new(GenericHttp.ReportPresets.Kaleyra);

    /// <summary>Reads one callback given as fields (query string or form).</summary>
    public static DlrParseResult Parse(IReadOnlyDictionary<string, string> fields, string raw) => Format.ParseFields(fields, raw);

    /// <summary>Reads JSON callbacks: one object or an array of objects.</summary>
    public static DlrParseResult Parse(JsonElement root) => Format.ParseJson(root);

    /// <summary>Maps a Kaleyra status and trace code (status_details) to Herald's state (protocols.md §5), by the preset's status map.</summary>
    public static DeliveryState? StateFor(string status, string? details) => Format.Map(status, details).State;

    /// <summary>The CleverTap failure code (protocols.md §2) for a failed Kaleyra report; null when it is not a failure.</summary>
    public static string? CleverTapCodeFor(string status, string? details) => Format.Map(status, details).Code;
}
