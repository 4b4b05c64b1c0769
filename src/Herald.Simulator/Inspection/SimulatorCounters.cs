using System.Collections.Concurrent;

namespace Herald.Simulator.Inspection;

/// <summary>Lock-free counters behind <c>/_sim/stats</c>.</summary>
internal sealed class SimulatorCounters
{
    private readonly ConcurrentDictionary<string, byte> _acceptedMessageIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Ref, string Recipient), byte> _acceptedRefs = new();
    private long _received;
    private long _accepted;
    private long _rejected;
    private long _dlrQueued;
    private long _dlrDelivered;
    private long _dlrFailed;
    private long _dlrRetries;
    private long _duplicates;
    private long _kaleyraRequests;
    private long _kaleyraAccepted;
    private long _kaleyraRecipients;
    private long _refDuplicates;
    private long _rateLimited;
    private long _injectedErrors;

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

    /// <summary>A Kaleyra send request arrived (also counts as <see cref="Received"/>).</summary>
    public void KaleyraReceived()
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _kaleyraRequests);
    }

    /// <summary>A Kaleyra send was accepted for <paramref name="recipients"/> (digits) with an optional <paramref name="ref"/>.</summary>
    public void KaleyraAccepted(string? @ref, string[] recipients)
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _kaleyraAccepted);
        Interlocked.Add(ref _kaleyraRecipients, recipients.Length);
        if (@ref is null)
        {
            return;
        }

        var duplicates = 0;
        foreach (var recipient in recipients)
        {
            if (!_acceptedRefs.TryAdd((@ref, recipient), 0))
            {
                duplicates++;
            }
        }

        if (duplicates > 0)
        {
            Interlocked.Add(ref _refDuplicates, duplicates);
        }
    }

    public void RateLimited() => Interlocked.Increment(ref _rateLimited);

    public void InjectedError() => Interlocked.Increment(ref _injectedErrors);

    public void DlrQueued() => Interlocked.Increment(ref _dlrQueued);

    public void DlrQueued(int count) => Interlocked.Add(ref _dlrQueued, count);

    public void DlrDelivered() => Interlocked.Increment(ref _dlrDelivered);

    public void DlrFailed() => Interlocked.Increment(ref _dlrFailed);

    public void DlrFailed(int count) => Interlocked.Add(ref _dlrFailed, count);

    public void DlrRetried() => Interlocked.Increment(ref _dlrRetries);

    public SimulatorStats Snapshot() => new(
        Interlocked.Read(ref _received),
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _dlrQueued),
        Interlocked.Read(ref _dlrDelivered),
        Interlocked.Read(ref _dlrFailed),
        Interlocked.Read(ref _dlrRetries),
        new MessageIdStats(Interlocked.Read(ref _duplicates), _acceptedMessageIds.Count))
    {
        KaleyraRequests = Interlocked.Read(ref _kaleyraRequests),
        KaleyraAccepted = Interlocked.Read(ref _kaleyraAccepted),
        KaleyraRecipients = Interlocked.Read(ref _kaleyraRecipients),
        ByRef = new MessageIdStats(Interlocked.Read(ref _refDuplicates), _acceptedRefs.Count),
        RateLimited = Interlocked.Read(ref _rateLimited),
        InjectedErrors = Interlocked.Read(ref _injectedErrors),
    };

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
        Interlocked.Exchange(ref _kaleyraRequests, 0);
        Interlocked.Exchange(ref _kaleyraAccepted, 0);
        Interlocked.Exchange(ref _kaleyraRecipients, 0);
        Interlocked.Exchange(ref _refDuplicates, 0);
        Interlocked.Exchange(ref _rateLimited, 0);
        Interlocked.Exchange(ref _injectedErrors, 0);
        _acceptedMessageIds.Clear();
        _acceptedRefs.Clear();
    }
}
