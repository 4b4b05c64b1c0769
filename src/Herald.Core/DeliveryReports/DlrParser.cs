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
            }
        }
        throw new DlrFormatException(
            "The body is not a delivery report Herald reads: send CleverTap's format, a JSON array of {\"event\",\"data\":[{\"ts\",\"meta\",...}]}.");
    }
}
