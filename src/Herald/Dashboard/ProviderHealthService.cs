using System.Globalization;
using System.Text;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Dashboard;

/// <summary>Counts and delivery rate of one provider over one window: <see cref="ProviderWindow"/>, the figures the API gives too, with a label.</summary>
/// <param name="DeliveryRate">Delivered among the messages that reached a final state; null when none did.</param>
internal sealed record WindowStats(string Label, long Total, long Delivered, long Failed, long Pending, double? DeliveryRate, TimeSpan? LatencyP50,
    TimeSpan? LatencyP95, int LatencySamples)
{
    /// <summary>The window's figures under a label.</summary>
    public static WindowStats From(string label, ProviderWindow window) =>
        new(label, window.Total, window.Delivered, window.Failed, window.Pending, window.DeliveryRate, window.LatencyP50, window.LatencyP95,
            window.LatencySamples);
}

/// <summary>Everything the health page shows.</summary>
internal sealed record ProviderHealth(WindowStats LastHour, WindowStats LastDay, IReadOnlyList<MessageFailure> LastErrors, string ChartSvg,
    IReadOnlyList<(DateTimeOffset Hour, long Delivered, long Failed, long Pending)> Hours);

/// <summary>Provider health for the dashboard: counts, delivery rate, DLR latency and the hourly chart, from <see cref="IMessageStats"/> like the API's stats.</summary>
internal sealed class ProviderHealthService(IMessageStats stats, TimeProvider time)
{
    public async Task<ProviderHealth> GetAsync(string providerId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lastHour = WindowStats.From("Last hour", await stats.WindowAsync(providerId, now.AddHours(-1), cancellationToken));
        var lastDay = WindowStats.From("Last 24 hours", await stats.WindowAsync(providerId, now.AddHours(-24), cancellationToken));
        var errors = await stats.RecentFailuresAsync(providerId, IMessageStats.RecentFailureLimit, cancellationToken);
        var firstHour = TruncateToHour(now).AddHours(-23);
        var hourly = await stats.HourlyAsync(providerId, firstHour, cancellationToken);
        var hours = Enumerable.Range(0, 24).Select(i =>
        {
            var hour = firstHour.AddHours(i);
            var inHour = ProviderWindow.From(hourly.Where(h => h.Hour == hour).Select(h => (h.State, h.Count)), []);
            return (hour, inHour.Delivered, inHour.Failed, inHour.Pending);
        }).ToList();
        return new ProviderHealth(lastHour, lastDay, errors, Chart(hours), hours);
    }

    /// <summary>The 24 h delivery rate of every provider, by provider id.</summary>
    public async Task<IReadOnlyDictionary<string, WindowStats>> LastDayByProviderAsync(CancellationToken cancellationToken)
    {
        var windows = await stats.WindowsByProviderAsync(time.GetUtcNow().AddHours(-24), cancellationToken);
        return windows.ToDictionary(w => w.Key, w => WindowStats.From("Last 24 hours", w.Value));
    }

    private static DateTimeOffset TruncateToHour(DateTimeOffset t) => new(t.UtcDateTime.Year, t.UtcDateTime.Month, t.UtcDateTime.Day, t.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);

    /// <summary>A stacked bar per hour (delivered, failed, pending), server-rendered SVG with a title on every bar.</summary>
    internal static string Chart(IReadOnlyList<(DateTimeOffset Hour, long Delivered, long Failed, long Pending)> hours)
    {
        const int width = 720, height = 200, left = 40, bottom = 24, top = 10;
        var plotHeight = height - bottom - top;
        var max = Math.Max(1, hours.Max(h => h.Delivered + h.Failed + h.Pending));
        var barWidth = (width - left) / (double)hours.Count;
        var c = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        var total = hours.Sum(h => h.Delivered + h.Failed + h.Pending);
        svg.Append(c, $"<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Messages per hour over the last 24 hours: {total} in all\" xmlns=\"http://www.w3.org/2000/svg\">");
        foreach (var tick in new[] { 0L, max / 2, max }.Distinct().Where(t => t == 0 || t * 4 >= max))
        {
            var y = top + plotHeight - (tick * plotHeight / (double)max);
            svg.Append(c, $"<line class=\"grid\" x1=\"{left}\" x2=\"{width}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\"/>");
            svg.Append(c, $"<text class=\"axis\" x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{tick}</text>");
        }
        for (var i = 0; i < hours.Count; i++)
        {
            var (hour, delivered, failed, pending) = hours[i];
            var x = left + (i * barWidth) + 2;
            var w = Math.Max(1, barWidth - 4);
            var y = (double)(top + plotHeight);
            svg.Append(c, $"<g><title>{hour:HH}:00 UTC: {delivered} delivered, {failed} failed, {pending} pending</title>");
            foreach (var (count, css) in new[] { (delivered, "bar-delivered"), (failed, "bar-failed"), (pending, "bar-pending") })
            {
                if (count == 0)
                {
                    continue;
                }
                var h = count * plotHeight / (double)max;
                y -= h;
                svg.Append(c, $"<rect class=\"{css}\" x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{w:0.#}\" height=\"{h:0.#}\"/>");
            }
            svg.Append("</g>");
            if (i == hours.Count - 1)
            {
                // Centred under the last bar it would run past the right edge and be cut: end it at the edge instead.
                svg.Append(c, $"<text class=\"axis\" x=\"{width}\" y=\"{height - 6}\" text-anchor=\"end\">{hour:HH}:00</text>");
            }
            else if (i % 6 == 0)
            {
                svg.Append(c, $"<text class=\"axis\" x=\"{x + (w / 2):0.#}\" y=\"{height - 6}\" text-anchor=\"middle\">{hour:HH}:00</text>");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
