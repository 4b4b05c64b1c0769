using Herald.Core.Experiments;
using Herald.Storage.Records;

namespace Herald.Engagement.Campaigns;

/// <summary>
/// What a campaign's messages achieved: clicks and conversions over the recipients sent a message, each A/B variant,
/// the test phase's winner, and the goal's rate against the control group with the lift's 95 % confidence interval.
/// </summary>
/// <param name="Goal">The conversion goal, or null (no conversions are counted).</param>
/// <param name="Sent">Recipients sent a message.</param>
/// <param name="Delivered">Of them, delivered.</param>
/// <param name="Clicked">Of them, who clicked a link in it.</param>
/// <param name="ClickRate">Clicked over sent.</param>
/// <param name="Conversions">Of them, who did the goal event within the window after delivery or a click (once each); null without a goal.</param>
/// <param name="ConversionRate">Conversions over sent.</param>
/// <param name="Variants">Each A/B variant (one, "A", without variants).</param>
/// <param name="AbTest">The test phase and its winner, when the campaign has one.</param>
/// <param name="Control">The control groups and the lift, when the campaign held anyone out.</param>
public sealed record CampaignResults(
    CampaignGoal? Goal,
    long Sent,
    long Delivered,
    long Clicked,
    double? ClickRate,
    long? Conversions,
    double? ConversionRate,
    IReadOnlyList<CampaignVariantResult> Variants,
    CampaignAbTestResult? AbTest,
    CampaignControlResult? Control)
{
    internal static CampaignResults From(CampaignDefinition definition, CampaignRecord campaign, IReadOnlyList<CampaignResultRow> rows)
    {
        var goal = definition.Goal;
        var sent = rows.Where(r => r.Status == "queued").ToList();
        long Sum(IEnumerable<CampaignResultRow> of, Func<CampaignResultRow, long> value) => of.Sum(value);
        var total = Sum(sent, r => r.Recipients);
        var converted = Sum(sent, r => r.Converted);
        var variants = definition.EffectiveVariants.Select((v, i) =>
        {
            var mine = sent.Where(r => r.Variant == i).ToList();
            var n = Sum(mine, r => r.Recipients);
            var clicked = Sum(mine, r => r.Clicked);
            var conversions = Sum(mine, r => r.Converted);
            return new CampaignVariantResult(definition.VariantName(i), v.Body, v.Percent ?? 100, n, Sum(mine, r => r.Delivered), clicked, Rate(clicked, n),
                goal is null ? null : conversions, goal is null ? null : Rate(conversions, n), campaign.WinnerVariant == i,
                definition.AbTest is null ? null : Sum(mine.Where(r => r.Phase == 0), r => r.Recipients));
        }).ToList();
        CampaignAbTestResult? abTest = definition.AbTest is { } ab
            ? new CampaignAbTestResult(ab.TestPercent ?? 0, ab.Wait.TotalHours, ab.EffectiveWinnerBy, campaign.TestEndedAt, campaign.TestEndedAt + ab.Wait,
                campaign.WinnerVariant is { } w ? definition.VariantName(w) : null, campaign.WinnerReason, campaign.WinnerAt)
            : null;
        var control = rows.Where(r => r.Status == "control").ToList();
        CampaignControlResult? held = null;
        if (control.Count > 0 || definition.ControlPercent is > 0)
        {
            var heldOut = Sum(control, r => r.Recipients);
            var controlConverted = Sum(control, r => r.Converted);
            held = new CampaignControlResult(definition.ControlPercent ?? 0, heldOut, Sum(control.Where(r => r.Reason == "global-control"), r => r.Recipients),
                goal is null ? null : controlConverted, goal is null ? null : Rate(controlConverted, heldOut), goal is null ? null : Rate(converted, total),
                goal is null ? null : Lift.Of(converted, total, controlConverted, heldOut));
        }
        return new CampaignResults(goal, total, Sum(sent, r => r.Delivered), Sum(sent, r => r.Clicked), Rate(Sum(sent, r => r.Clicked), total),
            goal is null ? null : converted, goal is null ? null : Rate(converted, total), variants, abTest, held);
    }

    private static double? Rate(long count, long of) => of == 0 ? null : Math.Round((double)count / of, 6);
}

/// <summary>One A/B variant's results (all its recipients: the test phase and, for the winner, the rest).</summary>
/// <param name="Name">A, B, C or its own name.</param>
/// <param name="Body">Its text.</param>
/// <param name="Percent">Its share of the split.</param>
/// <param name="Sent">Recipients sent it.</param>
/// <param name="Delivered">Delivered.</param>
/// <param name="Clicked">Clicked.</param>
/// <param name="ClickRate">Clicked over sent.</param>
/// <param name="Converted">Converted (null without a goal).</param>
/// <param name="ConversionRate">Converted over sent.</param>
/// <param name="Winner">Whether the runner chose it for the rest of the audience.</param>
/// <param name="TestPhaseSent">Of <paramref name="Sent"/>, those in the test phase (when there is one).</param>
public sealed record CampaignVariantResult(string Name, string? Body, double Percent, long Sent, long Delivered, long Clicked, double? ClickRate, long? Converted,
    double? ConversionRate, bool Winner, long? TestPhaseSent);

/// <summary>An A/B test phase and what it decided.</summary>
/// <param name="TestPercent">The share of the audience that tested the variants.</param>
/// <param name="WaitHours">How long after the test phase was sent the winner is chosen.</param>
/// <param name="WinnerBy">clicks or conversions.</param>
/// <param name="TestEndedAt">When every test recipient had been handled.</param>
/// <param name="DecidesAt">When the winner is (or was) due to be chosen.</param>
/// <param name="Winner">The winning variant's name, once chosen.</param>
/// <param name="Reason">Why it won: every variant's numbers in the test phase.</param>
/// <param name="DecidedAt">When it was chosen.</param>
public sealed record CampaignAbTestResult(double TestPercent, double WaitHours, string WinnerBy, DateTimeOffset? TestEndedAt, DateTimeOffset? DecidesAt,
    string? Winner, string? Reason, DateTimeOffset? DecidedAt);

/// <summary>The recipients held out, and the lift of the goal's rate among those sent the campaign over theirs.</summary>
/// <param name="Percent">The campaign's own control share.</param>
/// <param name="HeldOut">Recipients held out (never sent).</param>
/// <param name="GlobalControl">Of them, held out as members of the global control group.</param>
/// <param name="Converted">Held-out recipients who did the goal event within the window after they were due (null without a goal).</param>
/// <param name="Rate">The control group's goal rate.</param>
/// <param name="SentRate">The sent recipients' goal rate (the conversion rate).</param>
/// <param name="Lift">Sent minus control, with its 95 % confidence interval (null without a goal or with an empty group).</param>
public sealed record CampaignControlResult(double Percent, long HeldOut, long GlobalControl, long? Converted, double? Rate, double? SentRate, Lift? Lift);
