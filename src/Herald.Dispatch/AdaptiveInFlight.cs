using Herald.Core.Concurrency;

namespace Herald.Dispatch;

/// <summary>How a provider without a fixed in-flight cap is sized (<see cref="AdaptiveInFlight"/>).</summary>
/// <param name="Min">Requests in flight the limit never goes below.</param>
/// <param name="Max">Requests in flight the limit never goes above (the node's <see cref="DispatchOptions.MaxConcurrency"/>).</param>
/// <param name="Headroom">How far above the observed need (rate × latency) the limit sits, so a provider that could go faster gets the room to show it.</param>
internal sealed record InFlightSizing(int Min, int Max, double Headroom)
{
    /// <summary>The sizing of these dispatch options.</summary>
    public static InFlightSizing From(DispatchOptions options) =>
        new(Math.Min(options.AdaptiveInFlightMin, options.MaxConcurrency), options.MaxConcurrency, options.AdaptiveInFlightHeadroom);
}

/// <summary>
/// A provider's in-flight cap sized from what it does (Little's law): requests in flight = requests a second × seconds each
/// takes. Every <see cref="Window"/> it sets the cap to <c>ceil(observed rate × observed median latency × headroom)</c>,
/// bounded by <see cref="InFlightSizing.Min"/> and <see cref="InFlightSizing.Max"/>. A provider that answers in 20 ms gets
/// about twice the requests in flight of one that answers in 10 ms at the same rate; while the cap itself is what holds the
/// rate back, rate × latency equals the cap and the headroom raises it, window after window, until the provider or the
/// maximum is the bound. Latency is measured from the permit to its release, on the dispatcher's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class AdaptiveInFlight
{
    /// <summary>How often the cap is recomputed from the answers since the last time.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);

    private const int Samples = 128;

    private readonly InFlightSizing _sizing;
    private readonly TimeProvider _time;
    private readonly PrioritySemaphore _permits;
    private readonly Lock _lock = new();
    private readonly long[] _latencies = new long[Samples]; // timestamp ticks, a ring of the newest answers
    private int _sampleCount;
    private int _next;
    private int _debt; // permits to swallow on release after the cap went down
    private long _windowStart;
    private int _completedInWindow;
    private int _inFlight;
    private long _busySince; // when _inFlight last went from 0 to 1
    private long _busyTicks; // time in this window with at least one request in flight, before _busySince

    public AdaptiveInFlight(InFlightSizing sizing, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(sizing);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizing.Min, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizing.Max, sizing.Min);
        _sizing = sizing;
        _time = time;
        Limit = sizing.Min;
        _permits = new PrioritySemaphore(sizing.Min, sizing.Max);
        _windowStart = time.GetTimestamp();
    }

    /// <summary>The current cap on requests in flight.</summary>
    public int Limit { get; private set; }

    /// <summary>Waits for a permit; dispose it when the request has its answer.</summary>
    public ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken) => AcquireAsync(false, cancellationToken);

    /// <summary>Waits for a permit, ahead of the other waiters when <paramref name="urgent"/> (an OTP); dispose it when the request has its answer.</summary>
    public async ValueTask<IDisposable> AcquireAsync(bool urgent, CancellationToken cancellationToken)
    {
        await _permits.WaitAsync(urgent, cancellationToken);
        return Started();
    }

    /// <summary>A permit if one is free now (for callers that must not wait).</summary>
    internal IDisposable? TryAcquire() => _permits.TryWait() ? Started() : null;

    private Permit Started()
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_inFlight++ == 0)
            {
                _busySince = now;
            }
        }
        return new Permit(this, now);
    }

    private void Complete(long startedAt)
    {
        var now = _time.GetTimestamp();
        var release = 1;
        lock (_lock)
        {
            _latencies[_next] = now - startedAt;
            _next = (_next + 1) % Samples;
            _sampleCount = Math.Min(_sampleCount + 1, Samples);
            _completedInWindow++;
            if (--_inFlight == 0)
            {
                _busyTicks += now - _busySince;
            }
            // The rate while busy (at least one request out), not over the whole window: a worker that sends its claim in a
            // burst and then records the answers needs the burst's concurrency, not the average's.
            var busy = _busyTicks + (_inFlight > 0 ? now - _busySince : 0);
            if (_time.GetElapsedTime(_windowStart, now) >= Window && busy > 0)
            {
                var target = Target(_completedInWindow / ((double)busy / _time.TimestampFrequency), Median());
                if (target > Limit)
                {
                    // Raise: new permits, after paying off any debt of an earlier lowering.
                    var raise = target - Limit;
                    var paid = Math.Min(raise, _debt);
                    _debt -= paid;
                    release += raise - paid;
                }
                else if (target < Limit)
                {
                    // Lower: take back free permits now, and swallow the rest as requests come back.
                    _debt += Limit - target;
                    while (_debt > 0 && _permits.TryWait())
                    {
                        _debt--;
                    }
                }
                Limit = target;
                _windowStart = now;
                _completedInWindow = 0;
                _busyTicks = 0;
                _busySince = now;
            }
            if (_debt > 0)
            {
                _debt--;
                release--;
            }
        }
        if (release > 0)
        {
            _permits.Release(release);
        }
    }

    /// <summary>The cap for this rate (requests a second) and median latency.</summary>
    internal int Target(double ratePerSecond, TimeSpan median)
    {
        var need = Math.Ceiling(ratePerSecond * median.TotalSeconds * _sizing.Headroom);
        return (int)Math.Clamp(double.IsFinite(need) ? need : _sizing.Max, _sizing.Min, _sizing.Max);
    }

    private TimeSpan Median()
    {
        var sorted = _latencies.AsSpan(0, _sampleCount).ToArray();
        Array.Sort(sorted);
        var ticks = sorted.Length == 0 ? 0 : sorted[(sorted.Length - 1) / 2];
        return TimeSpan.FromSeconds((double)ticks / _time.TimestampFrequency);
    }

    private sealed class Permit(AdaptiveInFlight owner, long startedAt) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Complete(startedAt);
            }
        }
    }
}
