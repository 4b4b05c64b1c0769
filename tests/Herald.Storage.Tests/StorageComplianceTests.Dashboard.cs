using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    // ---------------------------------------------------------------- dashboard users

    private DashboardUserRecord NewUser(string name) => new()
    {
        Id = $"usr_{Unique()}",
        Username = $"{name}-{Unique()}",
        PasswordHash = "AQAAAAIAAYagAAAAE" + Unique(),
        CreatedAt = Time.GetUtcNow(),
    };

    [Fact]
    public async Task DashboardUsersInsertAsync_NewUser_FoundByIdAndByNameIgnoringCase()
    {
        var user = NewUser("Zoë Admin");

        Assert.True(await Db.DashboardUsers.InsertAsync(user, Ct));

        Assert.Equal(user, await Db.DashboardUsers.FindByIdAsync(user.Id, Ct));
        Assert.Equal(user, await Db.DashboardUsers.FindByUsernameAsync(user.Username.ToUpperInvariant(), Ct));
        Assert.Equal(user, await Db.DashboardUsers.FindByUsernameAsync($"  {user.Username} ", Ct));
        Assert.Null(await Db.DashboardUsers.FindByUsernameAsync($"nobody-{Unique()}", Ct));
        Assert.Null(await Db.DashboardUsers.FindByIdAsync($"usr_{Unique()}", Ct));
    }

    [Fact]
    public async Task DashboardUsersRotateSecurityStampAsync_KnownUser_StampReadBack()
    {
        var user = NewUser($"stamp-{Unique()}");
        await Db.DashboardUsers.InsertAsync(user, Ct);

        Assert.True(await Db.DashboardUsers.RotateSecurityStampAsync(user.Id, "stamp-2", Ct));
        Assert.False(await Db.DashboardUsers.RotateSecurityStampAsync($"usr_{Unique()}", "stamp-3", Ct));

        Assert.Equal(user with { SecurityStamp = "stamp-2" }, await Db.DashboardUsers.FindByIdAsync(user.Id, Ct));
    }

    [Fact]
    public async Task DashboardUsersInsertAsync_NameTakenInAnotherCase_ReturnsFalseAndKeepsTheFirst()
    {
        var user = NewUser("ops");
        await Db.DashboardUsers.InsertAsync(user, Ct);

        var again = NewUser("other") with { Username = user.Username.ToUpperInvariant() };

        Assert.False(await Db.DashboardUsers.InsertAsync(again, Ct));
        Assert.Equal(user, await Db.DashboardUsers.FindByUsernameAsync(user.Username, Ct));
        Assert.Null(await Db.DashboardUsers.FindByIdAsync(again.Id, Ct));
    }

    [Fact]
    public async Task DashboardUsersInsertFirstAsync_EmptyThenTaken_OnlyTheFirstIsStored()
    {
        var database = Fixture.Open(await Fixture.NewDatabaseAsync(Ct));
        await database.Database.MigrateAsync(Ct);
        Assert.Equal(0, await database.DashboardUsers.CountAsync(Ct));

        var first = NewUser("admin");
        var second = NewUser("intruder");

        Assert.True(await database.DashboardUsers.InsertFirstAsync(first, Ct));
        Assert.False(await database.DashboardUsers.InsertFirstAsync(second, Ct));

        Assert.Equal(1, await database.DashboardUsers.CountAsync(Ct));
        Assert.Equal(first, await database.DashboardUsers.FindByIdAsync(first.Id, Ct));
        Assert.Null(await database.DashboardUsers.FindByIdAsync(second.Id, Ct));
    }

    [Fact]
    public async Task DashboardUsersInsertFirstAsync_ManyAtOnce_ExactlyOneWins()
    {
        var database = Fixture.Open(await Fixture.NewDatabaseAsync(Ct));
        await database.Database.MigrateAsync(Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => database.DashboardUsers.InsertFirstAsync(NewUser($"admin{i}"), Ct)));

        Assert.Single(results, r => r);
        Assert.Equal(1, await database.DashboardUsers.CountAsync(Ct));
    }

    [Fact]
    public async Task DashboardUsersUpdatePasswordHashAndRecordSignIn_ExistingUser_Stored()
    {
        var user = NewUser("rotating");
        await Db.DashboardUsers.InsertAsync(user, Ct);
        var at = new DateTimeOffset(2025, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);

        Assert.True(await Db.DashboardUsers.UpdatePasswordHashAsync(user.Id, "new-hash", Ct));
        await Db.DashboardUsers.RecordSignInAsync(user.Id, at, Ct);

        Assert.Equal(user with { PasswordHash = "new-hash", LastSignInAt = at }, await Db.DashboardUsers.FindByIdAsync(user.Id, Ct));
        Assert.False(await Db.DashboardUsers.UpdatePasswordHashAsync($"usr_{Unique()}", "x", Ct));
    }

    // ---------------------------------------------------------------- message stats

    /// <summary>A message of <paramref name="providerId"/> taken through queued → accepted (→ <paramref name="final"/>), the clock moving between steps.</summary>
    private async Task<MessageRecord> MessageThroughAsync(string providerId, DeliveryState? final, TimeSpan acceptedToFinal)
    {
        var message = await InsertMessageAsync(m => m with { ProviderId = providerId });
        Time.Advance(TimeSpan.FromMilliseconds(10));
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Accepted, "provider-response"), Ct);
        if (final is { } state)
        {
            Time.Advance(acceptedToFinal);
            await Db.Messages.TransitionAsync(message.Id, Change(state) with { Note = $"code 906: {state}" }, Ct);
            // A repeated report is ignored and must not move the final time.
            Time.Advance(TimeSpan.FromSeconds(30));
            await Db.Messages.TransitionAsync(message.Id, Change(state), Ct);
        }
        return message;
    }

    [Fact]
    public async Task StatsCountByStateAsync_MessagesSince_CountsPerProviderAndState()
    {
        var a = $"prv_{Unique()}";
        var b = $"prv_{Unique()}";
        await InsertMessageAsync(m => m with { ProviderId = a }); // before the window
        Time.Advance(TimeSpan.FromMinutes(1));
        var since = Time.GetUtcNow();
        await MessageThroughAsync(a, DeliveryState.Delivered, TimeSpan.FromSeconds(1));
        await MessageThroughAsync(a, DeliveryState.Delivered, TimeSpan.FromSeconds(1));
        await MessageThroughAsync(a, DeliveryState.Failed, TimeSpan.FromSeconds(1));
        await MessageThroughAsync(b, null, TimeSpan.Zero);

        var forA = await Db.Stats.CountByStateAsync(a, since, Ct);
        var all = (await Db.Stats.CountByStateAsync(null, since, Ct)).Where(c => c.ProviderId == a || c.ProviderId == b);

        Assert.Equal(
            [new ProviderStateCount(a, DeliveryState.Delivered, 2), new ProviderStateCount(a, DeliveryState.Failed, 1)],
            forA.OrderBy(c => c.State));
        Assert.Equal(
            [new ProviderStateCount(a, DeliveryState.Delivered, 2), new ProviderStateCount(a, DeliveryState.Failed, 1), new ProviderStateCount(b, DeliveryState.Accepted, 1)],
            all.OrderBy(c => c.ProviderId == a ? 0 : 1).ThenBy(c => c.State));
    }

    [Fact]
    public async Task StatsHourlyAsync_MessagesInTwoHours_BucketsByCreationHour()
    {
        var provider = $"prv_{Unique()}";
        var start = Time.GetUtcNow();
        var hour = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, 0, 0, TimeSpan.Zero).AddHours(2);
        Time.Advance(hour - start + TimeSpan.FromMinutes(5));
        await MessageThroughAsync(provider, DeliveryState.Delivered, TimeSpan.FromSeconds(1));
        await MessageThroughAsync(provider, DeliveryState.Undelivered, TimeSpan.FromSeconds(1));
        Time.Advance(TimeSpan.FromHours(1));
        await MessageThroughAsync(provider, DeliveryState.Delivered, TimeSpan.FromSeconds(1));

        var hourly = await Db.Stats.HourlyAsync(provider, hour, Ct);

        Assert.Equal(
        [
            new HourlyStateCount(hour, DeliveryState.Delivered, 1),
            new HourlyStateCount(hour, DeliveryState.Undelivered, 1),
            new HourlyStateCount(hour.AddHours(1), DeliveryState.Delivered, 1),
        ], hourly);
        Assert.Empty(await Db.Stats.HourlyAsync(provider, hour.AddHours(2), Ct));
    }

    [Fact]
    public async Task StatsDeliveryLatenciesAsync_FinalMessages_AcceptedToFirstAppliedFinalReport()
    {
        var provider = $"prv_{Unique()}";
        var since = Time.GetUtcNow();
        var fast = await MessageThroughAsync(provider, DeliveryState.Delivered, TimeSpan.FromMilliseconds(250));
        var slow = await MessageThroughAsync(provider, DeliveryState.Failed, TimeSpan.FromSeconds(4));
        await MessageThroughAsync(provider, null, TimeSpan.Zero); // accepted, no report yet
        var neverAccepted = await InsertMessageAsync(m => m with { ProviderId = provider });
        await Db.Messages.TransitionAsync(neverAccepted.Id, Change(DeliveryState.Failed, "provider-response", "permanent-failure"), Ct);

        var latencies = await Db.Stats.DeliveryLatenciesAsync(provider, since, 100, Ct);

        Assert.Equal([slow.Id, fast.Id], latencies.Select(l => l.MessageId));
        Assert.Equal(TimeSpan.FromSeconds(4), latencies[0].FinalAt - latencies[0].AcceptedAt);
        Assert.Equal(DeliveryState.Failed, latencies[0].FinalState);
        Assert.Equal(TimeSpan.FromMilliseconds(250), latencies[1].FinalAt - latencies[1].AcceptedAt);
        Assert.Equal([slow.Id], (await Db.Stats.DeliveryLatenciesAsync(provider, since, 1, Ct)).Select(l => l.MessageId));
    }

    [Fact]
    public async Task StatsRecentFailuresAsync_FailedSendsAndReports_NewestFirstForTheProvider()
    {
        var provider = $"prv_{Unique()}";
        var reported = await MessageThroughAsync(provider, DeliveryState.Undelivered, TimeSpan.FromSeconds(1));
        await MessageThroughAsync(provider, DeliveryState.Delivered, TimeSpan.FromSeconds(1));
        await MessageThroughAsync($"prv_{Unique()}", DeliveryState.Failed, TimeSpan.FromSeconds(1));
        var refused = await InsertMessageAsync(m => m with { ProviderId = provider });
        await Db.Messages.TransitionAsync(refused.Id,
            Change(DeliveryState.Failed, "provider-response", "permanent-failure") with { Note = "HTTP 401: invalid api key" }, Ct);

        var failures = await Db.Stats.RecentFailuresAsync(provider, 10, Ct);

        Assert.Equal([(refused.Id, "permanent-failure"), (reported.Id, "undelivered")], failures.Select(f => (f.MessageId, f.Event)));
        Assert.Equal("HTTP 401: invalid api key", failures[0].Note);
        Assert.Equal("provider-response", failures[0].Source);
        Assert.Single(await Db.Stats.RecentFailuresAsync(provider, 1, Ct));
    }

    [Fact]
    public async Task StatsWindowAsync_MessagesSince_DeliveredFailedPendingRateAndLatency()
    {
        var provider = $"prv_{Unique()}";
        await InsertMessageAsync(m => m with { ProviderId = provider }); // before the window
        Time.Advance(TimeSpan.FromMinutes(1));
        var since = Time.GetUtcNow();
        await MessageThroughAsync(provider, DeliveryState.Delivered, TimeSpan.FromSeconds(1));
        await MessageThroughAsync(provider, DeliveryState.Delivered, TimeSpan.FromSeconds(3));
        await MessageThroughAsync(provider, DeliveryState.Rejected, TimeSpan.FromSeconds(2));
        await MessageThroughAsync(provider, null, TimeSpan.Zero); // accepted, no report yet
        var refused = await InsertMessageAsync(m => m with { ProviderId = provider });
        await Db.Messages.TransitionAsync(refused.Id, Change(DeliveryState.Failed, "provider-response", "permanent-failure"), Ct);

        var window = await Db.Stats.WindowAsync(provider, since, Ct);
        var everyProvider = await Db.Stats.WindowsByProviderAsync(since, Ct);

        Assert.Equal((5L, 2L, 2L, 1L), (window.Total, window.Delivered, window.Failed, window.Pending));
        Assert.Equal(0.5, window.DeliveryRate);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)], window.Latencies);
        Assert.Equal(TimeSpan.FromSeconds(2), window.LatencyP50);
        Assert.Equal(TimeSpan.FromSeconds(3), window.LatencyP95);
        Assert.Equal((5L, 2L, 2L, 1L, 0.5), (everyProvider[provider].Total, everyProvider[provider].Delivered, everyProvider[provider].Failed,
            everyProvider[provider].Pending, everyProvider[provider].DeliveryRate));
        Assert.Equal(0, everyProvider[provider].LatencySamples);
    }

    [Fact]
    public async Task StatsCountByStatusAsync_ProviderOrCampaign_CountsEveryMessageByState()
    {
        var provider = $"prv_{Unique()}";
        var campaign = $"cmp_{Unique()}";
        await MessageThroughAsync(provider, DeliveryState.Delivered, TimeSpan.FromSeconds(1));
        await InsertMessageAsync(m => m with { ProviderId = provider, CampaignId = campaign });
        await InsertMessageAsync(m => m with { ProviderId = $"prv_{Unique()}", CampaignId = campaign });

        var forProvider = await Db.Stats.CountByStatusAsync(provider, null, Ct);
        var forCampaign = await Db.Stats.CountByStatusAsync(null, campaign, Ct);

        Assert.Equal(new Dictionary<string, long> { ["delivered"] = 1, ["queued"] = 1 }, forProvider);
        Assert.Equal(new Dictionary<string, long> { ["queued"] = 2 }, forCampaign);
    }
}
