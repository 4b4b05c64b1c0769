using System.Globalization;
using System.Net;
using System.Text;
using Herald.Engagement.Journeys;

namespace Herald.Dashboard.Shared;

/// <summary>
/// A journey drawn as an SVG: nodes in rows by their distance from the trigger (the longest path, so every edge points
/// down), each with its type and how many contacts wait there, and each edge labelled with its exit and how many
/// contacts took it.
/// </summary>
internal static class JourneyDiagram
{
    private const int Width = 190;
    private const int Height = 58;
    private const int ColumnGap = 40;
    private const int RowGap = 70;
    private const int Margin = 20;

    /// <param name="definition">The journey.</param>
    /// <param name="report">Its counts, if any.</param>
    /// <param name="segmentNames">Segment names by id, for a segment trigger or branch (the id is shown for one not in it).</param>
    public static string Render(JourneyDefinition definition, JourneyReport? report, IReadOnlyDictionary<string, string>? segmentNames = null)
    {
        var nodes = (definition.Nodes ?? []).Where(n => n?.Id is not null && n.Type is not null).ToList();
        var byId = nodes.GroupBy(n => n.Id!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var layer = Layers(nodes, byId);
        var rows = nodes.GroupBy(n => layer[n.Id!]).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var widest = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Count));
        var svgWidth = Margin * 2 + widest * Width + (widest - 1) * ColumnGap;
        var svgHeight = Margin * 2 + Math.Max(1, rows.Count) * Height + Math.Max(0, rows.Count - 1) * RowGap;
        var position = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        for (var r = 0; r < rows.Count; r++)
        {
            var rowWidth = rows[r].Count * Width + (rows[r].Count - 1) * ColumnGap;
            var left = (svgWidth - rowWidth) / 2.0;
            for (var i = 0; i < rows[r].Count; i++)
            {
                position[rows[r][i].Id!] = (left + i * (Width + ColumnGap), Margin + r * (Height + RowGap));
            }
        }
        var counts = (report?.Edges ?? []).ToDictionary(e => (e.From, e.To), e => e.Count);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" class="journey-diagram" role="img" viewBox="0 0 {svgWidth} {svgHeight}" width="{svgWidth}" height="{svgHeight}" aria-labelledby="journey-diagram-title">""");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"journey-diagram-title\">{E(definition.Name ?? "Journey")}: {nodes.Count} nodes, with how many contacts took each way</title>");
        svg.Append("""<defs><marker id="journey-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="journey-arrow"/></marker></defs>""");
        foreach (var node in nodes)
        {
            var exits = node.Exits().Where(e => e.Target is not null && position.ContainsKey(e.Target)).ToList();
            for (var i = 0; i < exits.Count; i++)
            {
                var (field, target) = exits[i];
                var (x1, y1) = position[node.Id!];
                var (x2, y2) = position[target!];
                var sx = x1 + Width / 2.0 + (exits.Count == 1 ? 0 : (i == 0 ? -Width / 4.0 : Width / 4.0));
                var sy = y1 + Height;
                var tx = x2 + Width / 2.0;
                var ty = y2;
                var count = counts.GetValueOrDefault((node.Id!, target!));
                var label = field == "next" ? count.ToString("N0", CultureInfo.InvariantCulture) : $"{Label(field)} · {count.ToString("N0", CultureInfo.InvariantCulture)}";
                svg.Append(CultureInfo.InvariantCulture,
                    $"""<g class="journey-edge" data-from="{E(node.Id!)}" data-to="{E(target!)}" data-count="{count}"><path d="M {F(sx)} {F(sy)} C {F(sx)} {F(sy + RowGap / 2.0)}, {F(tx)} {F(ty - RowGap / 2.0)}, {F(tx)} {F(ty - 2)}" marker-end="url(#journey-arrow)"/>""");
                // Two ways out: each label nearer its own target, so they do not cover each other.
                var along = exits.Count == 1 ? 0.5 : 0.72;
                var lx = sx + (tx - sx) * along;
                var ly = sy + (ty - sy) * along;
                svg.Append(CultureInfo.InvariantCulture,
                    $"""<rect x="{F(lx - 4 - label.Length * 3.4)}" y="{F(ly - 10)}" width="{F(8 + label.Length * 6.8)}" height="18" rx="4" class="journey-edge-label"/><text x="{F(lx)}" y="{F(ly + 3)}" text-anchor="middle">{E(label)}</text></g>""");
            }
        }
        foreach (var node in nodes)
        {
            var (x, y) = position[node.Id!];
            var active = report?.ActiveByNode.GetValueOrDefault(node.Id!) ?? 0;
            var detail = Detail(node, segmentNames);
            svg.Append(CultureInfo.InvariantCulture,
                $"""<g class="journey-node journey-node-{E(node.Type!)}" data-node="{E(node.Id!)}"><rect x="{F(x)}" y="{F(y)}" width="{Width}" height="{Height}" rx="8"/>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(x + 10)}" y="{F(y + 20)}" class="journey-node-title">{E(Trim(node.Id!, 22))}</text>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(x + 10)}" y="{F(y + 38)}" class="journey-node-type">{(detail.Length > 30 ? $"<title>{E(detail)}</title>" : "")}{E(Trim(detail, 30))}</text>""");
            if (active > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(x + Width - 10)}" y="{F(y + 20)}" text-anchor="end" class="journey-node-active">{active.ToString("N0", CultureInfo.InvariantCulture)} here</text>""");
            }
            svg.Append("</g>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Each node's row: the longest path to it from the trigger (nodes no path reaches go last).</summary>
    private static Dictionary<string, int> Layers(List<JourneyNode> nodes, Dictionary<string, JourneyNode> byId)
    {
        var layer = nodes.ToDictionary(n => n.Id!, _ => -1, StringComparer.Ordinal);
        if (nodes.FirstOrDefault(n => n.Type == JourneyNodeTypes.Trigger) is { } trigger)
        {
            layer[trigger.Id!] = 0;
            // A journey has no loops (validated), so relaxing as many times as there are nodes settles every row; a bad draft stops anyway.
            for (var round = 0; round < nodes.Count; round++)
            {
                var changed = false;
                foreach (var node in nodes.Where(n => layer[n.Id!] >= 0))
                {
                    foreach (var (_, target) in node.Exits())
                    {
                        if (target is not null && byId.ContainsKey(target) && layer[target] < layer[node.Id!] + 1 && layer[node.Id!] + 1 < nodes.Count)
                        {
                            layer[target] = layer[node.Id!] + 1;
                            changed = true;
                        }
                    }
                }
                if (!changed)
                {
                    break;
                }
            }
        }
        var last = layer.Values.DefaultIfEmpty(0).Max() + 1;
        foreach (var id in layer.Keys.ToList())
        {
            if (layer[id] < 0)
            {
                layer[id] = last;
            }
        }
        return layer;
    }

    private static string Detail(JourneyNode node, IReadOnlyDictionary<string, string>? segmentNames) => node.Type switch
    {
        JourneyNodeTypes.Trigger when node.Segment is { } segment => $"enters segment {segmentNames?.GetValueOrDefault(segment) ?? segment}",
        JourneyNodeTypes.Trigger => $"when {node.Event}",
        JourneyNodeTypes.WaitForEvent => $"wait {node.Timeout} for {node.Event}",
        JourneyNodeTypes.Delay => node.Duration is not null ? $"wait {node.Duration}" : node.UntilLocalTime is not null ? $"until {node.UntilLocalTime} local" : $"until {node.UntilAttribute}",
        JourneyNodeTypes.Branch => node.RandomPercent is { } p ? $"branch: {p}% random" : node.Segment is { } inSegment ? $"branch: in {segmentNames?.GetValueOrDefault(inSegment) ?? inSegment}" : $"branch: {node.Attribute?.Name}",
        JourneyNodeTypes.SendSms => "send SMS",
        JourneyNodeTypes.Webhook => "webhook",
        _ => "exit",
    };

    private static string Label(string field) => field switch
    {
        "onEvent" => "event came",
        "onTimeout" => "timed out",
        _ => field,
    };

    private static string Trim(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
