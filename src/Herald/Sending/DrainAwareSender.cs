using Herald.Shared;
using Herald.Core.Providers;

namespace Herald.Sending;

/// <summary>
/// Lets a send that already started finish when the host begins stopping: the dispatcher's token is cancelled at
/// shutdown, which would cut a request the provider may already have acted on (and the message would be sent again
/// after the restart). A send not yet started when stopping began is refused, so the dispatcher returns its message
/// to the queue unsent.
/// </summary>
internal class DrainAwareSender(ISmsSender inner, IDrainState drain) : ISmsSender
{
    public static ISmsSender Wrap(ISmsSender sender, IDrainState drain) =>
        sender is IBatchSmsSender batch ? new DrainAwareBatchSender(batch, drain) : new DrainAwareSender(sender, drain);

    public async Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        using var scope = SendScope.Begin(drain, cancellationToken);
        return await inner.SendAsync(message, scope.Token);
    }

    public void Validate(OutboundMessage message) => inner.Validate(message);

    protected IDrainState Drain => drain;
}

/// <summary><see cref="DrainAwareSender"/> for providers that take batches.</summary>
internal sealed class DrainAwareBatchSender(IBatchSmsSender inner, IDrainState drain) : DrainAwareSender(inner, drain), IBatchSmsSender
{
    public int MaxBatchSize => inner.MaxBatchSize;

    public async Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken)
    {
        using var scope = SendScope.Begin(Drain, cancellationToken);
        return await inner.SendBatchAsync(messages, scope.Token);
    }
}

/// <summary>The token one send runs under: the caller's, except that a shutdown only cuts it at <see cref="IDrainState.SendAbort"/>.</summary>
internal sealed class SendScope : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _registration;

    private SendScope(IDrainState drain, CancellationToken caller)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(drain.SendAbort);
        _registration = caller.UnsafeRegister(static state =>
        {
            var (source, drain) = ((CancellationTokenSource, IDrainState))state!;
            if (!drain.Draining)
            {
                source.Cancel();
            }
        }, (_source, drain));
    }

    public CancellationToken Token => _source.Token;

    public static SendScope Begin(IDrainState drain, CancellationToken caller)
    {
        // Not started yet: leave it to the dispatcher to release.
        caller.ThrowIfCancellationRequested();
        return new SendScope(drain, caller);
    }

    public void Dispose()
    {
        _registration.Dispose();
        _source.Dispose();
    }
}
