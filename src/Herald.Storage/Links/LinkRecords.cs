namespace Herald.Storage.Records;

/// <summary>One short link: <c>{PublicBaseUrl}/l/{Code}</c> in one message, redirecting to <see cref="Url"/>.</summary>
public sealed record LinkRecord
{
    /// <summary>The code in the short link (6 to 8 letters and digits from a CSPRNG).</summary>
    public required string Code { get; init; }
    /// <summary>Where it redirects: the long URL as the message's text or its sender gave it.</summary>
    public required string Url { get; init; }
    /// <summary>The message it is in.</summary>
    public required string MessageId { get; init; }
    /// <summary>The message's recipient (E.164): the contact a click belongs to.</summary>
    public required string Phone { get; init; }
    /// <summary>The message's campaign, if any.</summary>
    public string? CampaignId { get; init; }
    /// <summary>The message's journey, if any.</summary>
    public string? JourneyId { get; init; }
    /// <summary>When it was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Clicks counted (link-preview bots and HEAD requests are not).</summary>
    public long Clicks { get; init; }
    /// <summary>The first counted click.</summary>
    public DateTimeOffset? FirstClickAt { get; init; }
    /// <summary>The latest counted click.</summary>
    public DateTimeOffset? LastClickAt { get; init; }
}

/// <summary>A counted click on a short link, waiting to be written.</summary>
/// <param name="Link">The link.</param>
/// <param name="At">When it was clicked.</param>
/// <param name="UserAgent">The browser's User-Agent (trimmed to 300 characters), for the message's timeline.</param>
public sealed record LinkClick(LinkRecord Link, DateTimeOffset At, string? UserAgent);

/// <summary>A campaign's clicks: every counted click, and the messages clicked at least once.</summary>
/// <param name="Clicks">Counted clicks.</param>
/// <param name="ClickedMessages">Messages with at least one counted click (unique clicks).</param>
public sealed record LinkClickCounts(long Clicks, long ClickedMessages);

/// <summary>One inbound message (a reply, a STOP) as received from a provider, and what Herald did with it.</summary>
public sealed record InboundRecord
{
    /// <summary>The keyword filter that picks the messages that are no keyword (plain replies).</summary>
    public const string PlainReply = "reply";

    /// <summary>Herald's id, <c>in_...</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The provider whose inbound URL received it.</summary>
    public required string ProviderId { get; init; }
    /// <summary>What makes a replay the same message (the provider's own id for it, or a digest of the record).</summary>
    public required string DedupeKey { get; init; }
    /// <summary>The sender (E.164 when it could be read as a number).</summary>
    public required string From { get; init; }
    /// <summary>The number or sender id it was sent to.</summary>
    public string? To { get; init; }
    /// <summary>The text.</summary>
    public required string Text { get; init; }
    /// <summary>The keyword it was read as (<c>stop</c>, <c>start</c>, <c>help</c>), or null for a plain reply.</summary>
    public string? Keyword { get; init; }
    /// <summary>The last message Herald sent to that number (the one it answers), if any.</summary>
    public string? MessageId { get; init; }
    /// <summary>The contact with that number, if any.</summary>
    public string? ContactId { get; init; }
    /// <summary>The confirmation Herald sent back, if any.</summary>
    public string? ReplyMessageId { get; init; }
    /// <summary>What Herald did (suppressed, resubscribed, helped, reply not sent and why).</summary>
    public string? Note { get; init; }
    /// <summary>When Herald received it.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }
    /// <summary>The record as received.</summary>
    public required string Raw { get; init; }
}
