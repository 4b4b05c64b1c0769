using Herald.Core.Messaging;

namespace Herald.Storage.Records;

/// <summary>One message as stored.</summary>
public sealed record MessageRecord
{
    /// <summary>Herald's id, also the <c>$$MessageID</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The provider that sends it.</summary>
    public string? ProviderId { get; init; }
    /// <summary>The provider's nickname when the message was created (kept after the provider is removed).</summary>
    public string? ProviderNickname { get; init; }
    /// <summary>Recipient in E.164.</summary>
    public required string To { get; init; }
    /// <summary>Text.</summary>
    public string? Body { get; init; }
    /// <summary>DLT template id.</summary>
    public string? TemplateId { get; init; }
    /// <summary>Template variables.</summary>
    public string? TemplateVariables { get; init; }
    /// <summary>Campaign id.</summary>
    public string? CampaignId { get; init; }
    /// <summary>Sender id.</summary>
    public string? Sender { get; init; }
    /// <summary>otp, txn, default, mkt, test.</summary>
    public required string Type { get; init; }
    /// <summary>Where it came from: api, test, connector.</summary>
    public required string Source { get; init; }
    /// <summary>Dynamic fields as a JSON object.</summary>
    public string? DynamicFields { get; init; }
    /// <summary>Current state.</summary>
    public required DeliveryState Status { get; init; }
    /// <summary>The provider's id for it, once known.</summary>
    public string? ProviderMessageId { get; init; }
    /// <summary>Send attempts so far.</summary>
    public int Attempts { get; init; }
    /// <summary>The provider group it belongs to, when it was sent to a group: it may move between the group's providers.</summary>
    public string? ProviderGroupId { get; init; }
    /// <summary>Send attempts on its current provider (reset when it fails over to another provider of its group).</summary>
    public int ProviderAttempts { get; init; }
    /// <summary>What the path that submitted it keeps beyond the message (JSON), e.g. the connector's callback; null for most.</summary>
    public string? Meta { get; init; }
    /// <summary>The API key that submitted it (null for the dashboard, the connector and messages from before keys were recorded).</summary>
    public string? ApiKeyId { get; init; }
    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One entry of a message's timeline.</summary>
public sealed record MessageEventRecord
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>The message.</summary>
    public required string MessageId { get; init; }
    /// <summary>When Herald recorded it.</summary>
    public required DateTimeOffset At { get; init; }
    /// <summary>api, dispatch, provider-response, dlr.</summary>
    public required string Source { get; init; }
    /// <summary>What happened, e.g. queued, accepted, delivered, clicked, transient-failure.</summary>
    public required string Event { get; init; }
    /// <summary>The state the message moved to, when it moved.</summary>
    public DeliveryState? State { get; init; }
    /// <summary>Whether it changed the message's state.</summary>
    public bool Applied { get; init; }
    /// <summary>Why it did not apply, or a short note.</summary>
    public string? Note { get; init; }
    /// <summary>Raw detail (request/response, DLR record), as JSON or text.</summary>
    public string? Detail { get; init; }
}

/// <summary>A proposed change to a message: a timeline entry that may move its state.</summary>
public sealed record StateChange
{
    /// <summary>The proposed state; null for events that only go on the timeline.</summary>
    public DeliveryState? Proposed { get; init; }
    /// <summary>api, dispatch, provider-response, dlr.</summary>
    public required string Source { get; init; }
    /// <summary>The event's name.</summary>
    public required string Event { get; init; }
    /// <summary>Raw detail.</summary>
    public string? Detail { get; init; }
    /// <summary>
    /// Where <see cref="Detail"/> is found verbatim in a stored raw report (its id, and the start and length in its body): the
    /// timeline then keeps a reference instead of a second copy, and reads the detail back from the report (until its retention).
    /// </summary>
    public ReportSlice? DetailInReport { get; init; }
    /// <summary>
    /// An accepted answer whose bodies were not kept: the exchange's method, URL, status and time, which the timeline spells out as
    /// <see cref="Detail"/> (<c>{"request":{"method":…,"url":…},"response":{"status":…},"elapsedMs":…,"bodiesKept":false}</c>) when
    /// read. The store keeps the four values, so the hot path neither writes that JSON nor parses it back.
    /// </summary>
    public ExchangeSummary? Summary { get; init; }
    /// <summary>A note to keep with the event.</summary>
    public string? Note { get; init; }
    /// <summary>
    /// When the report says it happened: the timeline's note reads <see cref="Note"/> followed by " (reported at …)" (round-trip
    /// format), or "reported at …" alone. Kept apart from the note so the store keeps the time as a number (issue 11 §8).
    /// </summary>
    public DateTimeOffset? ReportedAt { get; init; }
    /// <summary>The provider's message id to record, if this change learned it.</summary>
    public string? ProviderMessageId { get; init; }
    /// <summary>Whether this change is one more send attempt.</summary>
    public bool CountsAttempt { get; init; }
}

/// <summary>
/// An exchange with a provider reduced to what a successful send keeps when its bodies are not sampled. Its text values are
/// plain (printable ASCII without quotes or backslashes), so the JSON it reads as is exactly the JSON a writer makes of it.
/// </summary>
public readonly record struct ExchangeSummary(string Method, string Url, int Status, long ElapsedMs)
{
    /// <summary>Whether <paramref name="text"/> reads the same inside a JSON string as written (no escape needed) and holds no separator.</summary>
    public static bool IsPlain(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~' or '"' or '\\')
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>A piece of a stored raw report's body: the report's id, and the start and length of the piece.</summary>
public readonly record struct ReportSlice(long ReportId, int Start, int Length);

/// <summary>What a <see cref="StateChange"/> did.</summary>
/// <param name="Found">Whether the message exists.</param>
/// <param name="Applied">Whether its state moved.</param>
/// <param name="State">Its state afterwards.</param>
/// <param name="Note">Why it did not move, when it did not.</param>
public sealed record TransitionResult(bool Found, bool Applied, DeliveryState? State, string? Note)
{
    /// <summary>The message does not exist.</summary>
    public static TransitionResult NotFound { get; } = new(false, false, null, "unknown message");
}

/// <summary>Filters for listing messages.</summary>
public sealed record MessageQuery
{
    /// <summary>Only this state.</summary>
    public DeliveryState? Status { get; init; }
    /// <summary>Only this provider id.</summary>
    public string? ProviderId { get; init; }
    /// <summary>Only this recipient (E.164).</summary>
    public string? To { get; init; }
    /// <summary>Only this type.</summary>
    public string? Type { get; init; }
    /// <summary>Only this campaign.</summary>
    public string? CampaignId { get; init; }
    /// <summary>Only messages from this source (api, test, connector).</summary>
    public string? Source { get; init; }
    /// <summary>Only messages this API key submitted (what a send-scoped key may read).</summary>
    public string? ApiKeyId { get; init; }
    /// <summary>Page size, 1 to 500.</summary>
    public int Limit { get; init; } = 50;
    /// <summary>The id after which to continue (exclusive), from the previous page.</summary>
    public string? After { get; init; }
}

/// <summary>A page of results and where to continue.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
