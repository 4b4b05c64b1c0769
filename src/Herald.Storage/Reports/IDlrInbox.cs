using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Raw delivery reports, stored before they are acknowledged.</summary>
public interface IDlrInbox
{
    /// <summary>Reports stored but not yet applied (after a crash), oldest first.</summary>
    Task<IReadOnlyList<DlrInboxItem>> PendingAsync(int limit, CancellationToken cancellationToken);
    /// <summary>Deletes up to <paramref name="limit"/> of the oldest reports received before <paramref name="before"/> (retention); returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
    /// <summary>The latest reports whose callback URL named this message, newest first.</summary>
    Task<IReadOnlyList<DlrInboxItem>> ForMessageAsync(string messageId, int limit, CancellationToken cancellationToken);
    /// <summary>The latest reports for a provider (or all), newest first.</summary>
    async Task<IReadOnlyList<DlrInboxItem>> RecentAsync(string? providerId, int limit, CancellationToken cancellationToken) =>
        (await RecentAsync(new DlrInboxQuery { ProviderId = providerId, Limit = limit }, cancellationToken)).Items;
    /// <summary>Reports, newest first, filtered and paged (the dashboard's Delivery reports page).</summary>
    Task<Page<DlrInboxItem>> RecentAsync(DlrInboxQuery query, CancellationToken cancellationToken);
    /// <summary>
    /// Reports with an id greater than <paramref name="afterId"/>, for a provider (or all), oldest first, at most
    /// <paramref name="limit"/>: a feed to follow (<c>herald dlr tail</c>).
    /// </summary>
    Task<IReadOnlyList<DlrInboxItem>> ListAfterAsync(string? providerId, long afterId, int limit, CancellationToken cancellationToken);
    /// <summary>
    /// Begins one transaction for applying many reports: store them, look their messages up, move the messages, park
    /// what cannot be matched yet and mark the reports processed, with a single commit (a group commit: many callbacks
    /// acknowledged by one disk flush). Nothing is written unless <see cref="IDlrBatch.CommitAsync"/> is called.
    /// </summary>
    Task<IDlrBatch> BeginBatchAsync(CancellationToken cancellationToken);
}

/// <summary>A message a delivery report names, as the report batch found it.</summary>
/// <param name="Id">Herald's message id.</param>
/// <param name="ProviderId">The provider it went through; null if none yet.</param>
/// <param name="Type">Its type (<c>otp</c>, <c>txn</c>, … <c>test</c> for a test SMS).</param>
public readonly record struct ReportedMessage(string Id, string? ProviderId, string Type);

/// <summary>One transaction over the DLR inbox, the pending reports and the messages; see <see cref="IDlrInbox.BeginBatchAsync"/>.</summary>
public interface IDlrBatch : IAsyncDisposable
{
    /// <summary>Stores raw reports; returns their ids, in order.</summary>
    Task<IReadOnlyList<long>> StoreAsync(IReadOnlyList<DlrInboxItem> items, CancellationToken cancellationToken);
    /// <summary>
    /// Reserves ids for <paramref name="count"/> raw reports this batch will store with <see cref="StoreProcessedAsync"/> (pass each
    /// item its id), so the timeline entries it writes first can refer to them.
    /// </summary>
    Task<IReadOnlyList<long>> ReserveIdsAsync(int count, CancellationToken cancellationToken);
    /// <summary>
    /// Stores raw reports already applied in this batch, each with the answer given and the id reserved for it
    /// (<see cref="ReserveIdsAsync"/>): one row write per report instead of a store and a mark (the batch commits both or
    /// neither, so a report is never seen stored but unapplied).
    /// </summary>
    Task StoreProcessedAsync(IReadOnlyList<(DlrInboxItem Item, string Result)> items, CancellationToken cancellationToken);
    /// <summary>Each of these messages that exists, by its id, with its provider and type.</summary>
    Task<IReadOnlyDictionary<string, ReportedMessage>> ProvidersOfAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken);
    /// <summary>The message (Herald id and type) of each of a provider's message ids that Herald has recorded.</summary>
    Task<IReadOnlyDictionary<string, ReportedMessage>> FindByProviderMessageIdsAsync(string providerId, IReadOnlyCollection<string> providerMessageIds,
        CancellationToken cancellationToken);
    /// <summary>Applies changes in order, like <see cref="IMessageStore.TransitionAsync"/> each; one result per change.</summary>
    Task<IReadOnlyList<TransitionResult>> TransitionAsync(IReadOnlyList<(string MessageId, StateChange Change)> changes, CancellationToken cancellationToken);
    /// <summary>Parks reports until their provider message id is recorded.</summary>
    Task ParkAsync(IReadOnlyList<PendingReport> reports, CancellationToken cancellationToken);
    /// <summary>Removes parked reports (applied, or given up on).</summary>
    Task RemoveParkedAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken);
    /// <summary>Queues webhooks (e.g. the connector's relays to CleverTap) in the same commit; entries whose key exists are ignored.</summary>
    Task EnqueueOutboxAsync(IReadOnlyList<OutboxItem> items, CancellationToken cancellationToken);
    /// <summary>Marks stored reports applied, each with the answer given.</summary>
    Task MarkProcessedAsync(IReadOnlyList<(long Id, string Result)> results, CancellationToken cancellationToken);
    /// <summary>
    /// Deletes stored reports this batch applied that are not kept (a plain success outside the sample: see
    /// <c>DlrProcessor</c>), instead of marking them processed. Only ever for reports applied in this same batch, so a report
    /// stored but not yet applied is never deleted.
    /// </summary>
    Task DeleteAppliedAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken);
    /// <summary>Commits everything done in the batch.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}
