using Herald.Core.Messaging;
using Herald.Dispatch;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Api.DeadLetters;

/// <summary>What asking to retry one message did.</summary>
internal abstract record RetryOutcome
{
    /// <summary>Back in the queue, due now, valid until <paramref name="ValidUntil"/>.</summary>
    public sealed record Requeued(DateTimeOffset ValidUntil) : RetryOutcome;

    /// <summary>No such message.</summary>
    public sealed record NotFound : RetryOutcome;

    /// <summary>The message is not a dead letter (e.g. delivered, or already queued again): nothing was changed.</summary>
    public sealed record NotDead(DeliveryState State) : RetryOutcome;

    /// <summary>Its provider was removed, so a new attempt could only fail.</summary>
    public sealed record ProviderGone(string Provider) : RetryOutcome;
}

/// <summary>
/// Dead letters (messages that ended failed or expired) and retrying them. A retry keeps the message id (callers and
/// delivery reports keep correlating on it) and starts a new attempt: due now, attempts from zero, fresh validity, with a
/// <c>requeued</c> event on the timeline. Only failed and expired messages are retried; anything else is left alone.
/// </summary>
internal interface IDeadLetters
{
    /// <summary>Dead letters, newest first.</summary>
    Task<Page<DeadLetter>> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken);

    /// <summary>Requeues one message; <paramref name="source"/> (api, dashboard) goes on its timeline.</summary>
    Task<RetryOutcome> RetryAsync(string id, string source, CancellationToken cancellationToken);

    /// <summary>
    /// Requeues up to <paramref name="max"/> dead letters that match <paramref name="filter"/>, newest first, by the rules of
    /// <see cref="RetryAsync"/> (messages of removed providers stay), and leaving test SMS alone (one is retried only when
    /// asked for by its id); returns their ids.
    /// </summary>
    Task<IReadOnlyList<string>> RetryAllAsync(DeadLetterQuery filter, int max, string source, CancellationToken cancellationToken);
}

internal sealed class DeadLetterService(IDeadLetterStore store, IMessageStore messages, IProviderStore providers, IDispatchSignal signal,
    IOptions<DispatchOptions> options, TimeProvider time) : IDeadLetters
{
    public Task<Page<DeadLetter>> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken) =>
        store.ListDeadLettersAsync(query, cancellationToken);

    public async Task<RetryOutcome> RetryAsync(string id, string source, CancellationToken cancellationToken)
    {
        var message = await messages.GetAsync(id, cancellationToken);
        if (message is null)
        {
            return new RetryOutcome.NotFound();
        }
        if (message.Status is not (DeliveryState.Failed or DeliveryState.Expired))
        {
            return new RetryOutcome.NotDead(message.Status);
        }
        if (await ProviderGoneAsync(message, [], cancellationToken) is { } gone)
        {
            return gone;
        }
        var requeue = NewRequeue(source);
        var done = await store.RequeueAsync([id], requeue, cancellationToken);
        if (done.Count == 0)
        {
            // Someone else requeued it in between.
            var now = await messages.GetAsync(id, cancellationToken);
            return new RetryOutcome.NotDead(now?.Status ?? DeliveryState.Queued);
        }
        signal.Notify();
        return new RetryOutcome.Requeued(message.Type == MessageTypes.Otp ? requeue.OtpValidUntil : requeue.ValidUntil);
    }

    public async Task<IReadOnlyList<string>> RetryAllAsync(DeadLetterQuery filter, int max, string source, CancellationToken cancellationToken)
    {
        var requeued = new List<string>();
        var requeue = NewRequeue(source);
        var providersSeen = new Dictionary<string, bool>(StringComparer.Ordinal);
        string? after = null;
        while (requeued.Count < max)
        {
            var page = await store.ListDeadLettersAsync(filter with { Limit = Math.Min(500, max - requeued.Count), After = after }, cancellationToken);
            var retryable = new List<string>();
            foreach (var dead in page.Items)
            {
                if (dead.Message.Type != MessageTypes.Test && await ProviderGoneAsync(dead.Message, providersSeen, cancellationToken) is null)
                {
                    retryable.Add(dead.Message.Id);
                }
            }
            requeued.AddRange(await store.RequeueAsync(retryable, requeue, cancellationToken));
            if (page.Next is null)
            {
                break;
            }
            after = page.Next;
        }
        if (requeued.Count > 0)
        {
            signal.Notify();
        }
        return requeued;
    }

    // The rule single and bulk retries share: a message whose provider is gone is not requeued (it could only fail).
    private async Task<RetryOutcome.ProviderGone?> ProviderGoneAsync(MessageRecord message, Dictionary<string, bool> providersSeen, CancellationToken cancellationToken)
    {
        if (message.ProviderId is null)
        {
            return new RetryOutcome.ProviderGone(message.ProviderNickname ?? "(none)");
        }
        if (!providersSeen.TryGetValue(message.ProviderId, out var exists))
        {
            exists = providersSeen[message.ProviderId] = await providers.FindAsync(message.ProviderId, cancellationToken) is not null;
        }
        return exists ? null : new RetryOutcome.ProviderGone(message.ProviderNickname ?? message.ProviderId);
    }

    private Requeue NewRequeue(string source)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        return new Requeue(now, now + settings.OtpValidity, now + settings.DefaultValidity, source);
    }
}
