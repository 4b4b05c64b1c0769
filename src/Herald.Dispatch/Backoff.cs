namespace Herald.Dispatch;

/// <summary>When to try a transient failure again: exponential, capped, with jitter, at least what the provider asked.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan? retryAfter, DispatchOptions options, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var baseDelay = TimeSpan.FromTicks((long)Math.Min(options.RetryBaseDelay.Ticks * Math.Pow(2, exponent), options.RetryMaxDelay.Ticks));
        var jittered = baseDelay + TimeSpan.FromTicks((long)(baseDelay.Ticks * options.RetryJitter * random));
        return retryAfter is { } asked && asked > jittered ? asked : jittered;
    }
}
