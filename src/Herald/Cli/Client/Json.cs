using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Cli.Client;

/// <summary>Reading the API's JSON without ceremony.</summary>
internal static class Json
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A property as text: strings as they are, other values as JSON; null when absent.</summary>
    public static string? Str(JsonNode? node, string property) => node?[property] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        var other => other.ToJsonString(),
    };

    /// <summary>A property path such as <c>provider.nickname</c>.</summary>
    public static string? Path(JsonNode? node, string path)
    {
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length - 1 && node is not null; i++)
        {
            node = node[parts[i]];
        }
        return Str(node, parts[^1]);
    }

    public static JsonArray Items(JsonNode? node) => node?["items"] as JsonArray ?? [];

    public static string Pretty(JsonNode? node) => node?.ToJsonString(Indented) ?? "null";

    /// <summary>A timestamp for people, in the local time zone.</summary>
    public static string Time(string? value, TimeProvider time) =>
        DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            ? TimeZoneInfo.ConvertTime(at, time.LocalTimeZone).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)
            : value ?? "";

    /// <summary>A short time of day for live lines.</summary>
    public static string Clock(string? value, TimeProvider time) =>
        DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            ? TimeZoneInfo.ConvertTime(at, time.LocalTimeZone).ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)
            : value ?? "";
}
