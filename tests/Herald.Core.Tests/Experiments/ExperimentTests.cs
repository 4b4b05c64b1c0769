using Herald.Core.Experiments;

namespace Herald.Core.Tests.Experiments;

/// <summary>The stable buckets behind A/B splits and control groups, and the lift's confidence interval on known numbers.</summary>
public sealed class ExperimentTests
{
    [Fact]
    public void Of_SameSaltAndContact_IsTheSameBucketEveryTimeAndDiffersBetweenSalts()
    {
        var contacts = Enumerable.Range(0, 2000).Select(i => $"ct_{i}").ToList();

        var first = contacts.Select(c => StableBucket.Of("variant:cmp_1", c)).ToList();
        var again = contacts.Select(c => StableBucket.Of("variant:cmp_1", c)).ToList();
        var other = contacts.Select(c => StableBucket.Of("variant:cmp_2", c)).ToList();

        Assert.Equal(first, again);
        Assert.All(first, b => Assert.InRange(b, 0, StableBucket.Count - 1));
        Assert.True(first.Zip(other).Count(p => p.First == p.Second) < 20, "two campaigns' splits should be independent");
        Assert.Equal(6863, StableBucket.Of("global-control", "ct_0")); // pinned: a change would move every contact's group
    }

    [Fact]
    public void Pick_SplitOf50_30_20_GivesEachGroupItsShare()
    {
        var counts = new int[3];
        for (var i = 0; i < 20_000; i++)
        {
            counts[StableBucket.Pick("variant:cmp_x", $"ct_{i}", [50, 30, 20])]++;
        }

        Assert.InRange(counts[0], 9_700, 10_300);
        Assert.InRange(counts[1], 5_750, 6_250);
        Assert.InRange(counts[2], 3_750, 4_250);
    }

    [Fact]
    public void IsIn_RaisingTheShare_OnlyAddsContacts()
    {
        var contacts = Enumerable.Range(0, 5000).Select(i => $"ct_{i}").ToList();

        var five = contacts.Where(c => StableBucket.IsIn("global-control", c, 5)).ToHashSet();
        var ten = contacts.Where(c => StableBucket.IsIn("global-control", c, 10)).ToHashSet();

        Assert.Subset(ten, five);
        Assert.InRange(five.Count, 200, 300);
        Assert.DoesNotContain(contacts, c => StableBucket.IsIn("global-control", c, 0));
    }

    [Fact]
    public void Lift_120Of1000Over80Of1000_Is4PointsWithTheWaldInterval()
    {
        // p1 = 0.12, p0 = 0.08: se = sqrt(0.12·0.88/1000 + 0.08·0.92/1000) = 0.0133866; margin = 1.96 · se = 0.0262372.
        var lift = Lift.Of(120, 1000, 80, 1000)!;

        Assert.Equal(0.12, lift.TreatedRate, 10);
        Assert.Equal(0.08, lift.ControlRate, 10);
        Assert.Equal(0.04, lift.Difference, 10);
        Assert.Equal(0.0137628, lift.Low, 6);
        Assert.Equal(0.0662372, lift.High, 6);
        Assert.Equal(0.5, lift.Relative!.Value, 10);
        Assert.True(lift.Significant);
    }

    [Fact]
    public void Lift_SmallGroupsOrNoControl_IsNotSignificantOrAbsent()
    {
        var small = Lift.Of(3, 50, 2, 50)!;

        Assert.False(small.Significant);
        Assert.True(small.Low < 0 && small.High > 0);
        Assert.Null(Lift.Of(3, 50, 0, 0));
        Assert.Null(Lift.Of(3, 50, 0, 50)!.Relative);
    }
}
