namespace Herald.Dispatch;

/// <summary>When to try a transient failure again: exponential, capped, with jitter, at least what the provider asked.</summary>
internal static class Backoff
{
    /// <summary>
    /// The wait before the next attempt after attempt <paramref name="attempt"/> (1 = the first send) failed:
    /// <c>min(RetryBaseDelay × 2^(attempt−1) × (1 + RetryJitter × random), RetryMaxDelay)</c>, or the provider's
    /// <c>Retry-After</c> when that is longer (it is honoured even past <c>RetryMaxDelay</c>).
    /// </summary>
    /// <param name="attempt">The attempt that failed, counted from 1 (values below 1 count as 1).</param>
    /// <param name="retryAfter">What the provider asked, if it did.</param>
    /// <param name="options">The base, cap and jitter.</param>
    /// <param name="random">A number in [0, 1) that places the delay within the jitter.</param>
    public static TimeSpan Delay(int attempt, TimeSpan? retryAfter, DispatchOptions options, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var max = (double)options.RetryMaxDelay.Ticks;
        var baseDelay = Math.Min(options.RetryBaseDelay.Ticks * Math.Pow(2, exponent), max);
        var jittered = TimeSpan.FromTicks((long)Math.Min(baseDelay * (1 + options.RetryJitter * Math.Clamp(random, 0, 1)), max));
        return retryAfter is { } asked && asked > jittered ? asked : jittered;
    }
}
