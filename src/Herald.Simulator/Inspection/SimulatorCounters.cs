using System.Collections.Concurrent;

namespace Herald.Simulator.Inspection;

/// <summary>Lock-free counters behind <c>/_sim/stats</c>.</summary>
internal sealed class SimulatorCounters
{
    private readonly ConcurrentDictionary<string, byte> _acceptedMessageIds = new(StringComparer.Ordinal);
    private long _received;
    private long _accepted;
    private long _rejected;
    private long _dlrQueued;
    private long _dlrDelivered;
    private long _dlrFailed;
    private long _dlrRetries;
    private long _duplicates;

    public void Received() => Interlocked.Increment(ref _received);

    public void Rejected() => Interlocked.Increment(ref _rejected);

    public void Accepted(string messageId)
    {
        Interlocked.Increment(ref _accepted);
        if (!_acceptedMessageIds.TryAdd(messageId, 0))
        {
            Interlocked.Increment(ref _duplicates);
        }
    }

    public void DlrQueued() => Interlocked.Increment(ref _dlrQueued);

    public void DlrDelivered() => Interlocked.Increment(ref _dlrDelivered);

    public void DlrFailed() => Interlocked.Increment(ref _dlrFailed);

    public void DlrRetried() => Interlocked.Increment(ref _dlrRetries);

    public SimulatorStats Snapshot() => new(
        Interlocked.Read(ref _received),
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _dlrQueued),
        Interlocked.Read(ref _dlrDelivered),
        Interlocked.Read(ref _dlrFailed),
        Interlocked.Read(ref _dlrRetries),
        new MessageIdStats(Interlocked.Read(ref _duplicates), _acceptedMessageIds.Count));

    public void Clear()
    {
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _accepted, 0);
        Interlocked.Exchange(ref _rejected, 0);
        Interlocked.Exchange(ref _dlrQueued, 0);
        Interlocked.Exchange(ref _dlrDelivered, 0);
        Interlocked.Exchange(ref _dlrFailed, 0);
        Interlocked.Exchange(ref _dlrRetries, 0);
        Interlocked.Exchange(ref _duplicates, 0);
        _acceptedMessageIds.Clear();
    }
}
