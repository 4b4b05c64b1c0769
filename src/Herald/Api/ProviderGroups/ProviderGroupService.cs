using Herald.Core;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.ProviderGroups;

/// <summary>A provider group as the API shows it: its providers in failover order.</summary>
public sealed record ProviderGroupView(
    string Id,
    string Name,
    IReadOnlyList<ProviderGroupMemberView> Providers,
    int FailoverAfterAttempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : Audit.IAudited
{
    string Audit.IAudited.AuditSummary =>
        $"provider group '{Name}': {string.Join(", ", Providers.Select(p => p.Nickname ?? p.Id))}, failover after {FailoverAfterAttempts} attempt(s)";
}

/// <summary>One provider of a group.</summary>
public sealed record ProviderGroupMemberView(string Id, string? Nickname);

/// <summary>The body of POST/PUT /api/v1/provider-groups: providers by id or nickname, first tried first.</summary>
public sealed record ProviderGroupInput(string? Name, List<string>? Providers, int? FailoverAfterAttempts = null);

/// <summary>The result of a create or update: the group, or the errors by field.</summary>
internal sealed record ProviderGroupChange(ProviderGroupView? Group, IReadOnlyDictionary<string, string[]>? Errors, bool NotFound = false);

/// <summary>Provider groups: validation and storage.</summary>
internal sealed class ProviderGroupService(IProviderGroupStore store, IProviderStore providers, TimeProvider time)
{
    /// <summary>Default number of transient failures on one provider before a message moves to the next.</summary>
    public const int DefaultFailoverAfter = 2;
    /// <summary>Most providers in one group.</summary>
    public const int MaxProviders = 20;
    /// <summary>Largest allowed failover-after value.</summary>
    public const int MaxFailoverAfter = 100;

    public async Task<IReadOnlyList<ProviderGroupView>> ListAsync(CancellationToken cancellationToken)
    {
        var all = await providers.ListAsync(cancellationToken);
        return (await store.ListGroupsAsync(cancellationToken)).Select(g => View(g, all)).ToList();
    }

    public async Task<ProviderGroupView?> GetAsync(string idOrName, CancellationToken cancellationToken) =>
        await store.FindGroupAsync(idOrName, cancellationToken) is { } group ? View(group, await providers.ListAsync(cancellationToken)) : null;

    public async Task<ProviderGroupChange> CreateAsync(ProviderGroupInput input, CancellationToken cancellationToken)
    {
        var all = await providers.ListAsync(cancellationToken);
        var (ids, errors) = Validate(input, all);
        if (errors.Count > 0)
        {
            return new ProviderGroupChange(null, errors);
        }
        var now = time.GetUtcNow();
        var record = new ProviderGroupRecord
        {
            Id = Ids.NewId("grp"), Name = input.Name!.Trim(), ProviderIds = ids,
            FailoverAfterAttempts = input.FailoverAfterAttempts ?? DefaultFailoverAfter, CreatedAt = now, UpdatedAt = now,
        };
        try
        {
            await store.InsertGroupAsync(record, cancellationToken);
        }
        catch (DuplicateGroupNameException ex)
        {
            return NameTaken(ex);
        }
        return new ProviderGroupChange(View(record, all), null);
    }

    public async Task<ProviderGroupChange> UpdateAsync(string idOrName, ProviderGroupInput input, CancellationToken cancellationToken)
    {
        var existing = await store.FindGroupAsync(idOrName, cancellationToken);
        if (existing is null)
        {
            return new ProviderGroupChange(null, null, NotFound: true);
        }
        var all = await providers.ListAsync(cancellationToken);
        var (ids, errors) = Validate(input, all);
        if (errors.Count > 0)
        {
            return new ProviderGroupChange(null, errors);
        }
        var record = existing with
        {
            Name = input.Name!.Trim(), ProviderIds = ids, UpdatedAt = time.GetUtcNow(),
            FailoverAfterAttempts = input.FailoverAfterAttempts ?? existing.FailoverAfterAttempts,
        };
        try
        {
            await store.UpdateGroupAsync(record, cancellationToken);
        }
        catch (DuplicateGroupNameException ex)
        {
            return NameTaken(ex);
        }
        return new ProviderGroupChange(View(record, all), null);
    }

    /// <summary>Removes a group; messages already sent to it stay on their current provider and stop failing over.</summary>
    public async Task<bool> DeleteAsync(string idOrName, CancellationToken cancellationToken) =>
        await store.FindGroupAsync(idOrName, cancellationToken) is { } existing && await store.DeleteGroupAsync(existing.Id, cancellationToken);

    private static ProviderGroupChange NameTaken(DuplicateGroupNameException ex) =>
        new(null, new Dictionary<string, string[]> { ["name"] = [ex.Message + " Choose another name."] });

    private static (List<string> Ids, Dictionary<string, string[]> Errors) Validate(ProviderGroupInput input, IReadOnlyList<ProviderRecord> all)
    {
        var errors = new Dictionary<string, string[]>();
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors["name"] = ["name is required: a unique name such as otp-route."];
        }
        else if (name.Length > 64)
        {
            errors["name"] = ["name is at most 64 characters."];
        }
        if (input.FailoverAfterAttempts is < 1 or > MaxFailoverAfter)
        {
            errors["failoverAfterAttempts"] = [$"failoverAfterAttempts must be between 1 and {MaxFailoverAfter}: how many transient failures on one provider move a message to the next (default {DefaultFailoverAfter})."];
        }
        return (ResolveProviders(input.Providers, all, errors), errors);
    }

    private static List<string> ResolveProviders(List<string>? keys, IReadOnlyList<ProviderRecord> all, Dictionary<string, string[]> errors)
    {
        var ids = new List<string>();
        if (keys is not { Count: > 0 })
        {
            errors["providers"] = ["providers must list at least one provider (id or nickname), in failover order: the first is tried first."];
            return ids;
        }
        if (keys.Count > MaxProviders)
        {
            errors["providers"] = [$"A group holds at most {MaxProviders} providers; this one lists {keys.Count}."];
            return ids;
        }
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i]?.Trim() ?? "";
            var provider = all.FirstOrDefault(p => p.Id == key) ?? all.FirstOrDefault(p => string.Equals(p.Nickname, key, StringComparison.OrdinalIgnoreCase));
            if (provider is null)
            {
                errors[$"providers[{i}]"] = [$"No provider has the id or nickname '{key}'."];
            }
            else if (ids.Contains(provider.Id))
            {
                errors[$"providers[{i}]"] = [$"The provider {provider.Nickname} is listed twice; list each provider once."];
            }
            else
            {
                ids.Add(provider.Id);
            }
        }
        return ids;
    }

    private static ProviderGroupView View(ProviderGroupRecord group, IReadOnlyList<ProviderRecord> all) =>
        new(group.Id, group.Name,
            group.ProviderIds.Select(id => new ProviderGroupMemberView(id, all.FirstOrDefault(p => p.Id == id)?.Nickname)).ToList(),
            group.FailoverAfterAttempts, group.CreatedAt, group.UpdatedAt);
}
