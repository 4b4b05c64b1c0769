using System.Text.Json;

namespace Herald.Core.DeliveryReports;

/// <summary>A callback as it reached Herald: body, content type and query string.</summary>
/// <param name="ContentType">The request's content type, if any.</param>
/// <param name="Body">The raw body (may be empty for GET callbacks).</param>
/// <param name="Query">The query string fields.</param>
public sealed record DlrRequest(string? ContentType, string Body, IReadOnlyDictionary<string, string> Query);

/// <summary>Reads a callback in any format Herald knows.</summary>
public static class DlrParser
{
    /// <summary>Parses <paramref name="request"/>; throws <see cref="DlrFormatException"/> when it is in no known format.</summary>
    public static DlrParseResult Parse(DlrRequest request)
    {
        var body = request.Body.AsSpan().Trim();
        if (body.Length > 0 && (body[0] == '[' || body[0] == '{'))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(request.Body);
            }
            catch (JsonException ex)
            {
                throw new DlrFormatException($"The body is not valid JSON: {ex.Message}");
            }
            using (document)
            {
                if (CleverTapDlrFormat.Matches(document.RootElement))
                {
                    return CleverTapDlrFormat.Parse(document.RootElement);
                }
                if (KaleyraDlrFormat.Matches(document.RootElement))
                {
                    return KaleyraDlrFormat.Parse(document.RootElement);
                }
            }
        }
        else if (body.Length > 0 && IsForm(request.ContentType))
        {
            var form = ParseForm(request.Body);
            if (KaleyraDlrFormat.Matches(form))
            {
                return KaleyraDlrFormat.Parse(form, request.Body);
            }
        }
        else if (body.Length == 0 && KaleyraDlrFormat.Matches(request.Query))
        {
            return KaleyraDlrFormat.Parse(request.Query, string.Join("&", request.Query.Select(q => $"{q.Key}={q.Value}")));
        }
        throw new DlrFormatException(
            "The body is not a delivery report Herald reads: send CleverTap's format (a JSON array of {\"event\",\"data\":[{\"ts\",\"meta\",...}]}) "
            + "or Kaleyra's callback fields (id, status, status_details, ref) as a query string, a form or JSON.");
    }

    private static bool IsForm(string? contentType) =>
        contentType is null || contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string> ParseForm(string body)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((separator < 0 ? pair : pair[..separator]).Replace('+', ' '));
            var value = separator < 0 ? "" : Uri.UnescapeDataString(pair[(separator + 1)..].Replace('+', ' '));
            fields.TryAdd(key, value);
        }
        return fields;
    }
}
