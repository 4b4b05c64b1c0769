using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Api.DeliveryReports;

/// <summary>Reading stored callbacks back: the query string as fields, a record as JSON for an answer.</summary>
internal static class CallbackBodies
{
    /// <summary>A stored query string (with or without '?') as case-insensitive fields.</summary>
    public static Dictionary<string, string> Query(string query) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);

    /// <summary>A raw record as JSON when it is JSON, otherwise as a JSON string.</summary>
    public static JsonNode? Record(string raw)
    {
        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            return JsonValue.Create(raw);
        }
    }
}
