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
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
