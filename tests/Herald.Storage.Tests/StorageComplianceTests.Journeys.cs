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
        Assert.Equal(1, await db.Journeys.PublishAsync(journey, "J", "{}", ["added_to_cart", "checkout_completed"], null, Ct));
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

    // ------------------------------------------------------------ segment triggers

    /// <summary>Contacts in country <paramref name="country"/> (the test segment's members).</summary>
    private static async Task<List<string>> CountryContactsAsync(HeraldDatabase db, string country, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await db.Contacts.UpsertAsync([new ContactChange { Phone = NewPhone(), Country = country }], Ct))[0].ContactId!);
        }
        return ids;
    }

    private static ContactFilter InCountry(string country) => new("c.erased_at IS NULL AND c.country = @seg0", new Dictionary<string, object?> { ["seg0"] = country });

    private async Task<(HeraldDatabase Db, string Journey)> SegmentJourneyAsync(string country, bool includeExisting = false)
    {
        var db = await FreshDatabaseAsync();
        var journey = $"jrn_{Unique()}";
        await db.Journeys.CreateAsync(new JourneyRecord { Id = journey, Name = "Gold", Status = "draft", Draft = "{}", CreatedAt = Time.GetUtcNow() }, Ct);
        Assert.Equal(1, await db.Journeys.PublishAsync(journey, "Gold", "{}", [], new JourneySegmentTrigger("seg_gold", InCountry(country), includeExisting), Ct));
        return (db, journey);
    }

    private static SegmentTriggerEvaluation Evaluation(ClaimedSegmentTrigger claimed, string country, DateTimeOffset next, string mode = "everyTime", double? hours = null) => new()
    {
        Trigger = claimed, Filter = InCountry(country), Node = "start", ReEntryMode = mode, ReEntryHours = hours, NextDueAt = next,
    };

    [Fact]
    public async Task JourneySegmentTrigger_MembersAtPublishAndNewOnes_OnlyTheNewOnesEnter()
    {
        var country = "S" + Unique()[..1];
        var db = await FreshDatabaseAsync();
        var before = await CountryContactsAsync(db, country, 3);
        var journey = $"jrn_{Unique()}";
        await db.Journeys.CreateAsync(new JourneyRecord { Id = journey, Name = "Gold", Status = "draft", Draft = "{}", CreatedAt = Time.GetUtcNow() }, Ct);
        await db.Journeys.PublishAsync(journey, "Gold", "{}", [], new JourneySegmentTrigger("seg_gold", InCountry(country), false), Ct);
        var after = await CountryContactsAsync(db, country, 2);

        var claimed = Assert.Single(await db.Journeys.ClaimSegmentTriggersAsync("n1", TimeSpan.FromMinutes(1), null, TimeSpan.Zero, 10, Ct));
        var outcome = await db.Journeys.EvaluateSegmentTriggerAsync("n1", Evaluation(claimed, country, Time.GetUtcNow().AddMinutes(1)), Ct);

        Assert.Equal(new SegmentTriggerOutcome(true, 2, 0, 2), outcome);
        var instances = await db.Journeys.InstancesAsync(journey, null, 100, Ct);
        Assert.Equal(after.Order(), instances.Select(i => i.ContactId).Order());
        Assert.All(instances, i => Assert.Equal(("start", "segment_entered"), (i.Node, i.TriggerName)));
        Assert.DoesNotContain(instances, i => before.Contains(i.ContactId));
        // Not due again before its interval, and due once it passed.
        Assert.Empty(await db.Journeys.ClaimSegmentTriggersAsync("n1", TimeSpan.FromMinutes(1), null, TimeSpan.Zero, 10, Ct));
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(await db.Journeys.ClaimSegmentTriggersAsync("n1", TimeSpan.FromMinutes(1), null, TimeSpan.Zero, 10, Ct));
    }

    [Fact]
    public async Task JourneySegmentTrigger_TwoNodesEvaluateAtOnce_EachNewMemberEntersOnce()
    {
        var country = "T" + Unique()[..1];
        var (db, journey) = await SegmentJourneyAsync(country);
        await CountryContactsAsync(db, country, 40);

        // Four nodes claim at once: one gets the journey.
        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(n => db.Journeys.ClaimSegmentTriggersAsync($"node-{n}", TimeSpan.FromMinutes(1), null, TimeSpan.Zero, 10, Ct)));
        var (winner, claimed) = claims.Select((c, n) => ($"node-{n}", c)).Single(c => c.c.Count == 1);
        // The winner hangs past its lease; another node takes the journey; both evaluate at the same moment.
        Time.Advance(TimeSpan.FromMinutes(2));
        var again = Assert.Single(await db.Journeys.ClaimSegmentTriggersAsync("node-late", TimeSpan.FromMinutes(1), null, TimeSpan.Zero, 10, Ct));
        var next = Time.GetUtcNow().AddMinutes(1);
        var outcomes = await Task.WhenAll(
            db.Journeys.EvaluateSegmentTriggerAsync(winner, Evaluation(claimed[0], country, next), Ct),
            db.Journeys.EvaluateSegmentTriggerAsync("node-late", Evaluation(again, country, next), Ct),
            db.Journeys.EvaluateSegmentTriggerAsync("node-late", Evaluation(again, country, next), Ct));

        Assert.Equal(40, outcomes.Sum(o => o.Entered));
        var instances = await db.Journeys.InstancesAsync(journey, null, 1000, Ct);
        Assert.Equal(40, instances.Count);
        Assert.Equal(40, instances.Select(i => i.ContactId).Distinct().Count());
    }

    [Fact]
    public async Task JourneySegmentTrigger_LeaveAndComeBack_ReEntersByTheRule()
    {
        var country = "R" + Unique()[..1];
        var (db, journey) = await SegmentJourneyAsync(country);
        var contact = (await CountryContactsAsync(db, country, 1))[0];
        var phone = (await db.Contacts.GetAsync(contact, Ct))!.Phone;

        async Task<SegmentTriggerOutcome> EvaluateAsync(string mode, double? hours = null)
        {
            Time.Advance(TimeSpan.FromMinutes(1));
            var claimed = Assert.Single(await db.Journeys.ClaimSegmentTriggersAsync("n1", TimeSpan.FromMinutes(1), null, TimeSpan.Zero, 10, Ct));
            return await db.Journeys.EvaluateSegmentTriggerAsync("n1", Evaluation(claimed, country, Time.GetUtcNow(), mode, hours), Ct);
        }
        async Task MoveAsync(string to) => await db.Contacts.UpsertAsync([new ContactChange { Phone = phone, Country = to }], Ct);

        Assert.Equal(1, (await EvaluateAsync("afterHours", 1)).Entered);
        await MoveAsync("ZZ");
        Assert.Equal(new SegmentTriggerOutcome(true, 0, 1, 0), await EvaluateAsync("afterHours", 1));
        await MoveAsync(country);
        Assert.Equal(0, (await EvaluateAsync("afterHours", 1)).Entered); // back within the hour (and still inside the journey)
        await MoveAsync("ZZ");
        await EvaluateAsync("afterHours", 1);
        await MoveAsync(country);
        Assert.Equal(0, (await EvaluateAsync("once")).Entered); // once ever
        await MoveAsync("ZZ");
        await EvaluateAsync("everyTime");
        await MoveAsync(country);
        Assert.Equal(1, (await EvaluateAsync("everyTime")).Entered); // every time it comes back

        Assert.Equal(2, (await db.Journeys.CountsAsync(journey, Ct)).Entered);
    }
}

