namespace Herald.Storage.Records;

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
    /// <summary>What the key may do: admin, send or read (keys made before scopes existed are admin).</summary>
    public string Scope { get; init; } = "admin";
    /// <summary>When it was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; init; }
}
