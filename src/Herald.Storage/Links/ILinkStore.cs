using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Short links and their clicks.</summary>
public interface ILinkStore
{
    /// <summary>Stores new links; false when a code is taken already (nothing is stored: make new codes and try again).</summary>
    Task<bool> InsertAsync(IReadOnlyList<LinkRecord> links, CancellationToken cancellationToken);
    /// <summary>A link by its code, or null.</summary>
    Task<LinkRecord?> FindAsync(string code, CancellationToken cancellationToken);
    /// <summary>A message's links.</summary>
    Task<IReadOnlyList<LinkRecord>> ForMessageAsync(string messageId, CancellationToken cancellationToken);
    /// <summary>
    /// Counts clicks in one transaction: each link's count and first/last click, and a <c>clicked</c> entry on its message's timeline.
    /// </summary>
    Task RecordClicksAsync(IReadOnlyList<LinkClick> clicks, CancellationToken cancellationToken);
    /// <summary>A campaign's clicks.</summary>
    Task<LinkClickCounts> CampaignClicksAsync(string campaignId, CancellationToken cancellationToken);
    /// <summary>A campaign's links (one per recipient and URL), by code; the cursor is the last item's code.</summary>
    Task<Page<LinkRecord>> ForCampaignAsync(string campaignId, int limit, string? cursor, CancellationToken cancellationToken);
}

/// <summary>Inbound messages as received.</summary>
public interface IInboundStore
{
    /// <summary>Stores an inbound message; false when one with the same dedupe key is stored already (a replay: nothing changes).</summary>
    Task<bool> InsertAsync(InboundRecord inbound, CancellationToken cancellationToken);
    /// <summary>Records what Herald did with it: the confirmation sent, and a note.</summary>
    Task UpdateOutcomeAsync(string id, string? replyMessageId, string? note, CancellationToken cancellationToken);
    /// <summary>An inbound message by its dedupe key, or null.</summary>
    Task<InboundRecord?> FindByDedupeKeyAsync(string dedupeKey, CancellationToken cancellationToken);
    /// <summary>
    /// Inbound messages, newest first, optionally from one number and of one keyword (<c>stop</c>, <c>start</c>, <c>help</c>, or
    /// <see cref="InboundRecord.PlainReply"/> for messages that are no keyword); the cursor is the last item's opaque position.
    /// </summary>
    Task<Page<InboundRecord>> ListAsync(string? from, string? keyword, int limit, string? cursor, CancellationToken cancellationToken);
    /// <summary>The id of the latest message Herald stored to <paramref name="phone"/>, or null.</summary>
    Task<string?> LastMessageToAsync(string phone, CancellationToken cancellationToken);
}
