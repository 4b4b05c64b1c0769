using System.Threading.RateLimiting;

namespace Herald.Dispatch;

/// <summary>
/// A provider's pace: a token bucket of messages a second and a cap on requests in flight,
/// rebuilt when the provider's limits change (they are editable at runtime).
/// </summary>
internal sealed class ProviderThrottle : IDisposable
{
    private readonly TokenBucketRateLimiter? _rate;
    private readonly SemaphoreSlim? _inFlight;

    public ProviderThrottle(ResolvedProvider provider)
    {
        Version = provider.Version;
        Limits = (provider.RateLimit, provider.MaxInFlight);
        if (provider.RateLimit > 0)
        {
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = provider.RateLimit,
                TokensPerPeriod = Math.Max(1, provider.RateLimit / 10),
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
        if (provider.MaxInFlight > 0)
        {
            _inFlight = new SemaphoreSlim(provider.MaxInFlight, provider.MaxInFlight);
        }
    }

    public DateTimeOffset Version { get; }

    public (int Rate, int InFlight) Limits { get; }

    /// <summary>Waits for room to send <paramref name="messages"/> messages in one request; dispose the lease when the request ends.</summary>
    public async ValueTask<IDisposable> AcquireAsync(int messages, CancellationToken cancellationToken)
    {
        if (_rate is not null)
        {
            var permits = Math.Min(messages, Limits.Rate);
            using var lease = await _rate.AcquireAsync(permits, cancellationToken);
            if (!lease.IsAcquired)
            {
                throw new InvalidOperationException("The rate limiter refused a permit.");
            }
        }
        if (_inFlight is null)
        {
            return NoLease.Instance;
        }
        await _inFlight.WaitAsync(cancellationToken);
        return new Release(_inFlight);
    }

    public void Dispose()
    {
        _rate?.Dispose();
        _inFlight?.Dispose();
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }

    private sealed class NoLease : IDisposable
    {
        public static NoLease Instance { get; } = new();

        public void Dispose()
        {
        }
    }
}
