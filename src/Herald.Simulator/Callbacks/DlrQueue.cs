using System.Threading.Channels;
using Herald.Simulator.Inspection;

namespace Herald.Simulator.Callbacks;

/// <summary>A DLR waiting to be posted to <see cref="Url"/> at <see cref="DueAt"/>.</summary>
internal sealed record DlrJob(CallbackEntry Entry, Uri Url, byte[] Body, DateTimeOffset DueAt);

/// <summary>Bounded (but large) hand-off from the request path to <see cref="DlrDispatcher"/>.</summary>
internal sealed class DlrQueue
{
    public const int Capacity = 100_000;

    private readonly Channel<DlrJob> _channel = Channel.CreateBounded<DlrJob>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ChannelReader<DlrJob> Reader => _channel.Reader;

    /// <summary>Queues without waiting; false when the queue is full.</summary>
    public bool TryEnqueue(DlrJob job) => _channel.Writer.TryWrite(job);
}
