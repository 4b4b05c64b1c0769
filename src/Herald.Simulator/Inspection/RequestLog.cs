using Microsoft.AspNetCore.Http;

namespace Herald.Simulator.Inspection;

/// <summary>Ring buffer of the requests received by the simulator's faces.</summary>
internal sealed class RequestLog(SimulatorOptions options, TimeProvider time)
{
    private readonly RingBuffer<RecordedRequest> _buffer = new(options.RequestLogCapacity);
    private long _lastId;

    public DateTimeOffset Now() => time.GetUtcNow();

    /// <summary>Records <paramref name="context"/>'s request with the answer the face gave.</summary>
    public void Record(HttpContext context, DateTimeOffset receivedAt, string body, int status, string responseBody)
    {
        if (_buffer.Capacity == 0)
        {
            return;
        }

        var request = context.Request;
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in request.Headers)
        {
            headers[name] = value.ToString();
        }

        _buffer.Add(new RecordedRequest(
            Interlocked.Increment(ref _lastId),
            receivedAt,
            request.Method,
            request.PathBase.Add(request.Path).ToString(),
            request.QueryString.ToString(),
            headers,
            body,
            new RecordedResponse(status, responseBody)));
    }

    public RecordedRequest[] Snapshot(int limit) => _buffer.Snapshot(limit);

    public void Clear() => _buffer.Clear();
}
