using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>
/// Campaigns and their frozen audiences. Recipients are claimed under a lease like the dispatch queue, and each claimed
/// recipient is marked in the same transaction that stores its message, so a crash at any moment neither repeats nor
/// skips anyone.
/// </summary>
public interface ICampaignStore
{
    /// <summary>Stores a new campaign.</summary>
    Task CreateAsync(CampaignRecord campaign, CancellationToken cancellationToken);

    /// <summary>One campaign, or null.</summary>
    Task<CampaignRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Campaigns, newest first, optionally in some states only.</summary>
    Task<IReadOnlyList<CampaignRecord>> ListAsync(IReadOnlyCollection<string>? statuses, int limit, CancellationToken cancellationToken);

    /// <summary>Changes the name and definition while the campaign is in one of <paramref name="editable"/>; false otherwise.</summary>
    Task<bool> UpdateAsync(string id, string name, string definition, IReadOnlyCollection<string> editable, CancellationToken cancellationToken);

    /// <summary>Moves the campaign to <paramref name="to"/> when it is in one of <paramref name="from"/>; false otherwise.</summary>
    Task<bool> TransitionAsync(string id, IReadOnlyCollection<string> from, string to, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// Freezes the audience into recipients, each due at <paramref name="dueAt"/> or, with <paramref name="dueInZone"/>, at the
    /// instant it gives for the recipient's time zone (null: none known), placed by <paramref name="assign"/> (by contact id:
    /// control, A/B variant and phase; null: everyone pending with the first body), and moves a <c>draft</c> campaign to
    /// <paramref name="status"/>, all in one transaction. Returns the audience size, or null when the campaign was not a draft.
    /// </summary>
    Task<long?> LaunchAsync(string id, CampaignAudience audience, DateTimeOffset dueAt, Func<string?, DateTimeOffset>? dueInZone, string status,
        Func<string, RecipientAssignment>? assign, CancellationToken cancellationToken);

    /// <summary>Holds up to <paramref name="limit"/> due pending recipients under a lease, first due first.</summary>
    Task<IReadOnlyList<CampaignRecipient>> ClaimAsync(string id, int limit, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the messages of claimed recipients and marks every claimed recipient, in one transaction, if the campaign is
    /// still scheduled or running; otherwise (paused or cancelled meanwhile) releases them unsent and returns false.
    /// </summary>
    Task<bool> CommitAsync(string id, IReadOnlyList<RecipientOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>
    /// Takes back the campaign's messages that no worker has claimed yet (status <c>queued</c>): they are deleted with their
    /// timeline and key, and their recipients go back to <c>pending</c> (pause) or to <c>cancelled</c> (cancel), like
    /// every still-pending recipient when cancelling. Returns how many messages were taken back.
    /// </summary>
    Task<int> TakeBackAsync(string id, bool cancel, CancellationToken cancellationToken);

    /// <summary>Cancels recipients still pending (after the campaign's end); returns how many.</summary>
    Task<int> CancelPendingAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>Recipients left: pending, or held for an A/B winner.</summary>
    Task<long> OutstandingAsync(string id, CancellationToken cancellationToken);

    /// <summary>Pending recipients left (not counting those held for an A/B winner).</summary>
    Task<long> PendingAsync(string id, CancellationToken cancellationToken);

    /// <summary>Records that the A/B test phase handled all its recipients at <paramref name="at"/> unless recorded before; returns the recorded time.</summary>
    Task<DateTimeOffset> EndTestPhaseAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Records the A/B winner (once: false when one was recorded before) and releases the recipients held for it: pending
    /// with the winning variant, due now (or at their own later time), in one transaction.
    /// </summary>
    Task<bool> ChooseWinnerAsync(string id, int variant, string reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// The campaign's sent and control recipients grouped by status, reason, variant and phase, with how many were delivered,
    /// clicked (<c>clicked</c> events whose <c>messageId</c> is theirs) and converted: did <paramref name="goal"/> within
    /// <paramref name="window"/> after their message was delivered or clicked (control: after they were due). No goal: none converted.
    /// </summary>
    Task<IReadOnlyList<CampaignResultRow>> ResultsAsync(string id, string? goal, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>The campaign's counts.</summary>
    Task<CampaignCounts> CountsAsync(string id, CancellationToken cancellationToken);

    /// <summary>Recipients, optionally by status and reason, in id order after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<CampaignRecipientRow>> RecipientsAsync(string id, string? status, string? reason, long after, int limit, CancellationToken cancellationToken);

    /// <summary>The campaign's messages per minute they were made in, by what became of them.</summary>
    Task<IReadOnlyList<CampaignMinute>> MinutesAsync(string id, CancellationToken cancellationToken);

    /// <summary>Delivery-report latency (first accepted to delivered) percentiles in ms, from a sample of delivered messages.</summary>
    Task<(double? P50, double? P95)> DeliveryLatencyAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// The contacts <paramref name="audience"/> holds now, as launch would freeze them (not erased, with a number), in contact id
    /// order after <paramref name="after"/>: read only, nothing is frozen. Recipient ids are 0.
    /// </summary>
    Task<IReadOnlyList<CampaignRecipient>> AudienceAsync(CampaignAudience audience, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>How many contacts <paramref name="audience"/> holds now, optionally only those whose number starts with <paramref name="phonePrefix"/>.</summary>
    Task<long> CountAudienceAsync(CampaignAudience audience, string? phonePrefix, CancellationToken cancellationToken);
}
