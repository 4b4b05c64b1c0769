using Herald.Core.DeliveryReports;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Kaleyra;

/// <summary>The reports a Kaleyra provider takes: Kaleyra's callback fields as a query string, a form or JSON.</summary>
internal sealed class KaleyraReportFormat : IDeliveryReportFormat
{
    public DlrParseResult Parse(DlrRequest request)
    {
        var body = request.Body.AsSpan().Trim();
        if (body.Length > 0 && (body[0] == '[' || body[0] == '{'))
        {
            using var document = KaleyraDlrFormat.ReadJson(request.Body);
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
            "The body is not a Kaleyra delivery report: send Kaleyra's callback fields (id, status, status_details, ref) as a query string, a form or JSON.");
    }
}
