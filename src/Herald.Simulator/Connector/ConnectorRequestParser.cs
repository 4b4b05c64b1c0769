using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Herald.Simulator.Connector;

/// <summary>
/// Reads the connector's fields from an <c>x-www-form-urlencoded</c> body (what CleverTap's generic
/// provider sends in the seed), a JSON object body, or the query string (GET). Body fields win over query
/// fields; names match case-insensitively.
/// </summary>
internal static class ConnectorRequestParser
{
    public static bool TryParse(HttpRequest request, string body, out ConnectorFields fields, out string? error)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in request.Query)
        {
            Add(values, name, value);
        }

        error = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            var ok = LooksLikeJson(request.ContentType, body)
                ? TryReadJson(body, values, out error)
                : TryReadForm(body, values, out error);
            if (!ok)
            {
                fields = new ConnectorFields(null, null, null, null, null, null, null, null);
                return false;
            }
        }

        fields = new ConnectorFields(
            Get(values, "to"),
            Get(values, "sender"),
            Get(values, "body"),
            Get(values, "template_id"),
            Get(values, "message_id"),
            Get(values, "campaign_id"),
            Get(values, "type"),
            Get(values, "long_url"));
        return true;
    }

    private static bool LooksLikeJson(string? contentType, string body) =>
        contentType is not null
            ? contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
            : body.AsSpan().TrimStart().StartsWith("{");

    private static bool TryReadForm(string body, Dictionary<string, string> values, out string? error)
    {
        try
        {
            foreach (var (name, value) in new FormReader(body).ReadForm())
            {
                Add(values, name, value);
            }

            error = null;
            return true;
        }
        catch (InvalidDataException ex)
        {
            error = $"The form body could not be read: {ex.Message}";
            return false;
        }
    }

    private static bool TryReadJson(string body, Dictionary<string, string> values, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "The JSON body must be an object with the fields to, body, message_id, ...";
                return false;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Null or JsonValueKind.Undefined => null,
                    _ => property.Value.GetRawText(),
                };
                if (value is not null)
                {
                    values[property.Name] = value;
                }
            }

            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            error = $"The JSON body is not valid JSON: {ex.Message}";
            return false;
        }
    }

    private static void Add(Dictionary<string, string> values, string name, StringValues value)
    {
        if (!StringValues.IsNullOrEmpty(value))
        {
            values[name] = value.ToString();
        }
    }

    private static string? Get(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}
