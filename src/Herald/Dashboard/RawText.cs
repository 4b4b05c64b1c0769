using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Dashboard;

/// <summary>Raw request, response and report bodies as people read them: JSON indented, HTTP exchanges as HTTP.</summary>
internal static class RawText
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The sections to show for a timeline event's detail.</summary>
    public static IEnumerable<(string Title, string Text)> Sections(string source, string? detail)
    {
        if (string.IsNullOrEmpty(detail))
        {
            yield break;
        }
        JsonNode? node = null;
        try
        {
            node = JsonNode.Parse(detail);
        }
        catch (JsonException)
        {
            // not JSON: shown as it is
        }
        if (node is JsonObject exchange && exchange["request"] is JsonObject request)
        {
            yield return ("Request", Request(request));
            if (exchange["response"] is JsonObject response)
            {
                yield return ($"Response ({Number(exchange["elapsedMs"])} ms)", Response(response));
            }
            if (exchange["error"]?.GetValueKind() == JsonValueKind.String)
            {
                yield return ("Error", exchange["error"]!.GetValue<string>());
            }
            yield break;
        }
        var title = source switch
        {
            "dlr" => "Delivery report",
            "relay" => "Relay",
            _ => "Detail",
        };
        yield return (title, node is null ? detail : Indent(node, detail));
    }

    /// <summary>A body, indented when it is JSON.</summary>
    public static string Body(string? body)
    {
        if (string.IsNullOrEmpty(body))
        {
            return "";
        }
        var trimmed = body.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            try
            {
                return JsonNode.Parse(body) is { } node ? Indent(node, body) : body;
            }
            catch (JsonException)
            {
                return body;
            }
        }
        return body;
    }

    /// <summary>Indented JSON; the text as received when a string in it is not text (an escaped lone surrogate, "\\ud800").</summary>
    private static string Indent(JsonNode node, string original)
    {
        try
        {
            return node.ToJsonString(Indented);
        }
        catch (InvalidOperationException)
        {
            return original;
        }
    }

    private static string Request(JsonObject request)
    {
        var text = new StringBuilder();
        text.Append(Text(request["method"])).Append(' ').Append(Text(request["url"])).Append('\n');
        AppendHeaders(text, request["headers"]);
        if (Text(request["body"]) is { Length: > 0 } body)
        {
            text.Append('\n').Append(Body(body));
        }
        return text.ToString().TrimEnd();
    }

    private static string Response(JsonObject response)
    {
        var text = new StringBuilder();
        text.Append("HTTP ").Append(Number(response["status"])).Append('\n');
        AppendHeaders(text, response["headers"]);
        text.Append('\n').Append(Body(Text(response["body"])));
        if (response["truncated"]?.GetValueKind() == JsonValueKind.True)
        {
            text.Append("\n… (truncated at 64 KiB)");
        }
        return text.ToString().TrimEnd();
    }

    private static void AppendHeaders(StringBuilder text, JsonNode? headers)
    {
        if (headers is not JsonArray rows)
        {
            return;
        }
        foreach (var row in rows.OfType<JsonObject>())
        {
            text.Append(Text(row["key"])).Append(": ").Append(Text(row["value"])).Append('\n');
        }
    }

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString() ?? "";

    private static string Number(JsonNode? node) => node?.ToJsonString() ?? "?";
}
