using Herald.Core.Messaging;

namespace Herald.Dispatch;

/// <summary>
/// One provider's health as this node sees it: paused after a 429 with Retry-After, and a circuit
/// breaker that opens after consecutive transient failures, then lets one probe through.
/// Every decision is taken at the <c>now</c> the caller passes (the dispatcher's <see cref="TimeProvider"/>).
/// </summary>
internal sealed class ProviderGate(DispatchOptions options)
{
    private readonly Lock _lock = new();
    private DateTimeOffset _pausedUntil;
    private DateTimeOffset _openUntil;
    private int _consecutiveTransient;
    private bool _probing;
    private DateTimeOffset _probeDeadline;

    /// <summary>closed, open or half-open.</summary>
    public string State(DateTimeOffset now)
    {
        lock (_lock)
        {
            return _consecutiveTransient < options.CircuitBreakerThreshold ? "closed" : now < _openUntil ? "open" : "half-open";
        }
    }

    /// <summary>
    /// How many of <paramref name="wanted"/> messages may be sent now, and until when the rest wait
    /// (with the reason) when not all may.
    /// </summary>
    public (int Allowed, DateTimeOffset? WaitUntil, string? Reason) Admit(int wanted, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (now < _pausedUntil)
            {
                return (0, _pausedUntil, "the provider asked to wait (429 Retry-After)");
            }
            if (_consecutiveTransient >= options.CircuitBreakerThreshold)
            {
                if (now < _openUntil)
                {
                    return (0, _openUntil, $"circuit open after {_consecutiveTransient} transient failures in a row");
                }
                // A probe whose answer never comes (its send was cancelled or never reached the provider)
                // must not hold the circuit half-open for ever: after CircuitBreakDuration another one goes.
                if (_probing && now < _probeDeadline)
                {
                    return (0, now + options.CircuitProbeInterval, "circuit half-open: waiting for the probe's answer");
                }
                _probing = true;
                _probeDeadline = now + options.CircuitBreakDuration;
                return (Math.Min(1, wanted), now + options.CircuitProbeInterval, "circuit half-open: one probe goes first");
            }
            return (wanted, null, null);
        }
    }

    /// <summary>Whether <see cref="Admit"/> would send nothing now: paused (429), circuit open, or a half-open probe awaiting its answer.</summary>
    public bool Refusing(DateTimeOffset now)
    {
        lock (_lock)
        {
            return now < _pausedUntil || _consecutiveTransient >= options.CircuitBreakerThreshold && (now < _openUntil || _probing);
        }
    }

    /// <summary>Learns from one answer.</summary>
    public void Record(SendOutcome outcome, DateTimeOffset now)
    {
        lock (_lock)
        {
            _probing = false;
            if (outcome is SendOutcome.Transient transient)
            {
                _consecutiveTransient++;
                if (transient.RetryAfter is { } wait && wait > TimeSpan.Zero && now + wait > _pausedUntil)
                {
                    _pausedUntil = now + wait;
                }
                if (_consecutiveTransient >= options.CircuitBreakerThreshold)
                {
                    _openUntil = now + options.CircuitBreakDuration;
                }
            }
            else
            {
                _consecutiveTransient = 0;
            }
        }
    }
}
