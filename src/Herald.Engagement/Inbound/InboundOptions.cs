using Microsoft.Extensions.Options;

namespace Herald.Engagement.Inbound;

/// <summary>Inbound replies and their keywords (section <c>Herald:Inbound</c>).</summary>
public sealed class InboundOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Inbound";

    /// <summary>Opt-out keywords every number understands (US carriers', CTIA's and Twilio's list).</summary>
    public static IReadOnlyList<string> StandardStop { get; } = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"];

    /// <summary>Resubscribe keywords.</summary>
    public static IReadOnlyList<string> StandardStart { get; } = ["START", "UNSTOP", "YES"];

    /// <summary>Help keywords.</summary>
    public static IReadOnlyList<string> StandardHelp { get; } = ["HELP", "INFO"];

    /// <summary>More opt-out keywords, e.g. other locales' (<c>Herald:Inbound:StopKeywords</c>; e.g. <c>ARRET</c>, <c>TD</c>).</summary>
    public List<string> StopKeywords { get; set; } = [];

    /// <summary>More resubscribe keywords (<c>Herald:Inbound:StartKeywords</c>).</summary>
    public List<string> StartKeywords { get; set; } = [];

    /// <summary>More help keywords (<c>Herald:Inbound:HelpKeywords</c>, e.g. <c>AIDE</c>).</summary>
    public List<string> HelpKeywords { get; set; } = [];

    /// <summary>
    /// The categories an opt-out suppresses (<c>Herald:Inbound:OptOutCategories</c>, default <c>promotional</c>; <c>*</c> for all, as
    /// the FCC's 2026 rule reads one opt-out as covering all of a business's programs).
    /// </summary>
    public List<string> OptOutCategories { get; set; } = [];

    /// <summary>The confirmation after an opt-out; empty sends none (<c>Herald:Inbound:StopReply</c>).</summary>
    public string? StopReply { get; set; } = "You are unsubscribed and will get no more promotional messages. Reply START to subscribe again.";

    /// <summary>The confirmation after a resubscribe; empty sends none (<c>Herald:Inbound:StartReply</c>).</summary>
    public string? StartReply { get; set; } = "You are subscribed again. Reply STOP to unsubscribe, HELP for help.";

    /// <summary>
    /// The answer to HELP: the brand, the program, how often, "msg &amp; data rates may apply" and how to opt out
    /// (<c>Herald:Inbound:HelpText</c>); empty sends none.
    /// </summary>
    public string? HelpText { get; set; } = "Messages from us about your account and offers. Msg frequency varies. Msg & data rates may apply. Reply STOP to unsubscribe.";

    /// <summary>The sender id of confirmations (<c>Herald:Inbound:Sender</c>); default: the number the person wrote to.</summary>
    public string? Sender { get; set; }

    /// <summary>A DLT template id for confirmations to Indian numbers (<c>Herald:Inbound:TemplateId</c>), if the texts are registered.</summary>
    public string? TemplateId { get; set; }

    /// <summary>The categories an opt-out suppresses, as configured or the default.</summary>
    public IReadOnlyList<string> EffectiveOptOutCategories => OptOutCategories.Count == 0 ? ["promotional"] : OptOutCategories;
}

internal sealed class InboundOptionsValidator : IValidateOptions<InboundOptions>
{
    public ValidateOptionsResult Validate(string? name, InboundOptions options)
    {
        var failures = new List<string>();
        foreach (var (list, key) in new[] { (options.StopKeywords, "StopKeywords"), (options.StartKeywords, "StartKeywords"), (options.HelpKeywords, "HelpKeywords") })
        {
            if (list.Any(k => InboundKeywords.Normalise(k).Length is 0 or > 40))
            {
                failures.Add($"Herald:Inbound:{key} holds an empty keyword or one over 40 letters: list whole words such as ARRET.");
            }
        }
        var allowed = new[] { "*", "promotional", "transactional", "service" };
        if (options.OptOutCategories.FirstOrDefault(c => !allowed.Contains(c.Trim().ToLowerInvariant())) is { } bad)
        {
            failures.Add($"Herald:Inbound:OptOutCategories: '{bad}' is not a category; use promotional, transactional, service or *.");
        }
        foreach (var (text, key) in new[] { (options.StopReply, "StopReply"), (options.StartReply, "StartReply"), (options.HelpText, "HelpText") })
        {
            if (text is { Length: > 640 })
            {
                failures.Add($"Herald:Inbound:{key} is {text.Length} characters: keep a confirmation within 640 (four segments).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
