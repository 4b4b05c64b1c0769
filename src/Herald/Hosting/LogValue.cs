using System.Globalization;
using System.Text;

namespace Herald.Hosting;

/// <summary>
/// Values from outside (a request's fields, a provider's answer) as they may be written to a log: control characters
/// (ESC, CR, LF, NUL, …) and the Unicode line separators escaped as <c>\r</c>, <c>\n</c>, <c>\t</c> or <c>\uXXXX</c>,
/// so a value can neither forge log lines nor send terminal escape sequences to whoever reads the log.
/// </summary>
internal static class LogValue
{
    public static string? Escape(string? value)
    {
        if (value is null || !value.Any(NeedsEscape))
        {
            return value;
        }
        var escaped = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\r' => escaped.Append("\\r"),
                '\n' => escaped.Append("\\n"),
                '\t' => escaped.Append("\\t"),
                _ when NeedsEscape(c) => escaped.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
                _ => escaped.Append(c),
            };
        }
        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
