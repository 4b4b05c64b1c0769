using System.Globalization;
using System.Text;

namespace Herald.Dashboard.Shared;

/// <summary>Server-rendered SVG: one stacked bar (delivered, failed, pending) per time bucket, with a title on every bar.</summary>
internal static class StackedBars
{
    /// <param name="buckets">The buckets in time order.</param>
    /// <param name="label">A bucket's label on the axis and in its title.</param>
    /// <param name="description">What the chart shows, for screen readers.</param>
    /// <param name="zone">The time zone the labels are in, for the titles.</param>
    /// <param name="labelEvery">Label every n-th bucket (and the last).</param>
    public static string Render(IReadOnlyList<(DateTimeOffset At, long Delivered, long Failed, long Pending)> buckets, Func<DateTimeOffset, string> label,
        string description, string zone, int labelEvery)
    {
        const int width = 720, height = 200, left = 40, bottom = 24, top = 10;
        var plotHeight = height - bottom - top;
        var max = Math.Max(1, buckets.Count == 0 ? 0 : buckets.Max(h => h.Delivered + h.Failed + h.Pending));
        var barWidth = (width - left) / (double)Math.Max(1, buckets.Count);
        var c = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        svg.Append(c, $"<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{System.Net.WebUtility.HtmlEncode(description)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        foreach (var tick in new[] { 0L, max / 2, max }.Distinct().Where(t => t == 0 || t * 4 >= max))
        {
            var y = top + plotHeight - (tick * plotHeight / (double)max);
            svg.Append(c, $"<line class=\"grid\" x1=\"{left}\" x2=\"{width}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\"/>");
            svg.Append(c, $"<text class=\"axis\" x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{tick}</text>");
        }
        for (var i = 0; i < buckets.Count; i++)
        {
            var (at, delivered, failed, pending) = buckets[i];
            var x = left + (i * barWidth) + 2;
            var w = Math.Max(1, barWidth - 4);
            var y = (double)(top + plotHeight);
            svg.Append(c, $"<g><title>{label(at)} {zone}: {delivered} delivered, {failed} failed, {pending} pending</title>");
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
            if (i == buckets.Count - 1)
            {
                // Centred under the last bar it would run past the right edge and be cut: end it at the edge instead.
                svg.Append(c, $"<text class=\"axis\" x=\"{width}\" y=\"{height - 6}\" text-anchor=\"end\">{label(at)}</text>");
            }
            else if (i % labelEvery == 0)
            {
                svg.Append(c, $"<text class=\"axis\" x=\"{x + (w / 2):0.#}\" y=\"{height - 6}\" text-anchor=\"middle\">{label(at)}</text>");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
