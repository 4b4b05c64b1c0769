using Herald.Storage;

namespace Herald.Storage.Records;


/// <summary>A journey as stored: its draft (JSON, owned by the journey engine) and the version new entries take.</summary>
public sealed record JourneyRecord
{
    /// <summary>Herald's id.</summary>
    public required string Id { get; init; }
    /// <summary>The name people know it by.</summary>
    public required string Name { get; init; }
    /// <summary>draft (never published), active or paused.</summary>
    public required string Status { get; init; }
    /// <summary>The definition being written (JSON); publishing copies it into an immutable version.</summary>
    public required string Draft { get; init; }
    /// <summary>The newest published version (0 = never published): new entries take it.</summary>
    public int Version { get; init; }
    /// <summary>Created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>An event a journey listens to, taken from the journey inbox under a lease.</summary>
public sealed record JourneyEvent(long Id, string MessageId, string ContactId, string Name, string? Properties, DateTimeOffset At);

/// <summary>A journey instance: one contact's place in one version of a journey.</summary>
public sealed record JourneyInstance
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>The journey.</summary>
    public required string JourneyId { get; init; }
    /// <summary>The version it runs on, to the end.</summary>
    public int Version { get; init; }
    /// <summary>The contact.</summary>
    public required string ContactId { get; init; }
    /// <summary>The node it is at.</summary>
    public required string Node { get; init; }
    /// <summary>Whether it waits at <see cref="Node"/> (a delay or a wait for an event) rather than arriving there.</summary>
    public bool Waiting { get; init; }
    /// <summary>active or exited.</summary>
    public required string Status { get; init; }
    /// <summary>When the runner next looks at it (the end of a wait), if at all.</summary>
    public DateTimeOffset? WakeAt { get; init; }
    /// <summary>Until when a runner holds it.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }
    /// <summary>The trigger event's messageId.</summary>
    public required string TriggerMessageId { get; init; }
    /// <summary>The trigger event's name.</summary>
    public required string TriggerName { get; init; }
    /// <summary>The trigger event's properties (JSON), for templates and matching.</summary>
    public string? TriggerProperties { get; init; }
    /// <summary>When the trigger event happened.</summary>
    public DateTimeOffset TriggerAt { get; init; }
    /// <summary>When the contact entered.</summary>
    public DateTimeOffset EnteredAt { get; init; }
    /// <summary>When it left, and why (completed, goal, contact-erased, ...).</summary>
    public DateTimeOffset? ExitedAt { get; init; }
    /// <summary>Why it left.</summary>
    public string? ExitReason { get; init; }
    /// <summary>When its goal event came within the attribution window.</summary>
    public DateTimeOffset? ConvertedAt { get; init; }
}

/// <summary>A claimed instance with what the runner needs of its contact.</summary>
/// <param name="Instance">The instance.</param>
/// <param name="Phone">The contact's number (null: none, or erased).</param>
/// <param name="Attributes">The contact's attributes (JSON).</param>
/// <param name="Timezone">The contact's IANA time zone.</param>
/// <param name="Locale">The contact's locale.</param>
/// <param name="ExternalId">The contact's external id.</param>
/// <param name="Erased">Whether the contact was erased (or deleted).</param>
public sealed record ClaimedInstance(JourneyInstance Instance, string? Phone, string? Attributes, string? Timezone, string? Locale, string? ExternalId, bool Erased);

/// <summary>A new instance: a contact enters a journey (with <paramref name="Goal"/>: and reached the goal in the same batch, so it enters converted and exited).</summary>
public sealed record JourneyEntry(string JourneyId, int Version, string ContactId, string Node, string EntryKey, string TriggerMessageId, string TriggerName,
    string? TriggerProperties, DateTimeOffset TriggerAt, bool Goal = false);

/// <summary>An instance waiting for an event that came: it moves on (if it still waits there and nobody holds it).</summary>
public sealed record JourneySignal(long InstanceId, string JourneyId, int Version, string FromNode, string ToNode);

/// <summary>A goal event for an instance: an active one exits (reason goal); a conversion is counted when <see cref="Converted"/>.</summary>
public sealed record JourneyGoal(long InstanceId, bool Exit, bool Converted);

/// <summary>What the event pass decided for a batch of inbox events, stored in one transaction.</summary>
/// <param name="Done">Inbox rows handled (deleted).</param>
/// <param name="Deferred">Inbox rows to look at again at <paramref name="RetryAt"/> (their contact's instance was held by a runner).</param>
/// <param name="RetryAt">When deferred rows are due again.</param>
/// <param name="Entries">New instances.</param>
/// <param name="Signals">Waits that ended with their event.</param>
/// <param name="Goals">Goal exits and conversions.</param>
public sealed record JourneyEventOutcome(IReadOnlyList<long> Done, IReadOnlyList<long> Deferred, DateTimeOffset RetryAt, IReadOnlyList<JourneyEntry> Entries,
    IReadOnlyList<JourneySignal> Signals, IReadOnlyList<JourneyGoal> Goals);

/// <summary>Where a claimed instance goes after a runner's step, with what the step sends; stored only if the instance is still where it was.</summary>
public sealed record JourneyStep
{
    /// <summary>The instance.</summary>
    public required ClaimedInstance From { get; init; }
    /// <summary>The node it is at now.</summary>
    public required string Node { get; init; }
    /// <summary>Whether it waits there.</summary>
    public bool Waiting { get; init; }
    /// <summary>When it is due again (null: only an event moves it).</summary>
    public DateTimeOffset? WakeAt { get; init; }
    /// <summary>Why it left (null: still active).</summary>
    public string? ExitReason { get; init; }
    /// <summary>Whether the step found the goal event (a conversion).</summary>
    public bool Converted { get; init; }
    /// <summary>Messages to queue with their idempotency keys (journey:{instance}:{node}).</summary>
    public IReadOnlyList<(MessageRecord Message, DispatchInfo Dispatch, IdempotencyRecord Key)> Messages { get; init; } = [];
    /// <summary>Webhooks to queue in the outbox.</summary>
    public IReadOnlyList<OutboxItem> Webhooks { get; init; } = [];
    /// <summary>Counters to add (edge:a>b, sent:node, skipped:reason).</summary>
    public IReadOnlyDictionary<string, long> Counts { get; init; } = new Dictionary<string, long>();
}

/// <summary>A journey's figures across its versions.</summary>
/// <param name="Entered">Instances made.</param>
/// <param name="ActiveByNode">Active instances by node.</param>
/// <param name="ExitedByReason">Exited instances by reason.</param>
/// <param name="Converted">Instances whose goal came within the attribution window.</param>
/// <param name="Counters">Counters by key (edge:a>b, sent:node, skipped:reason).</param>
public sealed record JourneyCounts(long Entered, IReadOnlyDictionary<string, long> ActiveByNode, IReadOnlyDictionary<string, long> ExitedByReason, long Converted,
    IReadOnlyDictionary<string, long> Counters);

/// <summary>The trigger "enters a segment" of a version being published.</summary>
/// <param name="SegmentId">The segment.</param>
/// <param name="Filter">The segment compiled now: its members are the baseline that does not enter (unless <paramref name="IncludeExisting"/>).</param>
/// <param name="IncludeExisting">Whether today's members enter too (then there is no baseline and the first evaluation enters them).</param>
public sealed record JourneySegmentTrigger(string SegmentId, ContactFilter Filter, bool IncludeExisting);

/// <summary>A journey whose segment trigger a runner holds under a lease, to evaluate it.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="SegmentId">Its trigger's segment.</param>
/// <param name="Version">The version new entries take.</param>
public sealed record ClaimedSegmentTrigger(string JourneyId, string SegmentId, int Version);

/// <summary>One evaluation of a segment trigger: who joined the segment since the last one enters (by the re-entry rule), who left is forgotten.</summary>
public sealed record SegmentTriggerEvaluation
{
    /// <summary>The journey, as claimed.</summary>
    public required ClaimedSegmentTrigger Trigger { get; init; }
    /// <summary>The segment compiled now.</summary>
    public required ContactFilter Filter { get; init; }
    /// <summary>The trigger node new instances start at.</summary>
    public required string Node { get; init; }
    /// <summary>The re-entry rule: once, everyTime or afterHours.</summary>
    public required string ReEntryMode { get; init; }
    /// <summary>afterHours: the hours.</summary>
    public double? ReEntryHours { get; init; }
    /// <summary>When the next evaluation is due.</summary>
    public required DateTimeOffset NextDueAt { get; init; }
}

/// <summary>What an evaluation did.</summary>
/// <param name="Evaluated">False when the runner no longer held the journey or it changed meanwhile (publish, another segment): nothing was done.</param>
/// <param name="Joined">Contacts new to the segment.</param>
/// <param name="Left">Contacts that left it.</param>
/// <param name="Entered">Instances made (joined contacts the re-entry rule lets in, while the journey is active).</param>
public sealed record SegmentTriggerOutcome(bool Evaluated, int Joined, int Left, int Entered);
