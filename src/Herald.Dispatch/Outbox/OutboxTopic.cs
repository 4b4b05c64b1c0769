using Herald.Storage;

namespace Herald.Dispatch.Outbox;

/// <summary>How entries of one topic are retried.</summary>
/// <param name="Timeout">How long one POST may take.</param>
/// <param name="MaxAttempts">Attempts before an entry is dead.</param>
/// <param name="RetryBaseDelay">The first retry's delay; each next one doubles, ±20 % jitter.</param>
/// <param name="RetryMaxDelay">The longest delay between attempts.</param>
/// <param name="BatchSize">Most entries for one URL in one POST (1 = one POST per entry).</param>
/// <param name="PollInterval">How often due retries are looked for.</param>
public sealed record OutboxPolicy(TimeSpan Timeout, int MaxAttempts, TimeSpan RetryBaseDelay, TimeSpan RetryMaxDelay, int BatchSize, TimeSpan PollInterval);

/// <summary>
/// One kind of webhook in the outbox: how its entries become a POST body and how the receiver's answer reads. Registered by
/// the feature that queues them (the connector's relays to CleverTap; later journeys' and event webhooks).
/// </summary>
public interface IOutboxTopic
{
    /// <summary>The topic name stored with each entry.</summary>
    string Name { get; }

    /// <summary>How its entries are retried.</summary>
    OutboxPolicy Policy { get; }

    /// <summary>The JSON body that carries <paramref name="entries"/> (all for one URL) in one POST.</summary>
    string Body(IReadOnlyList<OutboxRecord> entries);

    /// <summary>
    /// The timeline note for each entry of a POST the receiver took (2xx), in order, e.g. what its answer still listed as
    /// unprocessed: the answer is read once for the whole POST.
    /// </summary>
    IReadOnlyList<string> Delivered(IReadOnlyList<OutboxRecord> entries, string host, string answer, string responseBody);

    /// <summary>The event word for timelines (<c>relayed</c> / <c>relay-retry</c> / <c>relay-dead</c> for the connector).</summary>
    string EventPrefix { get; }

    /// <summary>Whether the URL may still be called (an operator may have removed its host from an allow-list): null when it may, else why not.</summary>
    string? Refusal(string url);
}

/// <summary>Wakes the outbox worker when entries were queued, so it need not wait for its next poll.</summary>
public interface IOutboxSignal
{
    /// <summary>Says that entries were queued.</summary>
    void Notify();
}
