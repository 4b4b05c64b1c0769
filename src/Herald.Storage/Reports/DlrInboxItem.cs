namespace Herald.Storage.Records;

/// <summary>A raw delivery report as received.</summary>
public sealed record DlrInboxItem
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>The provider whose callback URL received it.</summary>
    public required string ProviderId { get; init; }
    /// <summary>
    /// When the callback URL names one message (the connector gives Kaleyra a URL per message): its reports may only
    /// move that message. Null for a provider's callback URL (<c>connector:kaleyra</c> is the connector's provider id).
    /// </summary>
    public string? MessageId { get; init; }
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

/// <summary>A filter over the raw delivery reports, newest first.</summary>
public sealed record DlrInboxQuery
{
    /// <summary>Only this provider's callbacks (<c>connector:kaleyra</c> for the connector's).</summary>
    public string? ProviderId { get; init; }
    /// <summary>Only callbacks not applied in full: pending, or answered <c>partial</c>, <c>fail</c> or 400.</summary>
    public bool NotApplied { get; init; }
    /// <summary>The cursor: reports older than this id.</summary>
    public long? Before { get; init; }
    /// <summary>Page size (1-1000).</summary>
    public int Limit { get; init; } = 50;
}
