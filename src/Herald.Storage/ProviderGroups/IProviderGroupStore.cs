using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Provider groups: ordered providers a message fails over between.</summary>
public interface IProviderGroupStore
{
    /// <summary>Finds a group by id, or by name (case-insensitive).</summary>
    Task<ProviderGroupRecord?> FindGroupAsync(string idOrName, CancellationToken cancellationToken);
    /// <summary>Every group, by name.</summary>
    Task<IReadOnlyList<ProviderGroupRecord>> ListGroupsAsync(CancellationToken cancellationToken);
    /// <summary>Adds a group; throws <see cref="DuplicateGroupNameException"/> if the name is taken.</summary>
    Task InsertGroupAsync(ProviderGroupRecord group, CancellationToken cancellationToken);
    /// <summary>Replaces a group's name, providers and failover setting; false if it does not exist. Throws <see cref="DuplicateGroupNameException"/> if the name is taken.</summary>
    Task<bool> UpdateGroupAsync(ProviderGroupRecord group, CancellationToken cancellationToken);
    /// <summary>Removes a group; messages already sent to it keep their current provider. False if it did not exist.</summary>
    Task<bool> DeleteGroupAsync(string id, CancellationToken cancellationToken);
    /// <summary>The groups that list <paramref name="providerId"/>, by name.</summary>
    Task<IReadOnlyList<ProviderGroupRecord>> GroupsUsingProviderAsync(string providerId, CancellationToken cancellationToken);
}

/// <summary>A provider group's name is already used by another group.</summary>
public sealed class DuplicateGroupNameException(string name)
    : Exception($"A provider group named '{name}' already exists; group names are unique (case-insensitive).")
{
    /// <summary>The name.</summary>
    public string Name { get; } = name;
}
