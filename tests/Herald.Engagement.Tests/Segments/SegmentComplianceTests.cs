using Herald.Engagement.Segments;
using Herald.Engagement.Tests.Infrastructure;
using Herald.Storage.Records;

namespace Herald.Engagement.Tests.Segments;

/// <summary>
/// What a segment picks, on each database: every operator and node kind over the same contacts and events
/// (<see cref="SegmentData"/>), asserting the same members. <see cref="SqliteSegmentTests"/> and
/// <see cref="PostgresSegmentTests"/> run it on a real SQLite file and a real PostgreSQL database.
/// </summary>
public abstract class SegmentComplianceTests(EngagementDatabaseFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Cases => new()
    {
        // attributes: strings, typed
        { """{"attribute":"city","op":"eq","value":"Pune"}""", "a g" },
        { """{"attribute":"city","op":"neq","value":"Pune"}""", "b c d e h" },
        { """{"attribute":"city","op":"in","value":["Pune","Mumbai"]}""", "a b g" },
        { """{"attribute":"city","op":"contains","value":"un"}""", "a c g" },
        { """{"attribute":"tags","op":"contains","value":"gold"}""", "a g" },
        { """{"attribute":"address.city","op":"eq","value":"Pune"}""", "a" },
        { """{"attribute":"zzz","op":"neq","value":"x"}""", "a b c d e g h" },
        // numbers: a number never equals a string that looks like one
        { """{"attribute":"age","op":"eq","value":30}""", "a h" },
        { """{"attribute":"age","op":"eq","value":"30"}""", "c" },
        { """{"attribute":"age","op":"in","value":[30,45]}""", "a b h" },
        { """{"attribute":"age","op":"in","value":[45,"30"]}""", "b c" },
        { """{"attribute":"age","op":"gt","value":30}""", "b g" },
        { """{"attribute":"age","op":"gte","value":30}""", "a b g h" },
        { """{"attribute":"age","op":"lt","value":30}""", "d" },
        { """{"attribute":"age","op":"lte","value":30}""", "a d h" },
        { """{"attribute":"age","op":"between","value":[25,50]}""", "a b h" },
        { """{"attribute":"age","op":"between","value":[50,25]}""", "a b h" },
        { """{"attribute":"score","op":"gt","value":7}""", "a" },
        // booleans and presence
        { """{"attribute":"vip","op":"eq","value":true}""", "a" },
        { """{"attribute":"vip","op":"eq","value":false}""", "b" },
        { """{"attribute":"vip","op":"in","value":[true]}""", "a" },
        { """{"attribute":"vip","op":"exists"}""", "a b" },
        { """{"attribute":"vip","op":"exists","value":false}""", "c d e g h" },
        // dates: absolute (with an offset, Z, or none = UTC) and relative to now
        { """{"attribute":"signup","op":"before","value":"2026-01-01"}""", "g" },
        { """{"attribute":"signup","op":"after","value":"2026-05-30"}""", "c h" },
        { """{"attribute":"signup","op":"after","value":"2026-06-01T04:00:00Z"}""", "h" },
        { """{"attribute":"signup","op":"gte","value":"2026-06-01T04:00:00Z"}""", "c h" },
        { """{"attribute":"signup","op":"lt","value":"2026-06-01T09:30:00+05:30"}""", "a b g" },
        { """{"attribute":"signup","op":"before","value":"P7D"}""", "b g" },
        { """{"attribute":"signup","op":"within","value":"P7D"}""", "a c h" },
        { """{"attribute":"signup","op":"within","value":"PT3H"}""", "h" },
        { """{"attribute":"signup","op":"between","value":["2026-01-01","P7D"]}""", "b" },
        { """{"attribute":"signup","op":"exists"}""", "a b c d e g h" },
        { """{"attribute":"signup","op":"before","value":"2027-01-01"}""", "a b c g h" },
        // events: from the aggregates, and from the events themselves for windows and properties
        { """{"event":"added_to_cart","performed":{}}""", "a b c d g h" },
        { """{"event":"added_to_cart","performed":{"atLeast":1,"within":"P7D"}}""", "a b c g h" },
        { """{"event":"added_to_cart","performed":{"atLeast":2,"within":"P7D"}}""", "a h" },
        { """{"event":"added_to_cart","performed":{"atLeast":3}}""", "d h" },
        { """{"event":"added_to_cart","performed":{"atLeast":1,"within":"P7D","where":{"attribute":"properties.value","op":"gt","value":500}}}""", "a c" },
        { """{"event":"added_to_cart","performed":{"where":{"attribute":"properties.value","op":"gt","value":500}}}""", "a b c d" },
        { """{"event":"added_to_cart","performed":{"atLeast":2,"where":{"any":[{"attribute":"properties.value","op":"lt","value":150},{"attribute":"properties.sku","op":"exists"}]}}}""", "h" },
        { """{"event":"added_to_cart","performed":{"where":{"not":{"attribute":"properties.value","op":"gte","value":100}}}}""", "g h" },
        { """{"event":"checkout_completed","notPerformed":{"within":"PT2H"}}""", "b c d e g h" },
        { """{"event":"added_to_cart","notPerformed":{}}""", "e" },
        { """{"event":"added_to_cart","notPerformed":{"within":"P7D","where":{"attribute":"properties.value","op":"gt","value":500}}}""", "b d e g h" },
        { """{"event":"never_tracked","performed":{}}""", "" },
        // consent, country, groups
        { """{"consent":"promotional"}""", "a c" },
        { """{"consent":"transactional"}""", "c h" },
        { """{"country":"IN"}""", "a b h" },
        { """{"country":["US","gb"]}""", "c d e" },
        { """{"not":{"country":"IN"}}""", "c d e g" },
        { """{"not":{"attribute":"city","op":"eq","value":"Pune"}}""", "b c d e h" },
        { """{"all":[{"country":"IN"},{"attribute":"city","op":"eq","value":"Pune"}]}""", "a" },
        { """{"any":[{"country":"US"},{"attribute":"age","op":"gt","value":50}]}""", "c d g" },
        { """{"all":[]}""", "a b c d e g h" },
        { """{"any":[]}""", "" },
        { """{"all":[{"consent":"promotional"},{"event":"added_to_cart","performed":{"within":"P7D","where":{"attribute":"properties.value","op":"gt","value":500}}},{"event":"checkout_completed","notPerformed":{"within":"PT2H"}}]}""", "c" },
        { """{"any":[{"not":{"all":[{"country":"IN"},{"attribute":"vip","op":"exists"}]}},{"attribute":"nick","op":"eq","value":"Bob"}]}""", "b c d e g h" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CountAndList_Rule_PickTheExpectedContacts(string rule, string expected)
    {
        var filter = Compile(rule);

        var members = await MembersAsync(filter);
        var named = members.Where(id => !SegmentData.Sample.Contains(id)).Select(id => id["ct_".Length..]).Order(StringComparer.Ordinal);

        Assert.Equal(expected, string.Join(" ", named));
        Assert.Equal(members.Count, await fixture.Db.Audience.CountAsync(filter, Ct));
    }

    [Theory]
    [InlineData("ab1", 10)]
    [InlineData("ab2", 10)]
    [InlineData("ab1", 50)]
    [InlineData("x", 2.5)]
    public async Task RandomPercent_Seed_PicksTheContactsTheHashNames(string seed, decimal percent)
    {
        var filter = Compile($$"""{"randomPercent":{{percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"seed":"{{seed}}"}""");

        var members = await MembersAsync(filter);

        var expected = SegmentData.Live.Concat(SegmentData.Sample)
            .Where(id => SegmentCompiler.Bucket(id, seed) < percent * 100).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, members);
        Assert.InRange(members.Count, 1, (int)(SegmentData.Sample.Length * percent / 100m * 2) + 3);
    }

    [Fact]
    public async Task RandomPercent_TwoSeeds_PickDifferentContacts()
    {
        var first = await MembersAsync(Compile("""{"randomPercent":30,"seed":"ab1"}"""));
        var second = await MembersAsync(Compile("""{"randomPercent":30,"seed":"ab2"}"""));

        Assert.NotEqual(first, second);
        Assert.True(first.Intersect(second).Count() < first.Count, "Two seeds picked the same sample.");
    }

    [Fact]
    public async Task ListAsync_Limit_ReturnsTheFirstContactsById()
    {
        var filter = Compile("""{"country":"IN"}""");

        var two = await fixture.Db.Audience.ListAsync(filter, 2, Ct);

        Assert.Equal(2, two.Count);
        Assert.Equal((await MembersAsync(filter)).Take(2), two.Select(c => c.Id));
        Assert.All(two, c => Assert.Equal("IN", c.Country));
    }

    [Fact]
    public async Task Compile_UserValues_AreParametersNotSqlText()
    {
        var filter = Compile("""{"attribute":"city","op":"eq","value":"x' OR 1=1 --"}""");

        Assert.DoesNotContain("OR 1=1", filter.Where, StringComparison.Ordinal);
        Assert.Contains("x' OR 1=1 --", filter.Parameters.Values);
        Assert.Empty(await MembersAsync(filter));
    }

    [Fact]
    public async Task SegmentStore_InsertUpdateDelete_RoundTrips()
    {
        var now = fixture.Time.GetUtcNow();
        var segment = new SegmentRecord { Id = $"seg_{Guid.NewGuid():N}", Name = "Pune", Rule = """{"country":"IN"}""", CreatedAt = now, UpdatedAt = now };

        await fixture.Db.Segments.InsertSegmentAsync(segment, Ct);
        Assert.Equal(segment, await fixture.Db.Segments.FindSegmentAsync(segment.Id, Ct));
        var renamed = segment with { Name = "Pune buyers", UpdatedAt = now.AddMinutes(1) };
        Assert.True(await fixture.Db.Segments.UpdateSegmentAsync(renamed, Ct));
        Assert.Contains(renamed, await fixture.Db.Segments.ListSegmentsAsync(Ct));
        Assert.True(await fixture.Db.Segments.DeleteSegmentAsync(segment.Id, Ct));

        Assert.Null(await fixture.Db.Segments.FindSegmentAsync(segment.Id, Ct));
        Assert.False(await fixture.Db.Segments.DeleteSegmentAsync(segment.Id, Ct));
    }

    private ContactFilter Compile(string rule)
    {
        var parse = SegmentRuleParser.Parse(rule);
        Assert.True(parse.Ok, string.Join("; ", parse.Errors));
        return new SegmentCompiler(fixture.Time).Compile(parse.Rule!, fixture.Provider);
    }

    private async Task<List<string>> MembersAsync(ContactFilter filter) =>
        [.. (await fixture.Db.Audience.ListAsync(filter, 1000, Ct)).Select(c => c.Id)];
}

/// <summary>The segment suite on a real SQLite file.</summary>
public sealed class SqliteSegmentTests(SqliteSegmentFixture fixture) : SegmentComplianceTests(fixture), IClassFixture<SqliteSegmentFixture>;

/// <summary>The segment suite on a real PostgreSQL database (<c>HERALD_TEST_POSTGRES</c>); it fails, never skips, without one.</summary>
public sealed class PostgresSegmentTests(PostgresSegmentFixture fixture) : SegmentComplianceTests(fixture), IClassFixture<PostgresSegmentFixture>;
