using System.Text;
using System.Text.Json;
using Herald.Core.Placeholders;
using Herald.Providers.Abstractions;

namespace Herald.Providers.GenericHttp;

/// <summary>
/// Finds the literal secrets in a JSON body template (string values of properties named like
/// api_key, token, password...) and rewrites them in place, keeping the rest of the template
/// exactly as the user wrote it.
/// </summary>
internal static class JsonTemplateSecrets
{
    /// <summary>
    /// Calls <paramref name="replace"/> with the path (e.g. <c>$.auth.api_key</c>) and value of every
    /// literal secret; a non-null answer replaces the value. A template that does not parse is returned unchanged.
    /// </summary>
    public static string Rewrite(string template, Func<string, string, string?> replace)
    {
        var utf8 = Encoding.UTF8.GetBytes(template);
        var edits = new List<(int Start, int Length, string Value)>();
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var frames = new Stack<Frame>();
            string? property = null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        frames.Push(new Frame(reader.TokenType == JsonTokenType.StartArray, Next(frames, property)));
                        property = null;
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.Pop();
                        property = null;
                        break;
                    case JsonTokenType.String:
                        var path = Next(frames, property);
                        var value = reader.GetString() ?? "";
                        if (frames.TryPeek(out var top) && !top.IsArray && Secrets.IsSecretKey(property)
                            && value.Length > 0 && PlaceholderTemplate.Parse(value).Tokens.Count == 0
                            && replace(path, value) is { } replacement)
                        {
                            edits.Add(((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2, replacement));
                        }
                        break;
                    default:
                        _ = Next(frames, property); // numbers, booleans and null still take an array slot
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return template;
        }
        if (edits.Count == 0)
        {
            return template;
        }
        var output = new List<byte>(utf8.Length + 64);
        var position = 0;
        foreach (var (start, length, value) in edits)
        {
            output.AddRange(utf8.AsSpan(position, start - position));
            output.AddRange(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, GenericHttpJson.Default.String)));
            position = start + length;
        }
        output.AddRange(utf8.AsSpan(position));
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static string Next(Stack<Frame> frames, string? property)
    {
        if (!frames.TryPeek(out var top))
        {
            return "$";
        }
        return top.IsArray ? $"{top.Path}[{top.Index++}]" : $"{top.Path}.{property}";
    }

    private sealed class Frame(bool isArray, string path)
    {
        public bool IsArray { get; } = isArray;
        public string Path { get; } = path;
        public int Index { get; set; }
    }
}
