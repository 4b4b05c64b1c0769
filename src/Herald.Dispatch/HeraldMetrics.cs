using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Herald.Core.Messaging;
using Herald.Storage;
using Herald.Storage.Cluster;

namespace Herald.Dispatch;

/// <summary>Herald's own instruments (meter <c>Herald</c>), exported at <c>/metrics</c>.</summary>
public sealed class HeraldMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Herald";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _answers;
    private readonly Counter<long> _final;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _providerLatency;
    private readonly ConcurrentDictionary<int, long> _depth = new();
    private long _dispatching;
    private readonly ConcurrentDictionary<string, Func<int>> _circuits = new();

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>; <paramref name="leadership"/> feeds <c>herald.cluster.leader</c>.</summary>
    public HeraldMetrics(IMeterFactory meterFactory, IClusterLeadership? leadership = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        if (leadership is not null)
        {
            meter.CreateObservableGauge("herald.cluster.leader", () => new Measurement<int>(leadership.IsLeader ? 1 : 0, new KeyValuePair<string, object?>("node", leadership.NodeId)),
                description: "1 while this node is the cluster leader (runs the cluster-wide scheduled jobs), else 0.");
        }
        _accepted = meter.CreateCounter<long>("herald.messages.accepted", "{message}", "Messages accepted by the API, by type.");
        _answers = meter.CreateCounter<long>("herald.provider.answers", "{message}", "Provider answers to sends, by provider and outcome.");
        _final = meter.CreateCounter<long>("herald.messages.final", "{message}", "Messages that reached a final state, by provider and state.");
        _retries = meter.CreateCounter<long>("herald.dispatch.retries", "{message}", "Transient failures rescheduled, by provider.");
        _providerLatency = meter.CreateHistogram<double>("herald.provider.latency", "ms", "Time for a provider to answer a send.");
        meter.CreateObservableGauge("herald.queue.depth", () => _depth.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("lane", LaneName(d.Key)))),
            "{message}", "Messages waiting in the queue, by lane.");
        meter.CreateObservableGauge("herald.dispatch.in_flight", () => Interlocked.Read(ref _dispatching), "{message}", "Messages held by dispatchers.");
        meter.CreateObservableGauge("herald.provider.circuit", () => _circuits.Select(c => new Measurement<int>(c.Value(), new KeyValuePair<string, object?>("provider", c.Key))),
            description: "Provider circuit: 0 closed, 1 half-open, 2 open.");
    }

    /// <summary>Counts messages accepted by the API.</summary>
    public void Accepted(string type, int count = 1) => _accepted.Add(count, new KeyValuePair<string, object?>("type", type));

    /// <summary>Counts one provider answer and its latency.</summary>
    public void Answer(string provider, SendOutcome outcome, long? elapsedMs)
    {
        _answers.Add(1, new("provider", provider), new("outcome", outcome.Kind));
        if (elapsedMs is { } ms)
        {
            _providerLatency.Record(ms, new KeyValuePair<string, object?>("provider", provider));
        }
        if (outcome is SendOutcome.Transient)
        {
            _retries.Add(1, new KeyValuePair<string, object?>("provider", provider));
        }
    }

    /// <summary>Counts a message reaching a final state.</summary>
    public void Final(string? provider, DeliveryState state)
    {
        if (state.IsFinal())
        {
            _final.Add(1, new("provider", provider ?? ""), new("state", state.ToWire()));
        }
    }

    /// <summary>Records the queue's depth as last read.</summary>
    public void Depth(QueueDepth depth)
    {
        ArgumentNullException.ThrowIfNull(depth);
        foreach (var lane in new[] { 0, 1, 2, 3 })
        {
            _depth[lane] = depth.ByLane.GetValueOrDefault(lane);
        }
        Interlocked.Exchange(ref _dispatching, depth.Dispatching);
    }

    internal void Circuit(string provider, Func<int> state) => _circuits.TryAdd(provider, state);

    private static string LaneName(int lane) => lane switch { 0 => "otp", 1 => "txn", 3 => "mkt", _ => "default" };
}
