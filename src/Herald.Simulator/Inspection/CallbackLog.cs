using System.Text;
using Herald.Simulator.Callbacks;

namespace Herald.Simulator.Inspection;

/// <summary>Ring buffer of callback deliveries (both faces); each entry is updated in place as attempts happen.</summary>
internal sealed class CallbackLog(SimulatorOptions options)
{
    public const string ConnectorFace = "connector";
    public const string KaleyraFace = "kaleyra";
    public const string TwilioFace = "twilio";

    private readonly RingBuffer<CallbackEntry> _buffer = new(options.RequestLogCapacity);
    private long _lastId;

    /// <summary>A connector-face (CleverTap-format, JSON POST) DLR.</summary>
    public CallbackEntry Start(string messageId, string @event, Uri url, byte[] body, DateTimeOffset queuedAt, DateTimeOffset dueAt) =>
        Start(ConnectorFace, messageId, @event, CallbackRequest.PostJson(url, body), queuedAt, dueAt);

    public CallbackEntry Start(string face, string messageId, string @event, CallbackRequest request, DateTimeOffset queuedAt, DateTimeOffset dueAt)
    {
        var entry = new CallbackEntry(Interlocked.Increment(ref _lastId), face, messageId, @event, request, queuedAt, dueAt);
        _buffer.Add(entry);
        return entry;
    }

    public RecordedCallback[] Snapshot(int limit) => Array.ConvertAll(_buffer.Snapshot(limit), e => e.ToRecord());

    public void Clear() => _buffer.Clear();
}

/// <summary>Mutable, per-entry-locked state of one callback delivery.</summary>
internal sealed class CallbackEntry(
    long id, string face, string messageId, string @event, CallbackRequest request, DateTimeOffset queuedAt, DateTimeOffset dueAt)
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
        // Decoded on demand: most entries are never looked at.
        var body = request.Body is { } bytes ? Encoding.UTF8.GetString(bytes) : "";
        lock (_gate)
        {
            return new RecordedCallback(id, messageId, @event, request.Url.ToString(), body, queuedAt, dueAt, [.. _attempts], _result)
            {
                Method = request.Method.Method,
                ContentType = request.ContentType,
                Face = face,
                Headers = request.Headers ?? [],
            };
        }
    }
}
