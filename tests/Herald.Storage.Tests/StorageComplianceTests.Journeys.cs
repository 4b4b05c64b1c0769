using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    /// <summary>A published journey and <paramref name="count"/> instances of it waiting at "wait" until <paramref name="due"/>.</summary>
    private async Task<(HeraldDatabase Db, string Journey)> JourneyWithInstancesAsync(int count, DateTimeOffset due)
    {
        var db = await FreshDatabaseAsync();
        var journey = $"jrn_{Unique()}";
        await db.Journeys.CreateAsync(new JourneyRecord { Id = journey, Name = "J", Status = "draft", Draft = "{}", CreatedAt = Time.GetUtcNow() }, Ct);
        Assert.Equal(1, await db.Journeys.PublishAsync(journey, "J", "{}", ["added_to_cart", "checkout_completed"], Ct));
        var entries = Enumerable.Range(0, count)
            .Select(i => new JourneyEntry(journey, 1, $"ct_{i}", "cart", $"ct_{i}:1", $"m-{i}", "added_to_cart", "{\"cart_id\":\"c\"}", due))
            .ToList();
        Assert.Equal(count, await db.Journeys.ApplyEventsAsync(new JourneyEventOutcome([], [], due, entries, [], []), Ct));
        return (db, journey);
    }

    [Fact]
    public async Task JourneyClaimDueAsync_ConcurrentClaimers_NeverTakeTheSameInstance()
    {
        var (db, _) = await JourneyWithInstancesAsync(300, Time.GetUtcNow());

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(n => db.Journeys.ClaimDueAsync($"node-{n}", TimeSpan.FromMinutes(1), 100, Ct)));

        var ids = claims.SelectMany(c => c.Select(i => i.Instance.Id)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(300, ids.Count);
        Assert.Empty(await db.Journeys.ClaimDueAsync("node-5", TimeSpan.FromMinutes(1), 100, Ct));
        Time.Advance(TimeSpan.FromMinutes(2)); // the leases ran out: a crashed node's instances are taken again
        Assert.Equal(100, (await db.Journeys.ClaimDueAsync("node-5", TimeSpan.FromMinutes(1), 100, Ct)).Count);
    }

    [Fact]
    public async Task JourneyCommitStepsAsync_AnotherNodeTookTheInstanceAfterTheLease_DropsTheStaleStepAndItsMessages()
    {
        var (db, journey) = await JourneyWithInstancesAsync(2, Time.GetUtcNow());
        var stale = await db.Journeys.ClaimDueAsync("n1", TimeSpan.FromMinutes(1), 10, Ct);
        Time.Advance(TimeSpan.FromMinutes(2)); // n1 hangs past its lease; n2 takes the instances
        var fresh = await db.Journeys.ClaimDueAsync("n2", TimeSpan.FromMinutes(1), 10, Ct);
        Assert.Equal(2, fresh.Count);

        Assert.Equal(2, await db.Journeys.CommitStepsAsync("n2", Remind(fresh), Ct));
        Assert.Equal(0, await db.Journeys.CommitStepsAsync("n1", Remind(stale), Ct));

        var counts = await db.Journeys.CountsAsync(journey, Ct);
        Assert.Equal(2, counts.ExitedByReason["completed"]);
        Assert.Equal(2, counts.Counters["sent:remind"]);
    }

    [Fact]
    public async Task JourneyApplyEventsAsync_GoalWhileWaiting_ExitsConvertedAndALaterStepIsDropped()
    {
        var (db, journey) = await JourneyWithInstancesAsync(1, Time.GetUtcNow());
        var claimed = await db.Journeys.ClaimDueAsync("n1", TimeSpan.FromMinutes(1), 10, Ct);
        Assert.Equal(1, await db.Journeys.CommitStepsAsync("n1", [new JourneyStep { From = claimed[0], Node = "wait", Waiting = true, WakeAt = Time.GetUtcNow().AddMinutes(30) }], Ct));

        await db.Journeys.ApplyEventsAsync(new JourneyEventOutcome([], [], Time.GetUtcNow(), [], [], [new JourneyGoal(claimed[0].Instance.Id, Exit: true, Converted: true)]), Ct);
        Time.Advance(TimeSpan.FromMinutes(31));

        Assert.Empty(await db.Journeys.ClaimDueAsync("n1", TimeSpan.FromMinutes(1), 10, Ct));
        var counts = await db.Journeys.CountsAsync(journey, Ct);
        Assert.Equal(1, counts.ExitedByReason["goal"]);
        Assert.Equal(1, counts.Converted);
    }

    private List<JourneyStep> Remind(IReadOnlyList<ClaimedInstance> claimed) => [.. claimed.Select(c => new JourneyStep
    {
        From = c, Node = "done", ExitReason = "completed",
        Messages = [(NewMessage(m => m with { Id = $"msg_{Unique()}", Source = "journey" }), new DispatchInfo(1, Time.GetUtcNow(), null, "gsm7", 1),
            new IdempotencyRecord($"journey:{c.Instance.Id}:remind", "", "", Time.GetUtcNow()))],
        Counts = new Dictionary<string, long> { ["sent:remind"] = 1 },
    })];

    [Fact]
    public async Task JourneyApplyEventsAsync_SameTriggerOrEntryKeyTwice_EntersOnce()
    {
        var (db, journey) = await JourneyWithInstancesAsync(1, Time.GetUtcNow());
        var again = new JourneyEntry(journey, 1, "ct_0", "cart", "other-key", "m-0", "added_to_cart", null, Time.GetUtcNow());
        var sameKey = new JourneyEntry(journey, 1, "ct_0", "cart", "ct_0:1", "m-new", "added_to_cart", null, Time.GetUtcNow());

        Assert.Equal(0, await db.Journeys.ApplyEventsAsync(new JourneyEventOutcome([], [], Time.GetUtcNow(), [again, sameKey], [], []), Ct));
        Assert.Equal(1, (await db.Journeys.CountsAsync(journey, Ct)).Entered);
    }
}
