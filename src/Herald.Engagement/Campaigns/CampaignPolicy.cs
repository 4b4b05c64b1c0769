using Herald.Dispatch.Intake;
using Herald.Engagement.Policy;
using Herald.Engagement.Segments;

namespace Herald.Engagement.Campaigns;

/// <summary>
/// A campaign's own send-path policy settings, used instead of the server's (<c>Herald:Policy</c>) for its messages: frequency
/// caps and quiet hours. Everything else (suppression, consent, DLT, legal hours) is the same for every message.
/// </summary>
public sealed record CampaignPolicy
{
    /// <summary>The longest cap window a campaign may set.</summary>
    public static readonly TimeSpan LongestWindow = TimeSpan.FromDays(366);

    /// <summary>Rolling caps on promotional messages per contact, instead of the server's; every cap must hold. Empty = no caps; null = the server's.</summary>
    public IReadOnlyList<CampaignCap>? FrequencyCaps { get; init; }

    /// <summary>Quiet hours in each recipient's time zone, as <c>"21:00-09:00"</c> (may wrap midnight); null = the server's setting.</summary>
    public string? QuietHours { get; init; }

    /// <summary>What a message in quiet hours does: <c>defer</c> (wait for their end) or <c>drop</c> (skipped with <c>quiet-hours</c>); null = the server's setting.</summary>
    public string? InQuietHours { get; init; }

    internal void Validate(Dictionary<string, string[]> errors)
    {
        if (FrequencyCaps is { } caps)
        {
            if (caps.Count > 10)
            {
                errors["policy.frequencyCaps"] = ["policy.frequencyCaps lists more than 10 caps: keep the ones that matter."];
            }
            for (var i = 0; i < caps.Count && i < 10; i++)
            {
                var cap = caps[i];
                var at = $"policy.frequencyCaps[{i}]";
                if (cap is null)
                {
                    errors[at] = [$"{at} is empty: write {{\"count\": 1, \"window\": \"PT4H\"}}."];
                    continue;
                }
                if (cap.Count is not >= 1)
                {
                    errors[at + ".count"] = [$"{at}.count must be at least 1 (give \"frequencyCaps\": [] for no caps at all)."];
                }
                if (cap.Window is null)
                {
                    errors[at + ".window"] = [$"{at}.window is missing: an ISO-8601 duration such as \"PT4H\" or \"P1D\"."];
                }
                else if (!IsoDuration.TryParse(cap.Window, out var window, out var error))
                {
                    errors[at + ".window"] = [$"{at}.window {error}"];
                }
                else if (window > LongestWindow)
                {
                    errors[at + ".window"] = [$"{at}.window is longer than {LongestWindow.TotalDays:0} days."];
                }
            }
        }
        if (QuietHours is not null && !PolicyOptions.TryParseHours(QuietHours, out _))
        {
            errors["policy.quietHours"] = [$"policy.quietHours '{QuietHours}' is not two different times: write \"HH:mm-HH:mm\", e.g. \"21:00-09:00\"."];
        }
        if (InQuietHours is not null and not ("defer" or "drop"))
        {
            errors["policy.inQuietHours"] = [$"policy.inQuietHours '{InQuietHours}' is not defer or drop: defer waits for the quiet hours to end, drop skips the recipient."];
        }
    }

    /// <summary>The overrides the send-path policy takes (a definition that passed validation).</summary>
    internal PolicyOverrides ToOverrides() => new()
    {
        FrequencyCaps = FrequencyCaps?.Select(c => (c.Count!.Value, IsoDuration.TryParse(c.Window!, out var window, out _) ? window : TimeSpan.Zero)).ToList(),
        QuietHours = PolicyOptions.TryParseHours(QuietHours, out var hours) ? hours : null,
        DropInQuietHours = InQuietHours switch { "drop" => true, "defer" => false, _ => null },
    };
}

/// <summary>At most <see cref="Count"/> promotional messages to a contact in any rolling <see cref="Window"/>.</summary>
public sealed record CampaignCap
{
    /// <summary>How many messages.</summary>
    public int? Count { get; init; }

    /// <summary>The window, an ISO-8601 duration (<c>PT4H</c>, <c>P1D</c>, <c>P7D</c>).</summary>
    public string? Window { get; init; }
}
