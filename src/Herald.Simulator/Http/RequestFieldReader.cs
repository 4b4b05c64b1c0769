using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Herald.Simulator.Http;

/// <summary>
/// Reads the fields of a request into a case-insensitive dictionary from an <c>x-www-form-urlencoded</c>
/// body, a JSON object body (non-string values keep their raw JSON text), and optionally the query string.
/// Body fields win over query fields. Shared by both faces.
/// </summary>
internal static class RequestFieldReader
{
    /// <param name="request">The request (content type, query).</param>
    /// <param name="body">Its body, already read.</param>
    /// <param name="includeQuery">Whether query-string fields count too.</param>
    /// <param name="values">The fields read.</param>
    /// <param name="error">Why the body could not be read.</param>
    /// <param name="notAnObjectError">The error for a JSON body that is not an object.</param>
    public static bool TryRead(
        HttpRequest request,
        string body,
        bool includeQuery,
        out Dictionary<string, string> values,
        out string? error,
        string notAnObjectError = "The JSON body must be an object of fields.")
    {
        values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (includeQuery)
        {
            foreach (var (name, value) in request.Query)
            {
                Add(values, name, value);
            }
        }

        error = null;
        if (string.IsNullOrWhiteSpace(body))
        {
            return true;
        }

        return LooksLikeJson(request.ContentType, body)
            ? TryReadJson(body, values, notAnObjectError, out error)
            : TryReadForm(body, values, out error);
    }

    /// <summary>The value of <paramref name="name"/>, or null when absent or blank.</summary>
    public static string? Get(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

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

    private static bool TryReadJson(string body, Dictionary<string, string> values, string notAnObjectError, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = notAnObjectError;
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
}
