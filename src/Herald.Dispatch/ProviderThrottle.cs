using Herald.Core.Concurrency;

namespace Herald.Dispatch;

/// <summary>
/// A provider's pace: a token bucket of messages a second and a cap on requests in flight (the provider's own, or, without
/// one, sized from its rate × latency: <see cref="AdaptiveInFlight"/>), rebuilt when the provider's limits change (they are
/// editable at runtime).
/// </summary>
internal sealed class ProviderThrottle
{
    private readonly PrioritySemaphore? _inFlight;

    public ProviderThrottle(ResolvedProvider provider, TimeProvider time, InFlightSizing? sizing = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(time);
        Version = provider.Version;
        Limits = (provider.RateLimit, provider.MaxInFlight);
        if (provider.RateLimit > 0)
        {
            Rate = new RateBucket(provider.RateLimit, time);
        }
        if (provider.MaxInFlight > 0)
        {
            _inFlight = new PrioritySemaphore(provider.MaxInFlight, provider.MaxInFlight);
        }
        else if (sizing is not null)
        {
            Adaptive = new AdaptiveInFlight(sizing, time);
        }
    }

    /// <summary>The in-flight cap sized from rate × latency; null when the provider sets its own (or none was asked for).</summary>
    public AdaptiveInFlight? Adaptive { get; }

    public DateTimeOffset Version { get; }

    public (int Rate, int InFlight) Limits { get; }

    /// <summary>The messages-a-second bucket; null when the provider has no rate limit.</summary>
    public RateBucket? Rate { get; }

    /// <summary>Waits for room to send <paramref name="messages"/> messages in one request; dispose the lease when the request ends.</summary>
    public ValueTask<IDisposable> AcquireAsync(int messages, CancellationToken cancellationToken) => AcquireAsync(messages, false, cancellationToken);

    /// <summary>
    /// Waits for room to send <paramref name="messages"/> messages in one request, ahead of the sends already waiting when
    /// <paramref name="urgent"/> (an OTP: it does not queue behind a campaign's claimed messages); dispose the lease when the request ends.
    /// </summary>
    public async ValueTask<IDisposable> AcquireAsync(int messages, bool urgent, CancellationToken cancellationToken)
    {
        if (Rate is not null)
        {
            await Rate.TakeAsync(messages, urgent, cancellationToken);
        }
        if (Adaptive is not null)
        {
            return await Adaptive.AcquireAsync(urgent, cancellationToken);
        }
        if (_inFlight is null)
        {
            return NoLease.Instance;
        }
        await _inFlight.WaitAsync(urgent, cancellationToken);
        return new Release(_inFlight);
    }

    /// <summary>
    /// A token bucket driven by a <see cref="TimeProvider"/>: it refills continuously at <c>rate</c> tokens a
    /// second and holds at most <see cref="Capacity"/> tokens, 1/20 s of messages (at least one), full at the start.
    /// Over any window of <c>t</c> seconds at most <c>rate × t + Capacity</c> messages go out (a one-second window:
    /// within 5 % of the rate, plus one message below 20 a second), and a busy provider gets exactly <c>rate</c>
    /// a second in the long run. A request for more than <see cref="Capacity"/> messages (a batch) waits for a full
    /// bucket and leaves it in debt, so batches do not raise the rate either.
    /// </summary>
    /// <remarks>
    /// Not <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c>: it refills from its own real-time timer, and
    /// with <c>AutoReplenishment = false</c> its <c>TryReplenish()</c> still adds tokens for the time it measures itself
    /// with <c>Stopwatch</c> (not per call), so neither the host's <see cref="TimeProvider"/> nor a fake one could drive it.
    /// Tokens are counted in units of 1/<see cref="TimeSpan.TicksPerSecond"/> token, so <c>rate</c> units accrue per
    /// elapsed tick and the arithmetic is exact. Waiters take turns, in order; only the one whose turn it is touches the balance.
    /// </remarks>
    internal sealed class RateBucket
    {
        private const long Unit = TimeSpan.TicksPerSecond;

        private readonly int _rate;
        private readonly TimeProvider _time;
        private readonly long _capacity;
        private readonly long _ceiling;
        private readonly PrioritySemaphore _turn = new(1, 1);
        private long _balance; // negative after a request larger than the bucket
        private long _stamp;

        public RateBucket(int rate, TimeProvider time)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
            _rate = rate;
            _time = time;
            Capacity = Math.Max(1, (rate + 19) / 20);
            _capacity = Capacity * Unit;
            // Waits are rounded up to whole ticks, so a sender wakes up to one tick late; keeping less than one tick's
            // accrual above the capacity means that rounding loses nothing (it is never a whole extra token).
            _ceiling = _capacity + rate - 1;
            _balance = _capacity;
            _stamp = time.GetTimestamp();
        }

        /// <summary>The most messages that may go out at once after a quiet spell.</summary>
        public int Capacity { get; }

        /// <summary>Waits until <paramref name="permits"/> messages may go, then takes them.</summary>
        public ValueTask TakeAsync(int permits, CancellationToken cancellationToken) => TakeAsync(permits, false, cancellationToken);

        /// <summary>Waits until <paramref name="permits"/> messages may go, then takes them; an <paramref name="urgent"/> taker goes before those waiting.</summary>
        public async ValueTask TakeAsync(int permits, bool urgent, CancellationToken cancellationToken)
        {
            await _turn.WaitAsync(urgent, cancellationToken);
            try
            {
                while (!TryTakeCore(permits, out var wait))
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }
            }
            finally
            {
                _turn.Release();
            }
        }

        /// <summary>
        /// Takes <paramref name="permits"/> messages when they may go now; otherwise takes nothing and says how long
        /// until they may. Not for use while a <see cref="TakeAsync"/> is waiting.
        /// </summary>
        public bool TryTake(int permits, out TimeSpan wait) => TryTakeCore(permits, out wait);

        private bool TryTakeCore(int permits, out TimeSpan wait)
        {
            var cost = Math.Max(1, permits) * Unit;
            var needed = Math.Min(cost, _capacity);
            Refill();
            if (_balance >= needed)
            {
                _balance -= cost;
                wait = TimeSpan.Zero;
                return true;
            }
            wait = TimeSpan.FromTicks((needed - _balance + _rate - 1) / _rate); // rounded up
            return false;
        }

        private void Refill()
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(_stamp, now).Ticks;
            _stamp = now;
            if (elapsed <= 0 || _balance >= _ceiling)
            {
                return;
            }
            // The ticks that fill the bucket from where it is bound the multiplication.
            var fill = (_ceiling - _balance + _rate - 1) / _rate;
            _balance = Math.Min(_ceiling, _balance + (Math.Min(elapsed, fill) * _rate));
        }
    }

    private sealed class Release(PrioritySemaphore semaphore) : IDisposable
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
