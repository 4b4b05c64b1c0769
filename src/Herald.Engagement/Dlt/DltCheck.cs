using System.Text.RegularExpressions;
using Herald.Storage.Records;

namespace Herald.Engagement.Dlt;

/// <summary>The DLT checks: at save (a Liquid body against the registered text) and at send (the text and the sender).</summary>
public static partial class DltCheck
{
    /// <summary>
    /// Null when the Liquid <paramref name="body"/> can only produce the registered text of <paramref name="template"/>: its
    /// literal text is the registered fixed parts exactly, and each <c>{#var#}</c> is filled by exactly one <c>{{ output }}</c>.
    /// Tags (<c>{% if %}</c>, <c>{% for %}</c>...) and whitespace control (<c>{{-</c>, <c>-}}</c>) are refused: they could
    /// produce other text. Otherwise what differs.
    /// </summary>
    public static string? AtSave(DltTemplateRecord template, string body)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(body);
        body = DltText.Normalise(body);
        if (Tag().Match(body) is { Success: true } tag)
        {
            return $"a DLT body may only hold text and {{{{ }}}} outputs: '{Shorten(tag.Value)}' at character {tag.Index + 1} could produce text that is not registered";
        }
        var outputs = Output().Matches(body);
        if (outputs.Any(o => o.Value.StartsWith("{{-", StringComparison.Ordinal) || o.Value.EndsWith("-}}", StringComparison.Ordinal)))
        {
            return "whitespace control ({{- or -}}) is not allowed in a DLT body: write the spacing exactly as registered";
        }
        var registered = DltText.Parse(template.Text);
        var parts = new List<string>();
        var position = 0;
        foreach (Match output in outputs)
        {
            parts.Add(body[position..output.Index]);
            position = output.Index + output.Length;
        }
        parts.Add(body[position..]);
        if (parts.Any(p => p.Contains("{{", StringComparison.Ordinal) || p.Contains("}}", StringComparison.Ordinal)))
        {
            return "the body has an unclosed {{ or a stray }}";
        }
        if (outputs.Count != registered.Slots)
        {
            return $"DLT template {template.TemplateId} has {registered.Slots} {{#var#}} slot(s); the body has {outputs.Count} {{{{ }}}} output(s): each slot takes exactly one output";
        }
        for (var i = 0; i < parts.Count; i++)
        {
            if (!string.Equals(parts[i], registered.FixedParts[i], StringComparison.Ordinal))
            {
                var where = i == 0 ? "before the first output" : i == parts.Count - 1 ? "after the last output" : $"between outputs {i} and {i + 1}";
                return $"the text {where} is \"{Shorten(parts[i])}\" but DLT template {template.TemplateId} registers \"{Shorten(registered.FixedParts[i])}\" there (case, punctuation, spacing and line breaks must be as registered)";
            }
        }
        return null;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    [System.Text.RegularExpressions.GeneratedRegex(@"\{%[\s\S]*?(%\}|$)", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Tag();

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\{[\s\S]*?\}\}", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Output();

    /// <summary>
    /// Null when a message may go under <paramref name="template"/>: its text matches the registered text (fixed parts
    /// identical, each variable at most 30 characters) and its sender is the registered header. Otherwise what differs.
    /// </summary>
    public static string? AtSend(DltTemplateRecord template, string? body, string? sender)
    {
        if (!string.IsNullOrWhiteSpace(sender) && !SameHeader(sender, template.Header))
        {
            return $"the sender {sender} is not the header {template.Header} registered for DLT template {template.TemplateId}";
        }
        if (body is null)
        {
            return null; // the provider sends the stored template itself
        }
        return DltText.Parse(template.Text).Match(body, out var difference) is null
            ? $"the text does not match DLT template {template.TemplateId}: {difference}"
            : null;
    }

    /// <summary>Headers compare case-insensitively; operators append -P, -S, -T or -G by category, which is not part of the header.</summary>
    public static bool SameHeader(string sender, string header) =>
        string.Equals(Strip(sender), Strip(header), StringComparison.OrdinalIgnoreCase);

    private static string Strip(string header)
    {
        header = header.Trim();
        return header.Length > 2 && header[^2] == '-' && "PSTGpstg".Contains(header[^1], StringComparison.Ordinal) ? header[..^2] : header;
    }
}
