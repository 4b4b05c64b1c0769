namespace Herald.Core.Experiments;

/// <summary>
/// The lift of a treated group's rate over a control group's, with its 95 % confidence interval: the difference of two
/// proportions under the normal approximation (Wald interval),
/// <c>d = p₁ − p₀ ± 1.96 · √(p₁(1 − p₁)/n₁ + p₀(1 − p₀)/n₀)</c>, where <c>pᵢ = xᵢ / nᵢ</c>.
/// </summary>
/// <param name="TreatedRate">p₁: the treated group's rate.</param>
/// <param name="ControlRate">p₀: the control group's rate.</param>
/// <param name="Difference">p₁ − p₀ (absolute lift, a share: 0.02 = 2 percentage points).</param>
/// <param name="Low">The interval's lower end.</param>
/// <param name="High">The interval's upper end.</param>
/// <param name="Relative">(p₁ − p₀) / p₀, or null when the control rate is 0.</param>
/// <param name="Significant">Whether the interval leaves out 0 (the lift is unlikely to be chance at the 5 % level).</param>
public sealed record Lift(double TreatedRate, double ControlRate, double Difference, double Low, double High, double? Relative, bool Significant)
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The lift of <paramref name="treated"/> of <paramref name="treatedCount"/> over <paramref name="control"/> of <paramref name="controlCount"/>; null when a group is empty.</summary>
    public static Lift? Of(long treated, long treatedCount, long control, long controlCount)
    {
        if (treatedCount <= 0 || controlCount <= 0)
        {
            return null;
        }
        var p1 = (double)treated / treatedCount;
        var p0 = (double)control / controlCount;
        var difference = p1 - p0;
        var margin = Z95 * Math.Sqrt((p1 * (1 - p1) / treatedCount) + (p0 * (1 - p0) / controlCount));
        var low = difference - margin;
        var high = difference + margin;
        return new Lift(p1, p0, difference, low, high, p0 > 0 ? difference / p0 : null, low > 0 || high < 0);
    }
}
