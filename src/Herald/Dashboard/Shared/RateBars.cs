using System.Globalization;
using System.Net;
using System.Text;

namespace Herald.Dashboard.Shared;

/// <summary>One bar of a <see cref="RateBars"/> chart: a share (0.12 = 12 %), optionally with an interval drawn as a whisker.</summary>
/// <param name="Label">The row's label.</param>
/// <param name="Value">The share.</param>
/// <param name="Css">The bar's class (its colour).</param>
/// <param name="Low">The interval's lower end, if any.</param>
/// <param name="High">The interval's upper end, if any.</param>
/// <param name="Title">What a pointer over the bar shows (and screen readers read).</param>
internal sealed record RateBar(string Label, double Value, string Css, double? Low = null, double? High = null, string? Title = null);

/// <summary>
/// Server-rendered SVG: horizontal bars of shares on one scale that always includes 0 (so a negative lift points left of
/// the zero line), with whiskers for confidence intervals and the value written at the end of each bar.
/// </summary>
internal static class RateBars
{
    /// <param name="bars">The rows, top to bottom.</param>
    /// <param name="description">What the chart shows, for screen readers.</param>
    /// <param name="points">Write values as percentage points (a difference) instead of percent.</param>
    public static string Render(IReadOnlyList<RateBar> bars, string description, bool points = false)
    {
        const int width = 720, left = 170, right = 80, rowHeight = 26, top = 6;
        var height = top + (bars.Count * rowHeight) + 18;
        var min = Math.Min(0, bars.Select(b => Math.Min(b.Value, b.Low ?? b.Value)).DefaultIfEmpty(0).Min());
        var max = Math.Max(0, bars.Select(b => Math.Max(b.Value, b.High ?? b.Value)).DefaultIfEmpty(0).Max());
        if (max - min < 1e-9)
        {
            max = min + 0.01;
        }
        var plot = width - left - right;
        double X(double v) => left + ((v - min) / (max - min) * plot);
        var c = CultureInfo.InvariantCulture;
        string Format(double v) => points ? (v * 100).ToString("+0.0;-0.0;0.0", c) + " pp" : v.ToString("P1", c);
        var svg = new StringBuilder();
        svg.Append(c, $"<svg class=\"chart rates\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{WebUtility.HtmlEncode(description)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        var zero = X(0);
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = top + (i * rowHeight);
            var title = bar.Title ?? $"{bar.Label}: {Format(bar.Value)}" + (bar.Low is { } lo && bar.High is { } hi ? $" (95 % CI {Format(lo)} to {Format(hi)})" : "");
            svg.Append(c, $"<g data-label=\"{WebUtility.HtmlEncode(bar.Label)}\"><title>{WebUtility.HtmlEncode(title)}</title>");
            svg.Append(c, $"<text class=\"axis\" x=\"{left - 8}\" y=\"{y + 16}\" text-anchor=\"end\">{WebUtility.HtmlEncode(bar.Label)}</text>");
            var x0 = Math.Min(zero, X(bar.Value));
            var w = Math.Max(1, Math.Abs(X(bar.Value) - zero));
            svg.Append(c, $"<rect class=\"{bar.Css}\" x=\"{x0:0.#}\" y=\"{y + 4}\" width=\"{w:0.#}\" height=\"{rowHeight - 10}\"/>");
            if (bar.Low is { } low && bar.High is { } high)
            {
                var mid = y + (rowHeight / 2) - 1;
                svg.Append(c, $"<path class=\"whisker\" d=\"M{X(low):0.#} {mid - 6}v12M{X(low):0.#} {mid}H{X(high):0.#}M{X(high):0.#} {mid - 6}v12\"/>");
            }
            var end = Math.Max(X(bar.Value), X(bar.High ?? bar.Value));
            svg.Append(c, $"<text class=\"value\" x=\"{end + 6:0.#}\" y=\"{y + 16}\">{Format(bar.Value)}</text></g>");
        }
        svg.Append(c, $"<line class=\"zero\" x1=\"{zero:0.#}\" x2=\"{zero:0.#}\" y1=\"{top}\" y2=\"{height - 16}\"/>");
        svg.Append(c, $"<text class=\"axis\" x=\"{zero:0.#}\" y=\"{height - 4}\" text-anchor=\"middle\">0</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
