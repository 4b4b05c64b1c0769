using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    private ProviderGroupRecord NewGroup(string name, params string[] providerIds) => new()
    {
        Id = $"grp_{Unique()}",
        Name = $"{name}-{Unique()}",
        ProviderIds = providerIds,
        FailoverAfterAttempts = 3,
        CreatedAt = Time.GetUtcNow(),
        UpdatedAt = Time.GetUtcNow(),
    };

    [Fact]
    public async Task GroupsInsertAsync_NewGroup_FindByIdOrNameKeepsOrder()
    {
        var group = NewGroup("Primary-Then-Backup", "prv_b", "prv_a", "prv_c");

        await Db.ProviderGroups.InsertGroupAsync(group, Ct);

        foreach (var key in new[] { group.Id, group.Name.ToUpperInvariant(), $" {group.Name.ToLowerInvariant()} " })
        {
            var found = await Db.ProviderGroups.FindGroupAsync(key, Ct);
            Assert.NotNull(found);
            Assert.Equal(group.Id, found.Id);
            Assert.Equal(group.Name, found.Name);
            Assert.Equal(["prv_b", "prv_a", "prv_c"], found.ProviderIds);
            Assert.Equal(3, found.FailoverAfterAttempts);
            Assert.Equal(group.CreatedAt, found.CreatedAt);
        }
        Assert.Null(await Db.ProviderGroups.FindGroupAsync($"nobody-{Unique()}", Ct));
    }

    [Fact]
    public async Task GroupsInsertAsync_NameTakenInAnotherCase_ThrowsDuplicateGroupName()
    {
        var group = NewGroup("taken", "prv_a");
        await Db.ProviderGroups.InsertGroupAsync(group, Ct);

        var ex = await Assert.ThrowsAsync<DuplicateGroupNameException>(() =>
            Db.ProviderGroups.InsertGroupAsync(NewGroup("x", "prv_a") with { Name = group.Name.ToUpperInvariant() }, Ct));
        Assert.Equal(group.Name.ToUpperInvariant(), ex.Name);
    }

    [Fact]
    public async Task GroupsUpdateAndDelete_ExistingGroup_ChangeIt()
    {
        var group = NewGroup("edit", "prv_a", "prv_b");
        var other = NewGroup("other", "prv_a");
        await Db.ProviderGroups.InsertGroupAsync(group, Ct);
        await Db.ProviderGroups.InsertGroupAsync(other, Ct);

        Assert.True(await Db.ProviderGroups.UpdateGroupAsync(group with { ProviderIds = ["prv_c", "prv_a"], FailoverAfterAttempts = 1 }, Ct));
        var updated = await Db.ProviderGroups.FindGroupAsync(group.Id, Ct);
        Assert.Equal(["prv_c", "prv_a"], updated!.ProviderIds);
        Assert.Equal(1, updated.FailoverAfterAttempts);
        await Assert.ThrowsAsync<DuplicateGroupNameException>(() => Db.ProviderGroups.UpdateGroupAsync(group with { Name = other.Name }, Ct));
        Assert.False(await Db.ProviderGroups.UpdateGroupAsync(NewGroup("missing", "prv_a"), Ct));

        Assert.Contains(await Db.ProviderGroups.GroupsUsingProviderAsync("prv_c", Ct), g => g.Id == group.Id);
        Assert.DoesNotContain(await Db.ProviderGroups.GroupsUsingProviderAsync("prv_b", Ct), g => g.Id == group.Id);

        Assert.True(await Db.ProviderGroups.DeleteGroupAsync(group.Id, Ct));
        Assert.False(await Db.ProviderGroups.DeleteGroupAsync(group.Id, Ct));
        Assert.Null(await Db.ProviderGroups.FindGroupAsync(group.Id, Ct));
        Assert.Contains(await Db.ProviderGroups.ListGroupsAsync(Ct), g => g.Id == other.Id);
    }

    [Fact]
    public async Task QueueCompleteAsync_SwitchToAnotherProvider_MovesTheMessageAndResetsItsProviderAttempts()
    {
        var primary = NewProvider("primary");
        var backup = NewProvider("backup");
        await Db.Providers.InsertAsync(primary, Ct);
        await Db.Providers.InsertAsync(backup, Ct);
        var group = NewGroup("failover", primary.Id, "prv_removed", backup.Id);
        await Db.ProviderGroups.InsertGroupAsync(group, Ct);
        var message = NewMessage(m => m with { ProviderId = primary.Id, ProviderNickname = primary.Nickname, ProviderGroupId = group.Id });
        await Db.Queue.EnqueueAsync([(message, new DispatchInfo(0, Time.GetUtcNow(), null, "gsm7", 1))], null, Ct);

        var claimed = Assert.Single(await Db.Queue.ClaimAsync(1000, "test", TimeSpan.FromMinutes(1), Ct), c => c.Message.Id == message.Id);
        Assert.Equal(1, claimed.Message.ProviderAttempts);
        Assert.Equal(group.Id, claimed.Message.ProviderGroupId);
        Assert.NotNull(claimed.Group);
        Assert.Equal([new GroupMember(primary.Id, primary.Nickname), new GroupMember(backup.Id, backup.Nickname)], claimed.Group.Providers);
        Assert.Equal(3, claimed.Group.FailoverAfterAttempts);

        await Db.Queue.CompleteAsync([new DispatchCompletion(message.Id, new StateChange
        {
            Proposed = DeliveryState.Queued, Source = "provider-response", Event = "transient-failure", Note = "HTTP 503",
        }, Time.GetUtcNow(), new ProviderSwitch(backup.Id, backup.Nickname, $"moved from {primary.Nickname} to {backup.Nickname}"))], Ct);

        var stored = await Db.Messages.GetAsync(message.Id, Ct);
        Assert.Equal(backup.Id, stored!.ProviderId);
        Assert.Equal(backup.Nickname, stored.ProviderNickname);
        Assert.Equal(0, stored.ProviderAttempts);
        Assert.Equal(1, stored.Attempts);
        Assert.Equal(DeliveryState.Queued, stored.Status);
        var events = await Db.Messages.GetEventsAsync(message.Id, Ct);
        Assert.Equal(["queued", "dispatching", "transient-failure", "failover"], events.Select(e => e.Event));
        Assert.Contains($"through {primary.Nickname} ({primary.Id})", events[1].Note, StringComparison.Ordinal);
        Assert.Equal($"moved from {primary.Nickname} to {backup.Nickname}", events[3].Note);

        var again = Assert.Single(await Db.Queue.ClaimAsync(1000, "test", TimeSpan.FromMinutes(1), Ct), c => c.Message.Id == message.Id);
        Assert.Equal(1, again.Message.ProviderAttempts);
        Assert.Equal(2, again.Message.Attempts);
        Assert.Contains($"attempt 2 through {backup.Nickname} ({backup.Id})", (await Db.Messages.GetEventsAsync(message.Id, Ct))[^1].Note, StringComparison.Ordinal);
    }
}
