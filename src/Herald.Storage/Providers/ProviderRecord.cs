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
    /// <summary>
    /// Whether Herald shortens the links in messages through it to <c>{PublicBaseUrl}/l/{code}</c> and counts their clicks (default);
    /// false for a provider that shortens links itself.
    /// </summary>
    public bool ShortenLinks { get; init; } = true;
    /// <summary>When the provider last rejected Herald's credentials (401/403); null when the last answer did not.</summary>
    public DateTimeOffset? CredentialsFailedAt { get; init; }
    /// <summary>What it said then.</summary>
    public string? CredentialsError { get; init; }
}
