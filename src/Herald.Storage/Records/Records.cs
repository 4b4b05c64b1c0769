using Herald.Core.Messaging;

namespace Herald.Storage.Records;

/// <summary>A configured provider as stored.</summary>
public sealed record ProviderRecord
{
    /// <summary>Stable id, used in callback URLs.</summary>
    public required string Id { get; init; }
    /// <summary>Unique (case-insensitive) name people use.</summary>
    public required string Nickname { get; init; }
    /// <summary>generic, kaleyra, sandbox...</summary>
    public required string Kind { get; init; }
    /// <summary>The kind's settings as JSON, secrets already protected.</summary>
    public required string Settings { get; init; }
    /// <summary>The unguessable token in the provider's callback URL.</summary>
    public required string CallbackToken { get; init; }
    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Most messages a second the dispatcher sends to it; 0 = no limit.</summary>
    public int RateLimit { get; init; }
    /// <summary>Most requests in flight to it at once; 0 = no limit.</summary>
    public int MaxInFlight { get; init; }
    /// <summary>Most segments one message through it may take; 0 = the server-wide Herald:MaxSegments.</summary>
    public int MaxSegments { get; init; }
    /// <summary>When the provider last rejected Herald's credentials (401/403); null when the last answer did not.</summary>
    public DateTimeOffset? CredentialsFailedAt { get; init; }
    /// <summary>What it said then.</summary>
    public string? CredentialsError { get; init; }
}

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
    /// <summary>A note to keep with the event.</summary>
    public string? Note { get; init; }
    /// <summary>The provider's message id to record, if this change learned it.</summary>
    public string? ProviderMessageId { get; init; }
    /// <summary>Whether this change is one more send attempt.</summary>
    public bool CountsAttempt { get; init; }
}

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
    /// <summary>Page size, 1 to 500.</summary>
    public int Limit { get; init; } = 50;
    /// <summary>The id after which to continue (exclusive), from the previous page.</summary>
    public string? After { get; init; }
}

/// <summary>A page of results and where to continue.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>A raw delivery report as received.</summary>
public sealed record DlrInboxItem
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>The provider whose callback URL received it.</summary>
    public required string ProviderId { get; init; }
    /// <summary>When it arrived.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }
    /// <summary>HTTP method.</summary>
    public required string Method { get; init; }
    /// <summary>Content type, if any.</summary>
    public string? ContentType { get; init; }
    /// <summary>Raw body.</summary>
    public required string Body { get; init; }
    /// <summary>Raw query string (with the leading '?', or empty).</summary>
    public required string Query { get; init; }
    /// <summary>When it was applied; null while pending.</summary>
    public DateTimeOffset? ProcessedAt { get; init; }
    /// <summary>The answer given, as JSON.</summary>
    public string? Result { get; init; }
}

/// <summary>An API key as stored: only a hash of the secret.</summary>
public sealed record ApiKeyRecord
{
    /// <summary>Id.</summary>
    public required string Id { get; init; }
    /// <summary>A name people chose.</summary>
    public required string Name { get; init; }
    /// <summary>The first characters of the key, to recognise it.</summary>
    public required string Prefix { get; init; }
    /// <summary>SHA-256 of the key, hex.</summary>
    public required string Hash { get; init; }
    /// <summary>When it was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>
/// What the Kaleyra connector keeps about one of its messages, besides the Herald message itself
/// (table <c>connector_messages</c>, keyed by the Herald message id).
/// </summary>
public sealed record ConnectorMessageRecord
{
    /// <summary>The Herald message.</summary>
    public required string MessageId { get; init; }
    /// <summary>Which connector: <c>kaleyra</c>.</summary>
    public required string Connector { get; init; }
    /// <summary>The caller's id for the message (CleverTap's <c>message_id</c>, sent back as <c>meta</c>).</summary>
    public required string ExternalId { get; init; }
    /// <summary>Where delivery reports are relayed (CleverTap's <c>callback_url</c> header).</summary>
    public required string CallbackUrl { get; init; }
    /// <summary>The secret part of Herald's connector callback URL for this message.</summary>
    public required string CallbackToken { get; init; }
    /// <summary>The Kaleyra API host the message went to (<c>kaleyra-host</c>).</summary>
    public required string Host { get; init; }
    /// <summary>The Kaleyra account SID.</summary>
    public required string Sid { get; init; }
    /// <summary>When it was received.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A raw callback to a connector callback URL, stored before it is acknowledged.</summary>
public sealed record ConnectorCallbackItem
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>The Herald message whose callback URL received it.</summary>
    public required string MessageId { get; init; }
    /// <summary>When it arrived.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }
    /// <summary>HTTP method.</summary>
    public required string Method { get; init; }
    /// <summary>Content type, if any.</summary>
    public string? ContentType { get; init; }
    /// <summary>Raw body.</summary>
    public required string Body { get; init; }
    /// <summary>Raw query string (with the leading '?', or empty).</summary>
    public required string Query { get; init; }
    /// <summary>When it was applied; null while pending.</summary>
    public DateTimeOffset? ProcessedAt { get; init; }
    /// <summary>The answer given, as JSON.</summary>
    public string? Result { get; init; }
}

/// <summary>Where a relay stands.</summary>
public enum RelayStatus
{
    /// <summary>Waiting for its (next) attempt.</summary>
    Pending,
    /// <summary>The callback URL answered 2xx: never sent again.</summary>
    Sent,
    /// <summary>Given up: a permanent refusal, or out of attempts.</summary>
    Dead,
}

/// <summary>One delivery event waiting to be relayed (or relayed) to a callback URL in CleverTap's format.</summary>
public sealed record RelayRecord
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>The Herald message it is about.</summary>
    public required string MessageId { get; init; }
    /// <summary>Where it goes.</summary>
    public required string CallbackUrl { get; init; }
    /// <summary>CleverTap's event name: <c>delivered</c> or <c>failed</c>.</summary>
    public required string Event { get; init; }
    /// <summary>The record for the event's <c>data</c> array, as a JSON object (<c>ts</c>, <c>meta</c>, <c>code</c>, <c>description</c>).</summary>
    public required string Payload { get; init; }
    /// <summary>Where it stands.</summary>
    public RelayStatus Status { get; init; } = RelayStatus.Pending;
    /// <summary>Attempts so far.</summary>
    public int Attempts { get; init; }
    /// <summary>When it is due (again).</summary>
    public required DateTimeOffset NextAttemptAt { get; init; }
    /// <summary>While a worker holds it: until when. A lease that runs out (crash) makes it claimable again.</summary>
    public DateTimeOffset? ClaimedUntil { get; init; }
    /// <summary>The last failure, if any.</summary>
    public string? LastError { get; init; }
    /// <summary>When it was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>What one relay attempt did to one relay, with the entry for its message's timeline.</summary>
public sealed record RelayCompletion
{
    /// <summary>The relay.</summary>
    public required long Id { get; init; }
    /// <summary>Its message (for the timeline).</summary>
    public required string MessageId { get; init; }
    /// <summary><see cref="RelayStatus.Sent"/>, <see cref="RelayStatus.Dead"/>, or <see cref="RelayStatus.Pending"/> to try again at <see cref="NextAttemptAt"/>.</summary>
    public required RelayStatus Status { get; init; }
    /// <summary>When to try again (only for <see cref="RelayStatus.Pending"/>).</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
    /// <summary>The failure, when it failed.</summary>
    public string? Error { get; init; }
    /// <summary>The timeline event's name, e.g. <c>relayed</c>, <c>relay-retry</c>, <c>relay-dead</c>.</summary>
    public required string Event { get; init; }
    /// <summary>The timeline note.</summary>
    public string? Note { get; init; }
    /// <summary>The timeline detail (the exchange), JSON.</summary>
    public string? Detail { get; init; }
}
