using System.Threading.RateLimiting;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;

namespace Herald.Simulator.Faults;

/// <summary>What <see cref="FaultInjector"/> decided for a send request.</summary>
internal enum InjectedFault
{
    None,

    /// <summary>Over <see cref="SimulatorOptions.RateLimit"/>: answer 429 with <c>Retry-After: 1</c>.</summary>
    RateLimited,

    /// <summary>Drawn by <see cref="SimulatorOptions.HttpErrorRate"/>: answer 503 with <c>Retry-After: 1</c>.</summary>
    Unavailable,
}

/// <summary>
/// The trouble configured by <see cref="SimulatorOptions.RateLimit"/>, <see cref="SimulatorOptions.HttpErrorRate"/>
/// and <see cref="SimulatorOptions.Latency"/>, applied to every send request of both faces before anything else.
/// The rate limit is a fixed one-second window over all send requests (System.Threading.RateLimiting), checked
/// when the request arrives; the latency is then added whatever the answer.
/// </summary>
internal sealed class FaultInjector : IDisposable
{
    public const int RetryAfterSeconds = 1;

    private readonly FixedWindowRateLimiter? _limiter;
    private readonly ScenarioResolver _scenarios;
    private readonly SimulatorCounters _counters;
    private readonly TimeProvider _time;
    private readonly TimeSpan _latency;

    public FaultInjector(SimulatorOptions options, ScenarioResolver scenarios, SimulatorCounters counters, TimeProvider time)
    {
        _scenarios = scenarios;
        _counters = counters;
        _time = time;
        _latency = options.Latency;
        if (options.RateLimit > 0)
        {
            _limiter = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.RateLimit,
                Window = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }
    }

    /// <summary>Decides the injected fault (counting it) and waits the configured latency.</summary>
    public async ValueTask<InjectedFault> ApplyAsync(CancellationToken aborted)
    {
        var fault = InjectedFault.None;
        if (_limiter is not null)
        {
            using var lease = _limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                fault = InjectedFault.RateLimited;
                _counters.RateLimited();
            }
        }

        if (fault == InjectedFault.None && _scenarios.NextInjectedError())
        {
            fault = InjectedFault.Unavailable;
            _counters.InjectedError();
        }

        if (_latency > TimeSpan.Zero)
        {
            await Task.Delay(_latency, _time, aborted);
        }

        return fault;
    }

    public void Dispose() => _limiter?.Dispose();
}
