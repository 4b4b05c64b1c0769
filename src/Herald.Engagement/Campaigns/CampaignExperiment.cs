using System.Globalization;
using Herald.Core.Experiments;
using Herald.Storage.Records;

namespace Herald.Engagement.Campaigns;

/// <summary>
/// A campaign's experiment: who is held out (the global control group, the campaign's control group), who tests which
/// A/B variant and who waits for the winner, all decided when the audience is frozen from stable hashes of the contact's id;
/// and, after the test phase, which variant won.
/// </summary>
internal static class CampaignExperiment
{
    /// <summary>The salt of the global control group: the same for every campaign, so the same contacts are held out of all.</summary>
    public const string GlobalSalt = "global-control";

    /// <summary>Where each contact goes, or null when the campaign has no experiment (everyone pending with the one body).</summary>
    public static Func<string, RecipientAssignment>? Assignment(string campaignId, CampaignDefinition definition, double globalControlPercent)
    {
        var global = definition.GlobalControl == false ? 0 : globalControlPercent;
        var control = definition.ControlPercent ?? 0;
        double[]? split = definition.Variants is { Count: > 1 } variants ? [.. variants.Select(v => v.Percent ?? 0)] : null;
        var test = definition.AbTest?.TestPercent;
        if (global <= 0 && control <= 0 && split is null)
        {
            return null;
        }
        // Separate salts keep the groups independent: the control share does not decide who tests which variant.
        return contact =>
        {
            if (StableBucket.IsIn(GlobalSalt, contact, global))
            {
                return new RecipientAssignment("control", "global-control", 0, 0);
            }
            if (StableBucket.IsIn($"control:{campaignId}", contact, control))
            {
                return new RecipientAssignment("control", "control", 0, 0);
            }
            if (split is null)
            {
                return RecipientAssignment.Default;
            }
            if (test is { } share && !StableBucket.IsIn($"test:{campaignId}", contact, share))
            {
                return new RecipientAssignment("held", "ab-rest", 0, 1);
            }
            var variant = StableBucket.Pick($"variant:{campaignId}", contact, split);
            return variant == 0 ? RecipientAssignment.Default : new RecipientAssignment("pending", null, variant, 0);
        };
    }

    /// <summary>
    /// The variant with the best rate (clicks or conversions over messages sent) in the test phase; a tie goes to the first
    /// of them, a phase with nothing sent to the first variant. The reason gives every variant's numbers.
    /// </summary>
    public static (int Variant, string Reason) ChooseWinner(CampaignDefinition definition, IReadOnlyList<CampaignResultRow> rows)
    {
        var byConversions = definition.AbTest?.EffectiveWinnerBy == "conversions";
        var count = definition.EffectiveVariants.Count;
        var scores = Enumerable.Range(0, count).Select(i =>
        {
            var test = rows.Where(r => r.Status == "queued" && r.Phase == 0 && r.Variant == i).ToList();
            var sent = test.Sum(r => r.Recipients);
            var hits = test.Sum(r => byConversions ? r.Converted : r.Clicked);
            return (Variant: i, Sent: sent, Hits: hits, Rate: sent == 0 ? -1 : (double)hits / sent);
        }).ToList();
        var best = scores.OrderByDescending(s => s.Rate).ThenBy(s => s.Variant).First();
        var metric = byConversions ? "converted" : "clicked";
        var numbers = string.Join("; ", scores.Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{definition.VariantName(s.Variant)}: {s.Hits} of {s.Sent} {metric}{(s.Sent == 0 ? "" : $" ({(double)s.Hits / s.Sent:P1})")}")));
        var reason = best.Sent == 0
            ? $"nothing was sent in the test phase, so {definition.VariantName(best.Variant)} (the first) goes to the rest ({numbers})"
            : $"{definition.VariantName(best.Variant)} had the best {(byConversions ? "conversion" : "click")} rate in the test phase ({numbers})";
        return (best.Variant, reason);
    }
}
