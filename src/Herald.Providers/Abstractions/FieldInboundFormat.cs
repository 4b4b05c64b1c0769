using System.Text.Json;
using Herald.Core.DeliveryReports;

namespace Herald.Providers.Abstractions;

/// <summary>The field names an inbound format reads, each with the alternatives it accepts (compared without case).</summary>
/// <param name="From">The sender's number.</param>
/// <param name="To">The number or sender id written to.</param>
/// <param name="Text">The text.</param>
/// <param name="Id">The provider's id for the message (what makes a replay the same message).</param>
public sealed record InboundFieldNames(IReadOnlyList<string> From, IReadOnlyList<string> To, IReadOnlyList<string> Text, IReadOnlyList<string> Id);

/// <summary>
/// Inbound messages whose fields come as a form body, a query string (GET, or a POST without body) or JSON (one object, an array of
/// objects, or an object whose <c>data</c> / <c>messages</c> / <c>results</c> array holds them). A JSON name may be a dotted path
/// (<c>payload.text</c>). Kinds build theirs from their own field names.
/// </summary>
public sealed class FieldInboundFormat(string description, InboundFieldNames names) : IInboundMessageFormat
{
    /// <summary>The names it reads.</summary>
    public InboundFieldNames Names => names;

    public IReadOnlyList<InboundMessage> Parse(DlrRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.Body.AsSpan().Trim();
        if (body.Length > 0 && (body[0] is '{' or '['))
        {
            using var document = Kaleyra.KaleyraDlrFormat.ReadJson(request.Body);
            var records = Records(document.RootElement).ToList();
            var messages = new List<InboundMessage>(records.Count);
            foreach (var record in records)
            {
                messages.Add(Read(name => Json(record, name), record.GetRawText()));
            }
            return messages.Count > 0 ? messages : throw new DlrFormatException($"The JSON holds no inbound message: {description}.");
        }
        if (body.Length > 0 && CallbackFields.IsForm(request.ContentType))
        {
            var form = CallbackFields.ParseForm(request.Body);
            return [Read(name => form.TryGetValue(name, out var value) ? value : null, request.Body)];
        }
        if (body.Length == 0 && request.Query.Count > 0)
        {
            return [Read(name => request.Query.FirstOrDefault(q => string.Equals(q.Key, name, StringComparison.OrdinalIgnoreCase)).Value, CallbackFields.Raw(request.Query))];
        }
        throw new DlrFormatException($"The request carries no inbound message: {description}.");
    }

    private InboundMessage Read(Func<string, string?> field, string raw)
    {
        string? First(IReadOnlyList<string> candidates) =>
            candidates.Select(field).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
        var from = First(names.From);
        var text = candidates(names.Text);
        if (from is null || text is null)
        {
            throw new DlrFormatException($"An inbound message needs {(from is null ? string.Join(" or ", names.From) : string.Join(" or ", names.Text))}: {description}.");
        }
        return new InboundMessage(from, First(names.To), text, null, null, raw.Length > 4000 ? raw[..4000] : raw, First(names.Id));

        // The text keeps its spaces (a keyword is read without them, a reply is stored as written).
        string? candidates(IReadOnlyList<string> list) => list.Select(field).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
    }

    private static IEnumerable<JsonElement> Records(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            return root.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            return [];
        }
        foreach (var wrapper in new[] { "data", "messages", "results" })
        {
            if (root.TryGetProperty(wrapper, out var list) && list.ValueKind == JsonValueKind.Array)
            {
                return list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object);
            }
        }
        return [root];
    }

    private static string? Json(JsonElement record, string path)
    {
        var current = record;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var found = false;
            foreach (var property in current.EnumerateObject())
            {
                if (string.Equals(property.Name, part, StringComparison.OrdinalIgnoreCase))
                {
                    current = property.Value;
                    found = true;
                    break;
                }
            }
            if (!found)
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
}
