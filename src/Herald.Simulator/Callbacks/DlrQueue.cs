using System.Threading.Channels;
using Herald.Simulator.Inspection;

namespace Herald.Simulator.Callbacks;

/// <summary>
/// A callback waiting to be delivered as <see cref="Request"/> at <see cref="DueAt"/>.
/// </summary>
/// <param name="Entry">Its inspection record, updated as attempts happen.</param>
/// <param name="Request">What to send on every attempt.</param>
/// <param name="DueAt">When the first attempt is due.</param>
/// <param name="RetryDelays">
/// The wait before each retry (its count is the number of retries), e.g. from a Kaleyra
/// <c>callback.retry</c>; null uses <see cref="SimulatorOptions.DlrRetryCount"/> retries after
/// <see cref="SimulatorOptions.DlrRetryBaseDelay"/> × 2^n.
/// </param>
/// <param name="Then">
/// A callback that starts only once this one finished (delivered or given up), e.g. the final Kaleyra
/// status after <c>Sent</c>; it still waits for its own <see cref="DueAt"/>.
/// </param>
internal sealed record DlrJob(
    CallbackEntry Entry,
    CallbackRequest Request,
    DateTimeOffset DueAt,
    IReadOnlyList<TimeSpan>? RetryDelays = null,
    DlrJob? Then = null)
{
    /// <summary>Marks this job and every chained one with <paramref name="result"/>.</summary>
    public void FinishChain(CallbackResult result)
    {
        for (var job = this; job is not null; job = job.Then)
        {
            job.Entry.Finish(result);
        }
    }
}

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
