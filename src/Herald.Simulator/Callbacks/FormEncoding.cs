using System.Text;

namespace Herald.Simulator.Callbacks;

/// <summary>Form-urlencoded callback fields, shared by the faces that call back with forms (Kaleyra, Twilio).</summary>
internal static class FormEncoding
{
    /// <summary>Percent-encoded <c>name=value&amp;...</c> (for a form body or a query string), skipping null values.</summary>
    public static string Encode(ReadOnlySpan<KeyValuePair<string, string?>> fields)
    {
        var builder = new StringBuilder(256);
        foreach (var (name, value) in fields)
        {
            if (value is null)
            {
                continue;
            }

            if (builder.Length > 0)
            {
                builder.Append('&');
            }

            builder.Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }
}
