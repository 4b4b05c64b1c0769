using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>
/// One provider's figures over one window (<see cref="IMessageStats.WindowAsync"/>): what is delivered, failed and pending is
/// decided here once, for the API and the dashboard alike.
/// </summary>
public sealed class ProviderWindow
{
    private ProviderWindow(IReadOnlyDictionary<DeliveryState, long> byState, IReadOnlyList<TimeSpan> sortedLatencies)
    {
        ByState = byState;
        Latencies = sortedLatencies;
        Total = byState.Values.Sum();
        Delivered = byState.GetValueOrDefault(DeliveryState.Delivered);
        Failed = byState.Where(s => s.Key.IsFinal() && s.Key != DeliveryState.Delivered).Sum(s => s.Value);
        Pending = byState.Where(s => !s.Key.IsFinal()).Sum(s => s.Value);
    }

    /// <summary>Messages created in the window by current state (states with none are left out).</summary>
    public IReadOnlyDictionary<DeliveryState, long> ByState { get; }

    /// <summary>Accepted-to-final delays of the sampled messages, shortest first.</summary>
    public IReadOnlyList<TimeSpan> Latencies { get; }

    /// <summary>Messages created in the window.</summary>
    public long Total { get; }

    /// <summary>Of them, delivered.</summary>
    public long Delivered { get; }

    /// <summary>Of them, in a final state other than delivered (undelivered, failed, expired, rejected).</summary>
    public long Failed { get; }

    /// <summary>Of them, not final yet (queued, dispatching, accepted, sent).</summary>
    public long Pending { get; }

    /// <summary>Delivered among the messages that reached a final state; null when none did.</summary>
    public double? DeliveryRate => Delivered + Failed == 0 ? null : (double)Delivered / (Delivered + Failed);

    /// <summary>How many latencies were sampled.</summary>
    public int LatencySamples => Latencies.Count;

    /// <summary>The median accepted-to-final delay; null without samples.</summary>
    public TimeSpan? LatencyP50 => Percentile(Latencies, 0.50);

    /// <summary>The 95th percentile accepted-to-final delay; null without samples.</summary>
    public TimeSpan? LatencyP95 => Percentile(Latencies, 0.95);

    /// <summary>The figures of these counts (a state may come more than once) and latencies (in any order).</summary>
    public static ProviderWindow From(IEnumerable<(DeliveryState State, long Count)> counts, IEnumerable<TimeSpan> latencies)
    {
        var byState = new SortedDictionary<DeliveryState, long>();
        foreach (var (state, count) in counts)
        {
            byState[state] = byState.GetValueOrDefault(state) + count;
        }
        // A report that overtook the send's answer can be applied before the acceptance: no delay to speak of, so no sample.
        return new ProviderWindow(byState, latencies.Where(l => l >= TimeSpan.Zero).Order().ToList());
    }

    /// <summary>The figures of counts by provider and state and of latency samples.</summary>
    internal static ProviderWindow From(IEnumerable<ProviderStateCount> counts, IEnumerable<DeliveryLatency> latencies) =>
        From(counts.Select(c => (c.State, c.Count)), latencies.Select(l => l.FinalAt - l.AcceptedAt));

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static TimeSpan? Percentile(IReadOnlyList<TimeSpan> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return null;
        }
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
