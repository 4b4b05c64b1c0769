using System.Text.Json;
using Herald.Core.DeliveryReports;
using Herald.Providers.Abstractions;
using Herald.Providers.Kaleyra;

namespace Herald.Providers.GenericHttp;

/// <summary>
/// The reports a generic provider takes when it declares none (preset <c>auto</c>): CleverTap's callback format (a JSON array of
/// groups), which is what CleverTap's "Other (Generic)" provider expects, and Kaleyra's callback fields (as a query string, a form or
/// JSON), because people point Kaleyra's callbacks at a generic provider configured like the seed. Both are read by their presets.
/// </summary>
public sealed class GenericDlrFormat : IDeliveryReportFormat
{
    private GenericDlrFormat()
    {
    }

    /// <summary>The format (it has no state).</summary>
    public static GenericDlrFormat Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "auto";

    /// <inheritdoc />
    public DlrParseResult Parse(DlrRequest request)
    {
        var body = request.Body.AsSpan().Trim();
        if (body.Length > 0 && (body[0] == '[' || body[0] == '{'))
        {
            using var document = KaleyraDlrFormat.ReadJson(request.Body);
            // CleverTap's shape first: a Kaleyra array never has "event", a CleverTap array always does.
            if (CleverTapDlrFormat.Matches(document.RootElement))
            {
                return CleverTapDlrFormat.Parse(document.RootElement);
            }
            if (KaleyraDlrFormat.Matches(document.RootElement))
            {
                return KaleyraDlrFormat.Parse(document.RootElement);
            }
        }
        else if (KaleyraDlrFormat.TryParseFields(request) is { } fields)
        {
            return fields;
        }
        throw new DlrFormatException(
            "The body is not a delivery report Herald reads: send CleverTap's format (a JSON array of {\"event\",\"data\":[{\"ts\",\"meta\",...}]}) "
            + "or Kaleyra's callback fields (id, status, status_details, ref) as a query string, a form or JSON, "
            + "or declare this provider's format in its settings (reports).");
    }
}
