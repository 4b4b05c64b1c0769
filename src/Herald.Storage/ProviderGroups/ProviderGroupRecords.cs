namespace Herald.Storage.Records;

/// <summary>An ordered list of providers a message may fail over between.</summary>
public sealed record ProviderGroupRecord
{
    /// <summary>Stable id, e.g. <c>grp_k3n8...</c>.</summary>
    public required string Id { get; init; }
    /// <summary>Unique (case-insensitive) name people use.</summary>
    public required string Name { get; init; }
    /// <summary>Provider ids in failover order: the first is tried first.</summary>
    public required IReadOnlyList<string> ProviderIds { get; init; }
    /// <summary>How many attempts on one provider end in a transient failure before the next attempt goes to the next provider.</summary>
    public int FailoverAfterAttempts { get; init; } = 2;
    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One provider of a group as the dispatcher needs it.</summary>
/// <param name="Id">The provider's id.</param>
/// <param name="Nickname">Its nickname, for the timeline.</param>
public sealed record GroupMember(string Id, string Nickname);

/// <summary>A claimed message's group: the providers it may move between, in order (only those that still exist).</summary>
/// <param name="Id">The group's id.</param>
/// <param name="Name">The group's name.</param>
/// <param name="Providers">Its providers in failover order.</param>
/// <param name="FailoverAfterAttempts">Transient failures on one provider before moving to the next.</param>
public sealed record ProviderGroupRoute(string Id, string Name, IReadOnlyList<GroupMember> Providers, int FailoverAfterAttempts);

/// <summary>A message moves to another provider of its group.</summary>
/// <param name="ProviderId">The provider it moves to.</param>
/// <param name="ProviderNickname">That provider's nickname.</param>
/// <param name="Note">When set, a separate <c>failover</c> entry with this note follows the completion's own entry on the timeline.</param>
public sealed record ProviderSwitch(string ProviderId, string ProviderNickname, string? Note = null);
