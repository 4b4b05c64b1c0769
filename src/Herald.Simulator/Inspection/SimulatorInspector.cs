namespace Herald.Simulator.Inspection;

internal sealed class SimulatorInspector(RequestLog requests, CallbackLog callbacks, SimulatorCounters counters)
    : ISimulatorInspector
{
    public IReadOnlyList<RecordedRequest> GetRequests(int? limit = null) => requests.Snapshot(limit ?? int.MaxValue);

    public IReadOnlyList<RecordedCallback> GetCallbacks(int? limit = null) => callbacks.Snapshot(limit ?? int.MaxValue);

    public SimulatorStats GetStats() => counters.Snapshot();

    public void Clear()
    {
        requests.Clear();
        callbacks.Clear();
        counters.Clear();
    }
}
