using System.Globalization;
using CsvHelper;

namespace Herald.Engagement.Campaigns;

/// <summary>
/// A campaign report as one CSV table, a row per group: the sent recipients in all, each A/B variant, the control group
/// (with the lift and its interval), then recipients by status, skips by reason and messages by state. Rates are shares
/// (0.125 = 12.5 %); text a spreadsheet would take for a formula gets a leading apostrophe; empty cells are numbers that do not apply (no goal, nobody sent).
/// </summary>
public static class CampaignReportCsv
{
    private static readonly string[] Header =
    [
        "campaign_id", "campaign", "group", "name", "recipients", "delivered", "clicked", "click_rate", "converted", "conversion_rate",
        "lift", "lift_ci_low", "lift_ci_high", "winner",
    ];

    /// <summary>The report as CSV text (RFC 4180, CRLF line ends).</summary>
    public static string Write(CampaignReport report)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, null, leaveOpen: true))
        {
            csv.WriteRecord(Header);
            var results = report.Results;
            void Row(string group, string name, long recipients, long? delivered = null, long? clicked = null, double? clickRate = null, long? converted = null,
                double? conversionRate = null, double? lift = null, double? low = null, double? high = null, bool? winner = null) =>
                csv.WriteRecord([report.Campaign.Id, T(report.Campaign.Name), group, T(name), N(recipients), N(delivered), N(clicked), R(clickRate), N(converted),
                    R(conversionRate), R(lift), R(low), R(high), winner is null ? "" : winner.Value ? "yes" : "no"]);
            Row("sent", "all", results.Sent, results.Delivered, results.Clicked, results.ClickRate, results.Conversions, results.ConversionRate);
            if (report.Campaign.Definition.Variants is { Count: > 0 })
            {
                foreach (var v in results.Variants)
                {
                    Row("variant", v.Name, v.Sent, v.Delivered, v.Clicked, v.ClickRate, v.Converted, v.ConversionRate,
                        winner: report.Campaign.Definition.AbTest is null ? null : v.Winner);
                }
            }
            if (results.Control is { } control)
            {
                Row("control", "held-out", control.HeldOut, converted: control.Converted, conversionRate: control.Rate, lift: control.Lift?.Difference,
                    low: control.Lift?.Low, high: control.Lift?.High);
            }
            foreach (var (status, count) in report.Recipients.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                Row("recipients", status, count);
            }
            foreach (var (reason, count) in report.SkippedByReason.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                Row("skipped", reason, count);
            }
            foreach (var (state, count) in report.Messages.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                Row("messages", state, count);
            }
        }
        return text.ToString();
    }

    /// <summary>Text a spreadsheet would run as a formula (=, +, -, @ first) is written with a leading apostrophe.</summary>
    private static string T(string text) => text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;

    private static string N(long? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string R(double? r) => r?.ToString("0.######", CultureInfo.InvariantCulture) ?? "";
}
