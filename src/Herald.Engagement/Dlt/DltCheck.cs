using Herald.Storage.Records;

namespace Herald.Engagement.Dlt;

/// <summary>The DLT checks: at send (the text and the sender against the registered template).</summary>
public static class DltCheck
{
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
