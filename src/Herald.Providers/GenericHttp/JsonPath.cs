using System.Globalization;
using System.Text.Json;

namespace Herald.Providers.GenericHttp;

/// <summary>A small dot path into JSON: <c>data[0].message_id</c>, <c>result.id</c>.</summary>
internal static class JsonPath
{
    public static bool IsValid(string path) => Segments(path) is not null;

    public static string? Read(JsonElement root, string path)
    {
        var segments = Segments(path);
        if (segments is null)
        {
            return null;
        }
        var current = root;
        foreach (var segment in segments)
        {
            if (segment is int index)
            {
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }
                current = current[index];
            }
            else if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty((string)segment, out current))
            {
                return null;
            }
        }
        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString(),
            JsonValueKind.Number => current.GetRawText(),
            _ => null,
        };
    }

    private static List<object>? Segments(string path)
    {
        var result = new List<object>();
        foreach (var part in path.Split('.', StringSplitOptions.None))
        {
            var name = part;
            var bracket = name.IndexOf('[', StringComparison.Ordinal);
            var head = bracket < 0 ? name : name[..bracket];
            if (head.Length > 0)
            {
                result.Add(head);
            }
            else if (bracket != 0)
            {
                return null;
            }
            while (bracket >= 0)
            {
                var close = name.IndexOf(']', bracket);
                if (close < 0 || !int.TryParse(name.AsSpan(bracket + 1, close - bracket - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    return null;
                }
                result.Add(index);
                name = name[(close + 1)..];
                if (name.Length == 0)
                {
                    bracket = -1;
                }
                else if (name[0] == '[')
                {
                    bracket = 0;
                }
                else
                {
                    return null;
                }
            }
        }
        return result.Count == 0 ? null : result;
    }
}
