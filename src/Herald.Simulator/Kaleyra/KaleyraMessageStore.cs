using System.Collections.Concurrent;
using Herald.Simulator.Scenarios;

namespace Herald.Simulator.Kaleyra;

/// <summary>
/// One accepted Kaleyra send, for the status API. Each recipient's status is derived from the clock: before
/// <see cref="SentAt"/> it is <c>Submitted</c>, then <c>Sent</c>, and from <see cref="FinalAt"/> its outcome
/// (whether or not any callback was configured or delivered).
/// </summary>
internal sealed record KaleyraBatch(
    string Id,
    string[] Recipients,
    DateTimeOffset[] SentAt,
    DateTimeOffset[] FinalAt,
    KaleyraOutcome[] Outcomes);

/// <summary>
/// Accepted Kaleyra sends by id, for <c>GET /v1/{sid}/messages/status</c>. Bounded: once more than
/// <see cref="MaxTrackedRecipients"/> recipients are tracked the oldest sends are forgotten (their ids then
/// answer <c>NotFound</c>). Lock-free; not cleared by <c>DELETE /_sim/requests</c> (a provider does not
/// forget its messages when you clear your logs).
/// </summary>
internal sealed class KaleyraMessageStore
{
    public const int MaxTrackedRecipients = 1_000_000;

    private readonly ConcurrentDictionary<string, KaleyraBatch> _batches = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<KaleyraBatch> _order = new();
    private long _tracked;

    public void Add(KaleyraBatch batch)
    {
        _batches[batch.Id] = batch;
        _order.Enqueue(batch);
        var tracked = Interlocked.Add(ref _tracked, batch.Recipients.Length);
        while (tracked > MaxTrackedRecipients && _order.TryDequeue(out var oldest))
        {
            _batches.TryRemove(oldest.Id, out _);
            tracked = Interlocked.Add(ref _tracked, -oldest.Recipients.Length);
        }
    }

    /// <summary>Finds recipient <c>n</c> of <paramref name="messageId"/> = <c>&lt;id&gt;:&lt;n&gt;</c> (n from 1).</summary>
    public bool TryFind(string messageId, out KaleyraBatch batch, out int index)
    {
        batch = null!;
        index = -1;
        var colon = messageId.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(messageId.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || !_batches.TryGetValue(messageId[..colon], out var found)
            || n < 1 || n > found.Recipients.Length)
        {
            return false;
        }

        batch = found;
        index = n - 1;
        return true;
    }
}
