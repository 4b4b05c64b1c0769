namespace Herald.Storage.Records;

/// <summary>One admin change: who made it, what it was, on what, when and from where. Never a secret.</summary>
public sealed record AuditRecord
{
    /// <summary>Sequence id (also the cursor).</summary>
    public long Id { get; init; }
    /// <summary>When it happened.</summary>
    public required DateTimeOffset At { get; init; }
    /// <summary><c>key</c> (an API key) or <c>user</c> (a dashboard user).</summary>
    public required string ActorKind { get; init; }
    /// <summary>The API key's id or the dashboard user's id.</summary>
    public required string ActorId { get; init; }
    /// <summary>The key's name or the user's name at the time.</summary>
    public string? ActorName { get; init; }
    /// <summary>What was done, e.g. <c>provider.update</c>.</summary>
    public required string Action { get; init; }
    /// <summary>The id of what it was done to, when there is one.</summary>
    public string? TargetId { get; init; }
    /// <summary>A short description without secrets.</summary>
    public required string Summary { get; init; }
    /// <summary>The client's address (after trusted forwarded headers).</summary>
    public string? ClientIp { get; init; }
}

/// <summary>Filters for reading the audit log, newest first.</summary>
public sealed record AuditQuery
{
    /// <summary>Only this actor (key id, user id or the name either had).</summary>
    public string? Actor { get; init; }
    /// <summary>Only this action (e.g. <c>provider.update</c>), or every action under a prefix ending in a dot (<c>provider.</c>).</summary>
    public string? Action { get; init; }
    /// <summary>Entries older than this id (exclusive): the previous page's cursor.</summary>
    public long? Before { get; init; }
    /// <summary>Page size, 1 to 500.</summary>
    public int Limit { get; init; } = 50;
}
