namespace Herald.Simulator.Inspection;

/// <summary>Ring buffer of DLR deliveries; each entry is updated in place as attempts happen.</summary>
internal sealed class CallbackLog(SimulatorOptions options)
{
    private readonly RingBuffer<CallbackEntry> _buffer = new(options.RequestLogCapacity);
    private long _lastId;

    public CallbackEntry Start(string messageId, string @event, Uri url, string body, DateTimeOffset queuedAt, DateTimeOffset dueAt)
    {
        var entry = new CallbackEntry(Interlocked.Increment(ref _lastId), messageId, @event, url.ToString(), body, queuedAt, dueAt);
        _buffer.Add(entry);
        return entry;
    }

    public RecordedCallback[] Snapshot(int limit) => Array.ConvertAll(_buffer.Snapshot(limit), e => e.ToRecord());

    public void Clear() => _buffer.Clear();
}

/// <summary>Mutable, per-entry-locked state of one DLR delivery.</summary>
internal sealed class CallbackEntry(
    long id, string messageId, string @event, string url, string body, DateTimeOffset queuedAt, DateTimeOffset dueAt)
{
    private readonly Lock _gate = new();
    private readonly List<CallbackAttempt> _attempts = [];
    private CallbackResult _result = CallbackResult.Pending;

    public long Id => id;

    public string MessageId => messageId;

    public void AddAttempt(CallbackAttempt attempt)
    {
        lock (_gate)
        {
            _attempts.Add(attempt);
        }
    }

    public void Finish(CallbackResult result)
    {
        lock (_gate)
        {
            _result = result;
        }
    }

    public RecordedCallback ToRecord()
    {
        lock (_gate)
        {
            return new RecordedCallback(id, messageId, @event, url, body, queuedAt, dueAt, [.. _attempts], _result);
        }
    }
}
