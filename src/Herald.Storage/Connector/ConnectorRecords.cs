namespace Herald.Storage.Records;

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
