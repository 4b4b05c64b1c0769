using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>
/// Journeys, their immutable versions and their instances. Instances are claimed under a lease like the dispatch queue
/// (<c>SKIP LOCKED</c> on PostgreSQL), and a claimed instance's move is stored with its messages and webhooks in one
/// transaction, only if the instance is still where it was claimed: a crash at any moment neither loses a waiting contact
/// nor sends anything twice.
/// </summary>
public interface IJourneyStore
{
    /// <summary>Stores a new journey.</summary>
    Task CreateAsync(JourneyRecord journey, CancellationToken cancellationToken);

    /// <summary>One journey, or null.</summary>
    Task<JourneyRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Journeys, newest first.</summary>
    Task<IReadOnlyList<JourneyRecord>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Replaces the draft; false when there is no such journey.</summary>
    Task<bool> UpdateDraftAsync(string id, string name, string draft, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the draft version n+1 (immutable), makes it the one new entries take, activates the journey and records the event
    /// names it (and its older versions, whose instances still run) listens to. With <paramref name="segmentTrigger"/>, the
    /// journey's segment is evaluated from now on; a segment it did not have before starts from a baseline of its members now
    /// (none with <see cref="JourneySegmentTrigger.IncludeExisting"/>). Returns the new version, or null when there is no such journey.
    /// </summary>
    Task<int?> PublishAsync(string id, string name, string definition, IReadOnlyCollection<string> eventNames, JourneySegmentTrigger? segmentTrigger,
        CancellationToken cancellationToken);

    /// <summary>Moves a journey from one of <paramref name="from"/> to <paramref name="to"/>; false otherwise.</summary>
    Task<bool> TransitionAsync(string id, IReadOnlyCollection<string> from, string to, CancellationToken cancellationToken);

    /// <summary>A published version's definition, or null.</summary>
    Task<string?> VersionAsync(string id, int version, CancellationToken cancellationToken);

    /// <summary>Takes up to <paramref name="limit"/> inbox events under a lease, oldest first.</summary>
    Task<IReadOnlyList<JourneyEvent>> ClaimEventsAsync(string owner, TimeSpan lease, int limit, CancellationToken cancellationToken);

    /// <summary>The instances of these contacts that are active, or entered after <paramref name="since"/> (for conversions).</summary>
    Task<IReadOnlyList<JourneyInstance>> InstancesOfAsync(IReadOnlyCollection<string> contactIds, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>How many instances each (journey, contact) has, and when the last one entered.</summary>
    Task<IReadOnlyList<(string JourneyId, string ContactId, long Count, DateTimeOffset LastEntered)>> EntriesOfAsync(IReadOnlyCollection<string> contactIds,
        CancellationToken cancellationToken);

    /// <summary>Stores what the event pass decided, in one transaction. Returns how many instances entered.</summary>
    Task<int> ApplyEventsAsync(JourneyEventOutcome outcome, CancellationToken cancellationToken);

    /// <summary>Claims up to <paramref name="limit"/> due instances of active journeys under a lease, earliest due first.</summary>
    Task<IReadOnlyList<ClaimedInstance>> ClaimDueAsync(string owner, TimeSpan lease, int limit, CancellationToken cancellationToken);

    /// <summary>Stores steps (each only if its instance is still where it was and held by <paramref name="owner"/>); how many were stored.</summary>
    Task<int> CommitStepsAsync(string owner, IReadOnlyList<JourneyStep> steps, CancellationToken cancellationToken);

    /// <summary>Gives claimed instances back without a step (shutdown).</summary>
    Task ReleaseAsync(string owner, IReadOnlyList<long> ids, CancellationToken cancellationToken);

    /// <summary>The properties (JSON) of the contact's events named <paramref name="name"/> that happened at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyList<string?>> EventsSinceAsync(string contactId, string name, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Whether a compiled segment picks the contact.</summary>
    Task<bool> InSegmentAsync(string contactId, ContactFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> journeys whose segment trigger is due under a lease (<c>SKIP LOCKED</c> on PostgreSQL):
    /// due by the interval, or, with <paramref name="changedAt"/>, last evaluated before that change and at least
    /// <paramref name="changeDelay"/> ago.
    /// </summary>
    Task<IReadOnlyList<ClaimedSegmentTrigger>> ClaimSegmentTriggersAsync(string owner, TimeSpan lease, DateTimeOffset? changedAt, TimeSpan changeDelay, int limit,
        CancellationToken cancellationToken);

    /// <summary>
    /// Evaluates a claimed segment trigger in one transaction, set-based: the segment's members that the last evaluation did not
    /// see are added (and enter, by the re-entry rule, when the journey is active), members that left are removed, and the
    /// next evaluation is due at <see cref="SegmentTriggerEvaluation.NextDueAt"/>. Only while <paramref name="owner"/> holds the
    /// journey and it still has this version and segment; entries are unique per journey, contact and membership, so two
    /// evaluations never enter a contact twice.
    /// </summary>
    Task<SegmentTriggerOutcome> EvaluateSegmentTriggerAsync(string owner, SegmentTriggerEvaluation evaluation, CancellationToken cancellationToken);

    /// <summary>Gives a claimed segment trigger back unevaluated, due again at <paramref name="dueAt"/>.</summary>
    Task ReleaseSegmentTriggerAsync(string owner, string journeyId, DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary>A journey's figures.</summary>
    Task<JourneyCounts> CountsAsync(string id, CancellationToken cancellationToken);

    /// <summary>Instances of a journey, newest first (for "where is this contact").</summary>
    Task<IReadOnlyList<JourneyInstance>> InstancesAsync(string id, string? contactId, int limit, CancellationToken cancellationToken);
}
