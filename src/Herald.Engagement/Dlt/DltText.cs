using System.Text;
using System.Text.RegularExpressions;

namespace Herald.Engagement.Dlt;

/// <summary>
/// A registered DLT template text: fixed parts around <c>{#var#}</c> slots. Operators compare a message with it exactly
/// (case, punctuation, spacing, line breaks) outside the slots, and each slot holds at most <see cref="MaxVariableLength"/>
/// characters (compliance.md). Line endings are the one thing normalised: <c>\r\n</c> counts as <c>\n</c> on both sides.
/// </summary>
public sealed partial class DltText
{
    /// <summary>The most characters one <c>{#var#}</c> may hold.</summary>
    public const int MaxVariableLength = 30;

    private readonly Regex _bounded;
    private readonly Regex _unbounded;

    private DltText(string text, IReadOnlyList<string> fixedParts)
    {
        Text = text;
        FixedParts = fixedParts;
        _bounded = Build(fixedParts, $"([\\s\\S]{{0,{MaxVariableLength}}})");
        _unbounded = Build(fixedParts, "([\\s\\S]*?)");
    }

    /// <summary>The registered text.</summary>
    public string Text { get; }

    /// <summary>The fixed parts: one more than there are slots (empty strings where slots touch or the text starts or ends with one).</summary>
    public IReadOnlyList<string> FixedParts { get; }

    /// <summary>How many <c>{#var#}</c> slots it has.</summary>
    public int Slots => FixedParts.Count - 1;

    /// <summary>Reads a registered text.</summary>
    public static DltText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalised = Normalise(text);
        return new DltText(normalised, VarPattern().Split(normalised));
    }

    /// <summary>Line endings as operators compare them.</summary>
    public static string Normalise(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>
    /// Checks a message's text against the template: answers the variables' values, or null with <paramref name="difference"/>
    /// saying what differs (the first fixed text that does not match, or the variable that is too long).
    /// </summary>
    public IReadOnlyList<string>? Match(string? body, out string? difference)
    {
        body = Normalise(body ?? "");
        var bounded = _bounded.Match(body);
        if (bounded.Success)
        {
            difference = null;
            return bounded.Groups.Cast<Group>().Skip(1).Select(g => g.Value).ToList();
        }
        var unbounded = _unbounded.Match(body);
        if (unbounded.Success)
        {
            var groups = unbounded.Groups.Cast<Group>().Skip(1).ToList();
            var longest = groups.Select((g, i) => (g.Value, Index: i)).MaxBy(g => g.Value.Length);
            difference = $"variable {longest.Index + 1} of {Slots} is {longest.Value.Length} characters (\"{Shorten(longest.Value)}\"); a {{#var#}} holds at most {MaxVariableLength}";
            return null;
        }
        difference = FirstDifference(body);
        return null;
    }

    /// <summary>Where the text leaves the template: the first fixed part that is not where it should be.</summary>
    private string FirstDifference(string body)
    {
        var position = 0;
        for (var i = 0; i < FixedParts.Count; i++)
        {
            var part = FixedParts[i];
            if (i == 0)
            {
                if (!body.StartsWith(part, StringComparison.Ordinal))
                {
                    return $"the text must start with \"{Shorten(part)}\" but starts with \"{Shorten(body[..Math.Min(body.Length, Math.Max(part.Length, 1))])}\"{Where(body, part)}";
                }
                position = part.Length;
                continue;
            }
            if (i == FixedParts.Count - 1)
            {
                if (!body.EndsWith(part, StringComparison.Ordinal) || body.Length - part.Length < position)
                {
                    return $"the text must end with \"{Shorten(part)}\" but ends with \"{Shorten(body[Math.Max(0, body.Length - Math.Max(part.Length, 1))..])}\"";
                }
                break;
            }
            if (part.Length == 0)
            {
                continue;
            }
            var found = body.IndexOf(part, position, StringComparison.Ordinal);
            if (found < 0)
            {
                return $"the fixed text \"{Shorten(part)}\" after variable {i} is not in the message (case, punctuation, spacing and line breaks must be as registered)";
            }
            position = found + part.Length;
        }
        return "the text does not match the registered template";
    }

    private static string Where(string body, string part)
    {
        var same = 0;
        while (same < body.Length && same < part.Length && body[same] == part[same])
        {
            same++;
        }
        return $" (they differ at character {same + 1})";
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    private static Regex Build(IReadOnlyList<string> fixedParts, string slot)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < fixedParts.Count; i++)
        {
            if (i > 0)
            {
                pattern.Append(slot);
            }
            pattern.Append(Regex.Escape(fixedParts[i]));
        }
        pattern.Append("\\z");
        return new Regex(pattern.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    [GeneratedRegex(@"\{#var#\}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex VarPattern();
}
