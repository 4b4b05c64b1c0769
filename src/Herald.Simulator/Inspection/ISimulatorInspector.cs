namespace Herald.Simulator.Inspection;

/// <summary>
/// In-process view of what the simulator received and sent: the same data as
/// <c>GET /_sim/requests</c>, <c>GET /_sim/callbacks</c> and <c>GET /_sim/stats</c>. Thread-safe; every
/// call returns a snapshot.
/// </summary>
public interface ISimulatorInspector
{
    /// <summary>Recorded requests, newest first, at most <paramref name="limit"/> (default: all kept).</summary>
    IReadOnlyList<RecordedRequest> GetRequests(int? limit = null);

    /// <summary>DLR deliveries, newest first, at most <paramref name="limit"/> (default: all kept).</summary>
    IReadOnlyList<RecordedCallback> GetCallbacks(int? limit = null);

    /// <summary>Current counters.</summary>
    SimulatorStats GetStats();

    /// <summary>Forgets recorded requests and callbacks and resets every counter (<c>DELETE /_sim/requests</c>).</summary>
    void Clear();
}
