using System.Text;
using System.Text.RegularExpressions;

namespace Herald.Core.Placeholders;

/// <summary>The placeholders every configuration understands (protocols.md §2).</summary>
public enum SystemPlaceholder
{
    /// <summary><c>$$To</c>: the recipient, mandatory in every configuration.</summary>
    To,
    /// <summary><c>$$Body</c>: the message text.</summary>
    Body,
    /// <summary><c>$$TemplateID</c> (also <c>$$TemplateId</c>): the DLT template id.</summary>
    TemplateId,
    /// <summary><c>$$TemplateVariables</c>: the template's variables.</summary>
    TemplateVariables,
    /// <summary><c>$$CampaignID</c>: the campaign id.</summary>
    CampaignId,
    /// <summary><c>$$MessageID</c>: Herald's id for the message, echoed back in reports.</summary>
    MessageId,
    /// <summary><c>$$CallbackURL</c> (a Herald extension): the provider's own delivery-report URL.</summary>
    CallbackUrl,
}

/// <summary>One <c>$$Name</c> occurrence in a template.</summary>
/// <param name="Name">The name as written, without <c>$$</c>.</param>
/// <param name="Index">Where the <c>$$</c> starts.</param>
/// <param name="Length">Length including <c>$$</c>.</param>
/// <param name="System">The system placeholder it names, or null for a custom one.</param>
public sealed record PlaceholderToken(string Name, int Index, int Length, SystemPlaceholder? System)
{
    /// <summary>A custom replacement such as <c>$$Sender</c>: a mandatory input unless optional.</summary>
    public bool IsCustom => System is null;

    /// <summary>
    /// Placeholders that may have no value: a parameter that holds nothing but one of them is
    /// left out of the request instead of being sent empty. <c>$$EntityId</c> and <c>$$Header</c> are the DLT entity id and
    /// header: filled from the registered DLT template the message names (or given as dynamic fields), absent otherwise.
    /// </summary>
    public bool IsOptional => System is SystemPlaceholder.TemplateId or SystemPlaceholder.TemplateVariables or SystemPlaceholder.CampaignId
        || string.Equals(Name, "LongURL", StringComparison.OrdinalIgnoreCase)
        || string.Equals(Name, "EntityId", StringComparison.OrdinalIgnoreCase)
        || string.Equals(Name, "Header", StringComparison.OrdinalIgnoreCase);

    /// <summary>The placeholder as written in a template, e.g. <c>$$Sender</c>.</summary>
    public override string ToString() => "$$" + Name;
}

/// <summary>A string with <c>$$Name</c> placeholders, parsed once and rendered many times.</summary>
public sealed partial class PlaceholderTemplate
{
    private PlaceholderTemplate(string text, IReadOnlyList<PlaceholderToken> tokens)
    {
        Text = text;
        Tokens = tokens;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>Every placeholder occurrence, in order.</summary>
    public IReadOnlyList<PlaceholderToken> Tokens { get; }

    /// <summary>Whether the whole template (ignoring surrounding white space) is one placeholder.</summary>
    public PlaceholderToken? SolePlaceholder =>
        Tokens.Count == 1 && Text.Trim().Length == Tokens[0].Length ? Tokens[0] : null;

    /// <summary>Parses a template; text without placeholders is a template too.</summary>
    public static PlaceholderTemplate Parse(string? text)
    {
        text ??= "";
        var tokens = new List<PlaceholderToken>();
        foreach (Match match in PlaceholderPattern().Matches(text))
        {
            var name = match.Groups[1].Value;
            tokens.Add(new PlaceholderToken(name, match.Index, match.Length, ToSystem(name)));
        }
        return new PlaceholderTemplate(text, tokens);
    }

    /// <summary>Renders the template, asking <paramref name="valueOf"/> for each placeholder's already-escaped value.</summary>
    public string Render(Func<PlaceholderToken, string> valueOf)
    {
        if (Tokens.Count == 0)
        {
            return Text;
        }
        var builder = new StringBuilder(Text.Length + 64);
        var position = 0;
        foreach (var token in Tokens)
        {
            builder.Append(Text, position, token.Index - position).Append(valueOf(token));
            position = token.Index + token.Length;
        }
        return builder.Append(Text, position, Text.Length - position).ToString();
    }

    /// <summary>Maps a placeholder name to a system placeholder, case-insensitively.</summary>
    public static SystemPlaceholder? ToSystem(string name) => name.ToUpperInvariant() switch
    {
        "TO" => SystemPlaceholder.To,
        "BODY" => SystemPlaceholder.Body,
        "TEMPLATEID" => SystemPlaceholder.TemplateId,
        "TEMPLATEVARIABLES" => SystemPlaceholder.TemplateVariables,
        "CAMPAIGNID" => SystemPlaceholder.CampaignId,
        "MESSAGEID" => SystemPlaceholder.MessageId,
        "CALLBACKURL" => SystemPlaceholder.CallbackUrl,
        _ => null,
    };

    [GeneratedRegex(@"\$\$([A-Za-z][A-Za-z0-9_]*)", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();
}
