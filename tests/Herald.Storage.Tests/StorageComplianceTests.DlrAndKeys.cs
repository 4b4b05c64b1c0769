using Herald.Storage.Tests.Infrastructure;
using System.Data.Common;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    private DlrInboxItem NewReport(string providerId, string body) => new()
    {
        ProviderId = providerId,
        ReceivedAt = Time.GetUtcNow(),
        Method = "POST",
        ContentType = "application/x-www-form-urlencoded",
        Body = body,
        Query = "?sid=HXIN1&status=DELIVRD",
    };

    [Fact]
    public async Task DlrStoreAsync_Report_ReturnsIncreasingIdsAndRoundTrips()
    {
        var provider = $"prv_{Unique()}";
        var first = NewReport(provider, "id=KL-1&status=DELIVRD&note=ünï ✓") with
        {
            ReceivedAt = new DateTimeOffset(2025, 6, 7, 8, 9, 10, 456, TimeSpan.Zero),
        };
        var second = NewReport(provider, "") with { Method = "GET", ContentType = null, Query = "" };

        var firstId = await Db.DlrInbox.StoreAsync(first, Ct);
        var secondId = await Db.DlrInbox.StoreAsync(second, Ct);

        Assert.True(firstId > 0);
        Assert.True(secondId > firstId);
        var recent = await Db.DlrInbox.RecentAsync(provider, 10, Ct);
        Assert.Equal([second with { Id = secondId }, first with { Id = firstId }], recent);
    }

    [Fact]
    public async Task DlrPurgeAsync_ReportsPastRetention_DeletedInBatchesNewerKept()
    {
        var provider = $"prv_{Unique()}";
        var old = NewReport(provider, "old") with { ReceivedAt = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        for (var i = 0; i < 3; i++)
        {
            await Db.DlrInbox.StoreAsync(old, Ct);
        }
        var keptId = await Db.DlrInbox.StoreAsync(NewReport(provider, "new"), Ct);
        var before = new DateTimeOffset(2002, 1, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(2, await Db.DlrInbox.PurgeAsync(before, 2, Ct));
        Assert.Equal(1, await Db.DlrInbox.PurgeAsync(before, 2, Ct));
        Assert.Equal(0, await Db.DlrInbox.PurgeAsync(before, 2, Ct));

        Assert.Equal([keptId], (await Db.DlrInbox.RecentAsync(provider, 10, Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task DlrPendingAsync_UnprocessedReports_OldestFirstUntilMarkedProcessed()
    {
        var provider = $"prv_{Unique()}";
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Db.DlrInbox.StoreAsync(NewReport(provider, $"report {i}"), Ct));
        }

        async Task<List<long>> MinePending() =>
            [.. (await Db.DlrInbox.PendingAsync(10_000, Ct)).Where(r => r.ProviderId == provider).Select(r => r.Id)];

        Assert.Equal(ids, await MinePending());
        Assert.All(await Db.DlrInbox.PendingAsync(10_000, Ct), r => Assert.Null(r.ProcessedAt));

        Time.Advance(TimeSpan.FromSeconds(3));
        await Db.DlrInbox.MarkProcessedAsync(ids[1], """{"status":"success","processed":1,"unprocessed":0}""", Ct);

        Assert.Equal([ids[0], ids[2]], await MinePending());
        var processed = Assert.Single(await Db.DlrInbox.RecentAsync(provider, 10, Ct), r => r.Id == ids[1]);
        Assert.Equal(Time.GetUtcNow(), processed.ProcessedAt);
        Assert.Equal("""{"status":"success","processed":1,"unprocessed":0}""", processed.Result);
    }

    [Fact]
    public async Task DlrDeleteAppliedAsync_InTheApplyingBatch_RowGoneOthersUntouched()
    {
        var provider = $"prv_{Unique()}";
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Db.DlrInbox.StoreAsync(NewReport(provider, $"report {i}"), Ct));
        }

        await using (var batch = await Db.DlrInbox.BeginBatchAsync(Ct))
        {
            await batch.MarkProcessedAsync([(ids[0], """{"status":"fail","processed":0,"unprocessed":[]}""")], Ct);
            await batch.DeleteAppliedAsync([ids[1]], Ct);
            await batch.CommitAsync(Ct);
        }

        // The one kept is processed, the one not kept is gone, the third is still waiting to be applied.
        Assert.Equal([ids[2], ids[0]], (await Db.DlrInbox.RecentAsync(provider, 10, Ct)).Select(r => r.Id));
        Assert.Equal([ids[2]], (await Db.DlrInbox.PendingAsync(10_000, Ct)).Where(r => r.ProviderId == provider).Select(r => r.Id));
    }

    [Fact]
    public async Task DlrDeleteAppliedAsync_BatchNotCommitted_RowStays()
    {
        var provider = $"prv_{Unique()}";
        var id = await Db.DlrInbox.StoreAsync(NewReport(provider, "report"), Ct);

        await using (var batch = await Db.DlrInbox.BeginBatchAsync(Ct))
        {
            await batch.DeleteAppliedAsync([id], Ct);
        }

        Assert.Equal([id], (await Db.DlrInbox.PendingAsync(10_000, Ct)).Where(r => r.ProviderId == provider).Select(r => r.Id));
    }

    [Fact]
    public async Task DlrPendingAsync_Limit_ReturnsTheOldest()
    {
        var pending = await Db.DlrInbox.PendingAsync(10_000, Ct);
        foreach (var item in pending)
        {
            await Db.DlrInbox.MarkProcessedAsync(item.Id, "{}", Ct);
        }
        var provider = $"prv_{Unique()}";
        var ids = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await Db.DlrInbox.StoreAsync(NewReport(provider, $"r{i}"), Ct));
        }

        Assert.Equal(ids.Take(2), (await Db.DlrInbox.PendingAsync(2, Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task DlrRecentAsync_ByProviderOrAll_NewestFirstWithinLimit()
    {
        var providerA = $"prv_{Unique()}";
        var providerB = $"prv_{Unique()}";
        var a1 = await Db.DlrInbox.StoreAsync(NewReport(providerA, "a1"), Ct);
        var b1 = await Db.DlrInbox.StoreAsync(NewReport(providerB, "b1"), Ct);
        var a2 = await Db.DlrInbox.StoreAsync(NewReport(providerA, "a2"), Ct);
        var a3 = await Db.DlrInbox.StoreAsync(NewReport(providerA, "a3"), Ct);

        Assert.Equal([a3, a2, a1], (await Db.DlrInbox.RecentAsync(providerA, 10, Ct)).Select(r => r.Id));
        Assert.Equal([a3, a2], (await Db.DlrInbox.RecentAsync(providerA, 2, Ct)).Select(r => r.Id));
        Assert.Equal([b1], (await Db.DlrInbox.RecentAsync(providerB, 10, Ct)).Select(r => r.Id));
        Assert.Equal([a3, a2, b1], (await Db.DlrInbox.RecentAsync(null, 3, Ct)).Select(r => r.Id));
        Assert.Empty(await Db.DlrInbox.RecentAsync($"prv_{Unique()}", 10, Ct));
    }

    [Fact]
    public async Task DlrListAfterAsync_ByProviderOrAll_OldestFirstAfterTheIdWithinLimit()
    {
        var providerA = $"prv_{Unique()}";
        var providerB = $"prv_{Unique()}";
        var a1 = await Db.DlrInbox.StoreAsync(NewReport(providerA, "a1"), Ct);
        var b1 = await Db.DlrInbox.StoreAsync(NewReport(providerB, "b1"), Ct);
        var a2 = await Db.DlrInbox.StoreAsync(NewReport(providerA, "a2"), Ct);
        var a3 = await Db.DlrInbox.StoreAsync(NewReport(providerA, "a3"), Ct);

        Assert.Equal([a1, a2, a3], (await Db.DlrInbox.ListAfterAsync(providerA, 0, 10, Ct)).Select(r => r.Id));
        Assert.Equal([a2, a3], (await Db.DlrInbox.ListAfterAsync(providerA, a1, 10, Ct)).Select(r => r.Id));
        Assert.Equal([a2], (await Db.DlrInbox.ListAfterAsync(providerA, a1, 1, Ct)).Select(r => r.Id));
        Assert.Empty(await Db.DlrInbox.ListAfterAsync(providerA, a3, 10, Ct));
        Assert.Equal([b1, a2, a3], (await Db.DlrInbox.ListAfterAsync(null, a1, 10, Ct)).Select(r => r.Id));
        Assert.Equal([b1], (await Db.DlrInbox.ListAfterAsync(providerB, 0, 10, Ct)).Select(r => r.Id));
        Assert.Empty(await Db.DlrInbox.ListAfterAsync($"prv_{Unique()}", 0, 10, Ct));
        var item = Assert.Single(await Db.DlrInbox.ListAfterAsync(providerA, a2, 1, Ct));
        Assert.Equal(NewReport(providerA, "a3") with { Id = a3, ReceivedAt = item.ReceivedAt }, item);
    }

    // ---------------------------------------------------------------- API keys

    private ApiKeyRecord NewKey(string name)
    {
        Time.Advance(TimeSpan.FromSeconds(1));
        return new ApiKeyRecord
        {
            Id = $"key_{Unique()}",
            Name = name,
            Prefix = $"hk_{Unique()[..6]}",
            Hash = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            CreatedAt = Time.GetUtcNow(),
        };
    }

    [Fact]
    public async Task ApiKeysInsertAsync_NewKey_FindActiveByHashReturnsIt()
    {
        var key = NewKey("ci pipeline ✓");

        await Db.ApiKeys.InsertAsync(key, Ct);

        Assert.Equal(key, await Db.ApiKeys.FindActiveByHashAsync(key.Hash, Ct));
        Assert.Null(await Db.ApiKeys.FindActiveByHashAsync(key.Hash.ToUpperInvariant(), Ct));
        Assert.Null(await Db.ApiKeys.FindActiveByHashAsync(new string('0', 64), Ct));
    }

    [Fact]
    public async Task ApiKeysInsertAsync_AlreadyRevokedKey_StaysRevoked()
    {
        var key = NewKey("imported, revoked") with { RevokedAt = new DateTimeOffset(2024, 12, 31, 23, 59, 59, 999, TimeSpan.Zero) };

        await Db.ApiKeys.InsertAsync(key, Ct);

        Assert.Null(await Db.ApiKeys.FindActiveByHashAsync(key.Hash, Ct));
        Assert.Equal(key, Assert.Single(await Db.ApiKeys.ListAsync(Ct), k => k.Id == key.Id));
        Assert.False(await Db.ApiKeys.RevokeAsync(key.Id, Time.GetUtcNow(), Ct));
    }

    [Fact]
    public async Task ApiKeysInsertAsync_SameHashTwice_Throws()
    {
        var key = NewKey("first");
        await Db.ApiKeys.InsertAsync(key, Ct);

        await Assert.ThrowsAnyAsync<DbException>(() => Db.ApiKeys.InsertAsync(NewKey("second") with { Hash = key.Hash }, Ct));
    }

    [Fact]
    public async Task ApiKeysRevokeAsync_ActiveKey_NoLongerFoundAndListedAsRevoked()
    {
        var key = NewKey("to revoke");
        await Db.ApiKeys.InsertAsync(key, Ct);
        var at = new DateTimeOffset(2025, 7, 8, 9, 10, 11, 12, TimeSpan.Zero);

        Assert.True(await Db.ApiKeys.RevokeAsync(key.Id, at, Ct));
        Assert.False(await Db.ApiKeys.RevokeAsync(key.Id, at.AddDays(1), Ct));
        Assert.False(await Db.ApiKeys.RevokeAsync($"key_{Unique()}", at, Ct));

        Assert.Null(await Db.ApiKeys.FindActiveByHashAsync(key.Hash, Ct));
        Assert.Equal(key with { RevokedAt = at }, Assert.Single(await Db.ApiKeys.ListAsync(Ct), k => k.Id == key.Id));
    }

    [Fact]
    public async Task ApiKeysRestoreAsync_RevokedKey_FoundAgainAndOnlyOnce()
    {
        var key = NewKey("restored");
        await Db.ApiKeys.InsertAsync(key, Ct);
        await Db.ApiKeys.RevokeAsync(key.Id, Time.GetUtcNow(), Ct);

        Assert.True(await Db.ApiKeys.RestoreAsync(key.Id, Ct));
        Assert.False(await Db.ApiKeys.RestoreAsync(key.Id, Ct));
        Assert.False(await Db.ApiKeys.RestoreAsync($"key_{Unique()}", Ct));

        Assert.Equal(key, await Db.ApiKeys.FindActiveByHashAsync(key.Hash, Ct));
    }

    [Fact]
    public async Task ApiKeysListAsync_SeveralKeys_NewestFirstIncludingRevoked()
    {
        var oldest = NewKey("oldest");
        var middle = NewKey("middle");
        var newest = NewKey("newest");
        await Db.ApiKeys.InsertAsync(middle, Ct);
        await Db.ApiKeys.InsertAsync(newest, Ct);
        await Db.ApiKeys.InsertAsync(oldest, Ct);
        await Db.ApiKeys.RevokeAsync(middle.Id, Time.GetUtcNow(), Ct);

        var mine = (await Db.ApiKeys.ListAsync(Ct)).Where(k => k.Id == oldest.Id || k.Id == middle.Id || k.Id == newest.Id).ToList();

        Assert.Equal([newest.Id, middle.Id, oldest.Id], mine.Select(k => k.Id));
        Assert.NotNull(mine[1].RevokedAt);
    }
}
