using Microsoft.Extensions.Options;

namespace Herald.Engagement.Policy;

/// <summary>
/// Server-wide defaults of the send-path policy (section <c>Herald:Policy</c>). A campaign may override the frequency caps.
/// </summary>
public sealed class PolicyOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Policy";

    /// <summary>
    /// Rolling caps on promotional (<c>mkt</c>) messages per contact; every cap must hold. Default: at most 3 per 24 hours and 1 per 4 hours.
    /// OTP and transactional messages are never capped. Configured caps replace the defaults as a whole.
    /// </summary>
    public IList<FrequencyCap> FrequencyCaps { get; set; } = [];

    /// <summary>
    /// Quiet hours in the recipient's time zone for <c>mkt</c> and <c>default</c> messages, as <c>"21:00-09:00"</c> (may wrap
    /// midnight). Default: none, so API messages have no quiet hours unless this is set; a campaign sets its own.
    /// </summary>
    public string? QuietHours { get; set; }

    /// <summary>Whether a message in quiet hours is skipped (<c>quiet-hours</c>) instead of deferred to their end. Default: false (deferred).</summary>
    public bool DropInQuietHours { get; set; }

    /// <summary>
    /// Whether a promotional message may go to a number that is not a contact (so no consent is on record). Default: false:
    /// it is skipped with <c>no-consent</c> (TCPA and TRAI both want consent for marketing, and Herald can only know it for contacts).
    /// </summary>
    public bool PromotionalWithoutContact { get; set; }

    /// <summary>
    /// A message the dispatcher claims at least this long after it was submitted (it was deferred, retried or queued behind a
    /// campaign) is checked again before it is sent, so a STOP or a withdrawn consent in between is honoured. Default: 1 minute.
    /// </summary>
    public TimeSpan RecheckAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The parsed <see cref="QuietHours"/>, or null.</summary>
    internal (TimeOnly Start, TimeOnly End)? ParsedQuietHours => TryParseHours(QuietHours, out var hours) ? hours : null;

    internal static bool TryParseHours(string? text, out (TimeOnly Start, TimeOnly End)? hours)
    {
        hours = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && TimeOnly.TryParseExact(parts[0], "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var start)
            && TimeOnly.TryParseExact(parts[1], "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var end)
            && start != end)
        {
            hours = (start, end);
            return true;
        }
        return false;
    }

    /// <summary>The caps that apply when none are configured.</summary>
    public static IReadOnlyList<FrequencyCap> DefaultFrequencyCaps { get; } = [new(3, TimeSpan.FromHours(24)), new(1, TimeSpan.FromHours(4))];
}

/// <summary>At most <see cref="Count"/> messages in any rolling <see cref="Window"/>.</summary>
public sealed record FrequencyCap(int Count, TimeSpan Window)
{
    /// <summary>For configuration binding.</summary>
    public FrequencyCap() : this(0, TimeSpan.Zero) { }
}

internal sealed class PolicyOptionsValidator : IValidateOptions<PolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        List<string> failures = [];
        for (var i = 0; i < options.FrequencyCaps.Count; i++)
        {
            var cap = options.FrequencyCaps[i];
            if (cap.Count < 1)
                failures.Add($"Herald:Policy:FrequencyCaps:{i}:Count must be at least 1 (it is {cap.Count}); remove the cap to lift it.");
            if (cap.Window <= TimeSpan.Zero || cap.Window > TimeSpan.FromDays(366))
                failures.Add($"Herald:Policy:FrequencyCaps:{i}:Window must be a duration between 1 second and 366 days, e.g. \"04:00:00\" (it is {cap.Window}).");
        }
        if (!string.IsNullOrWhiteSpace(options.QuietHours) && !PolicyOptions.TryParseHours(options.QuietHours, out _))
            failures.Add($"Herald:Policy:QuietHours must be two different times as \"HH:mm-HH:mm\", e.g. \"21:00-09:00\" (it is \"{options.QuietHours}\"); leave it out for no quiet hours.");
        if (options.RecheckAfter < TimeSpan.Zero)
            failures.Add($"Herald:Policy:RecheckAfter must not be negative (it is {options.RecheckAfter}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
