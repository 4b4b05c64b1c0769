namespace Herald.Storage.Records;

/// <summary>A campaign as stored: its state and its definition (JSON, owned by the campaign engine).</summary>
public sealed record CampaignRecord
{
    /// <summary>Herald's id.</summary>
    public required string Id { get; init; }
    /// <summary>The name people know it by.</summary>
    public required string Name { get; init; }
    /// <summary>draft, scheduled, running, paused, completed, cancelled.</summary>
    public required string Status { get; init; }
    /// <summary>What to send to whom, when and how fast (JSON).</summary>
    public required string Definition { get; init; }
    /// <summary>Recipients frozen at launch.</summary>
    public long AudienceCount { get; init; }
    /// <summary>Why it is in its state (e.g. why it paused itself).</summary>
    public string? StatusReason { get; init; }
    /// <summary>Created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Launched.</summary>
    public DateTimeOffset? LaunchedAt { get; init; }
    /// <summary>Completed or cancelled.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>When an A/B test phase had handled all its recipients (its wait starts then).</summary>
    public DateTimeOffset? TestEndedAt { get; init; }
    /// <summary>The A/B variant (0-based) the runner chose for the rest of the audience.</summary>
    public int? WinnerVariant { get; init; }
    /// <summary>Why that variant won (the test phase's numbers).</summary>
    public string? WinnerReason { get; init; }
    /// <summary>When the winner was chosen.</summary>
    public DateTimeOffset? WinnerAt { get; init; }
}

/// <summary>Where one recipient goes when the audience is frozen: its status, the reason, its A/B variant and phase.</summary>
/// <param name="Status"><c>pending</c>, <c>control</c> (held out, never sent) or <c>held</c> (waits for an A/B winner).</param>
/// <param name="Reason">Why (e.g. <c>control</c>, <c>global-control</c>, <c>ab-rest</c>).</param>
/// <param name="Variant">The body variant (0-based).</param>
/// <param name="Phase">0: the test phase or the whole audience; 1: the rest, sent the winner.</param>
public sealed record RecipientAssignment(string Status, string? Reason, int Variant, int Phase)
{
    /// <summary>Sent the first (only) body, no experiment.</summary>
    public static RecipientAssignment Default { get; } = new("pending", null, 0, 0);
}

/// <summary>A group of a campaign's recipients and what they did: the numbers behind variants, conversions and lift.</summary>
/// <param name="Status"><c>queued</c> (a message was made) or <c>control</c>.</param>
/// <param name="Reason">For control: <c>control</c> or <c>global-control</c>.</param>
/// <param name="Variant">The body variant.</param>
/// <param name="Phase">0: the test phase or the whole audience; 1: the rest after an A/B winner.</param>
/// <param name="Recipients">How many.</param>
/// <param name="Delivered">Whose message was delivered.</param>
/// <param name="Clicked">Who clicked a link in their message (a <c>clicked</c> event with its <c>messageId</c>).</param>
/// <param name="Converted">Who did the goal event within the window (after delivery or a click; for control, after the time they were due).</param>
public sealed record CampaignResultRow(string Status, string? Reason, int Variant, int Phase, long Recipients, long Delivered, long Clicked, long Converted);

/// <summary>Which contacts a campaign goes to, resolved when it launches.</summary>
public abstract record CampaignAudience
{
    private CampaignAudience() { }

    /// <summary>Every contact with a number that has not been erased.</summary>
    public sealed record Everyone : CampaignAudience;

    /// <summary>These contacts (unknown or erased ones are left out).</summary>
    public sealed record Contacts(IReadOnlyList<string> ContactIds) : CampaignAudience;

    /// <summary>The contacts a compiled segment picks (a condition over <c>contacts c</c>).</summary>
    public sealed record Segment(ContactFilter Filter) : CampaignAudience;
}

/// <summary>A recipient a campaign worker holds under a lease.</summary>
public sealed record CampaignRecipient(long Id, string ContactId, string Phone, string? Timezone, string? Attributes, string? Locale, int Variant);

/// <summary>What became of a claimed recipient.</summary>
public abstract record RecipientOutcome(long RecipientId)
{
    /// <summary>A message was made: stored with the recipient's mark, in one transaction.</summary>
    public sealed record Queued(long RecipientId, MessageRecord Message, DispatchInfo Dispatch, IdempotencyRecord Key) : RecipientOutcome(RecipientId);

    /// <summary>Not sent, for a reason code (suppressed, no-consent, dlt-mismatch, render-error, invalid…).</summary>
    public sealed record Skipped(long RecipientId, string Reason) : RecipientOutcome(RecipientId);

    /// <summary>Not yet: back to pending until <paramref name="Until"/> (legal hours, quiet hours).</summary>
    public sealed record Deferred(long RecipientId, DateTimeOffset Until, string Reason) : RecipientOutcome(RecipientId);
}

/// <summary>Counts of a campaign's recipients and of its messages' states.</summary>
/// <param name="Recipients">Recipients by status (pending, queued, skipped, cancelled, control).</param>
/// <param name="Skipped">Skipped recipients by reason.</param>
/// <param name="Messages">The campaign's messages by delivery state.</param>
/// <param name="Failures">Failed, rejected and undelivered messages by provider error (the last note), at most 20.</param>
/// <param name="Deferred">Messages the send-path policy deferred (legal window, quiet hours), by reason: they waited, or wait, in the queue.</param>
public sealed record CampaignCounts(
    IReadOnlyDictionary<string, long> Recipients,
    IReadOnlyDictionary<string, long> Skipped,
    IReadOnlyDictionary<string, long> Messages,
    IReadOnlyDictionary<string, long> Failures,
    IReadOnlyDictionary<string, long> Deferred);

/// <summary>One recipient as the report lists it, with the A/B variant (0-based) it was given.</summary>
public sealed record CampaignRecipientRow(long Id, string ContactId, string Phone, string Status, string? Reason, string? MessageId, string? MessageStatus,
    DateTimeOffset? DueAt, DateTimeOffset UpdatedAt, int Variant = 0);

/// <summary>The messages of a campaign that went in one minute, by what became of them.</summary>
/// <param name="Minute">The minute they went, or are due to go (UTC).</param>
/// <param name="Sent">All of them.</param>
/// <param name="Delivered">Delivered.</param>
/// <param name="Failed">Failed, undelivered, rejected or expired.</param>
public sealed record CampaignMinute(DateTimeOffset Minute, long Sent, long Delivered, long Failed);
