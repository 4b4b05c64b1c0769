using Herald.Engagement.Segments;

namespace Herald.Engagement.Tests.Segments;

public sealed class SegmentRuleParserTests
{
    [Fact]
    public void Parse_EveryNodeKind_BuildsTheTree()
    {
        var parse = SegmentRuleParser.Parse("""
            {"all": [
              {"attribute": "city", "op": "eq", "value": "Pune"},
              {"any": [{"country": "in"}, {"consent": "promotional"}]},
              {"not": {"randomPercent": 10, "seed": "ab1"}},
              {"event": "added_to_cart", "performed": {"atLeast": 2, "within": "P7D", "where": {"attribute": "properties.value", "op": "gt", "value": 500}}},
              {"event": "checkout_completed", "notPerformed": {"within": "PT2H"}}
            ]}
            """);

        Assert.True(parse.Ok, string.Join("; ", parse.Errors));
        var all = Assert.IsType<SegmentRule.All>(parse.Rule);
        Assert.Equal(new SegmentRule.Attribute("city", AttributeOp.Eq, new RuleValue.Text("Pune")), all.Rules[0]);
        var any = Assert.IsType<SegmentRule.Any>(all.Rules[1]);
        Assert.Equal(["IN"], Assert.IsType<SegmentRule.Country>(any.Rules[0]).Codes);
        Assert.Equal(new SegmentRule.Consent("promotional"), any.Rules[1]);
        Assert.Equal(new SegmentRule.RandomPercent(10, "ab1"), Assert.IsType<SegmentRule.Not>(all.Rules[2]).Rule);
        var performed = Assert.IsType<SegmentRule.Event>(all.Rules[3]);
        Assert.Equal(("added_to_cart", true, 2, TimeSpan.FromDays(7)), (performed.Name, performed.Performed, performed.AtLeast, performed.Within!.Value));
        Assert.Equal(new SegmentRule.Attribute("value", AttributeOp.Gt, new RuleValue.Number(500)), performed.Where);
        var notPerformed = Assert.IsType<SegmentRule.Event>(all.Rules[4]);
        Assert.Equal((false, TimeSpan.FromHours(2), (SegmentRule?)null), (notPerformed.Performed, notPerformed.Within!.Value, notPerformed.Where));
    }

    [Theory]
    [InlineData("\"Pune\"", typeof(RuleValue.Text))]
    [InlineData("42", typeof(RuleValue.Number))]
    [InlineData("4.5", typeof(RuleValue.Number))]
    [InlineData("true", typeof(RuleValue.Flag))]
    public void Parse_EqValue_IsTypedFromItsJson(string value, Type expected)
    {
        var parse = SegmentRuleParser.Parse($$"""{"attribute": "x", "op": "eq", "value": {{value}}}""");

        Assert.IsType(expected, Assert.IsType<SegmentRule.Attribute>(parse.Rule).Value);
    }

    [Theory]
    [InlineData("\"2026-03-01\"", "2026-03-01T00:00:00+00:00")]
    [InlineData("\"2026-03-01T09:30\"", "2026-03-01T09:30:00+00:00")]
    [InlineData("\"2026-03-01T09:30:00Z\"", "2026-03-01T09:30:00+00:00")]
    [InlineData("\"2026-03-01T09:30:00+05:30\"", "2026-03-01T04:00:00+00:00")]
    public void Parse_AbsoluteDate_IsAnInstantInUtc(string value, string expected)
    {
        var parse = SegmentRuleParser.Parse($$"""{"attribute": "signup", "op": "before", "value": {{value}}}""");

        var instant = Assert.IsType<RuleValue.Instant>(Assert.IsType<SegmentRule.Attribute>(parse.Rule).Value);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), instant.Value);
    }

    [Theory]
    [InlineData("P7D", 7 * 24 * 60)]
    [InlineData("PT2H", 120)]
    [InlineData("P1DT12H", 36 * 60)]
    [InlineData("P2W", 14 * 24 * 60)]
    [InlineData("PT90M", 90)]
    public void Parse_RelativeDate_IsADurationAgo(string value, int minutes)
    {
        var parse = SegmentRuleParser.Parse($$"""{"attribute": "signup", "op": "after", "value": "{{value}}"}""");

        Assert.Equal(new RuleValue.Ago(TimeSpan.FromMinutes(minutes)), Assert.IsType<SegmentRule.Attribute>(parse.Rule).Value);
    }

    [Theory]
    [InlineData("""{"all": [{"country": "IN"}, {"attribute": "city", "op": "equals", "value": "x"}]}""", "$.all[1].op", "unknown operator \"equals\"; use one of eq, neq, in, contains")]
    [InlineData("""{"attribute": "city", "value": "x"}""", "$.op", "\"op\" is required")]
    [InlineData("""{"attribute": "city", "op": "eq", "value": "x", "extra": 1}""", "$.extra", "unknown key \"extra\"")]
    [InlineData("""{"attribute": "city", "op": "eq"}""", "$.value", "\"value\" is required for \"eq\"")]
    [InlineData("""{"attribute": "city", "op": "eq", "value": null}""", "$.value", "not null")]
    [InlineData("""{"attribute": "city", "op": "in", "value": []}""", "$.value", "a list of 1 to 1000")]
    [InlineData("""{"attribute": "city", "op": "in", "value": ["a", {}]}""", "$.value[1]", "not an object")]
    [InlineData("""{"attribute": "age", "op": "gt", "value": "old"}""", "$.value", "\"old\" is not a date")]
    [InlineData("""{"attribute": "age", "op": "between", "value": [1]}""", "$.value", "two numbers or two dates")]
    [InlineData("""{"attribute": "age", "op": "between", "value": [1, "2026-01-01"]}""", "$.value", "not one of each")]
    [InlineData("""{"attribute": "seen", "op": "within", "value": "P1M"}""", "$.value", "no fixed length")]
    [InlineData("""{"attribute": "seen", "op": "within", "value": "7 days"}""", "$.value", "not an ISO-8601 duration")]
    [InlineData("""{"attribute": "bad name!", "op": "exists"}""", "$.attribute", "not an attribute name")]
    [InlineData("""{"any": {"country": "IN"}}""", "$.any", "takes an array")]
    [InlineData("""{"not": [{"country": "IN"}]}""", "$.not", "must be a JSON object")]
    [InlineData("""{"city": "Pune"}""", "$", "needs one of the keys")]
    [InlineData("""{"country": "IN", "consent": "promotional"}""", "$", "has one kind")]
    [InlineData("""[]""", "$", "must be a JSON object")]
    [InlineData("""{"consent": "marketing"}""", "$.consent", "one of promotional, transactional, service")]
    [InlineData("""{"country": "India"}""", "$.country", "ISO 3166 region code")]
    [InlineData("""{"randomPercent": 0}""", "$.randomPercent", "above 0 and at most 100")]
    [InlineData("""{"randomPercent": 10, "seed": 5}""", "$.seed", "a string")]
    [InlineData("""{"event": "x"}""", "$", "either \"performed\"")]
    [InlineData("""{"event": "x", "performed": {}, "notPerformed": {}}""", "$", "either \"performed\"")]
    [InlineData("""{"event": "x", "performed": {"atLeast": 0}}""", "$.performed.atLeast", "1 or more")]
    [InlineData("""{"event": "x", "notPerformed": {"atLeast": 2}}""", "$.notPerformed.atLeast", "unknown key")]
    [InlineData("""{"event": "x", "performed": {"within": "2h"}}""", "$.performed.within", "not an ISO-8601 duration")]
    [InlineData("""{"event": "x", "performed": {"where": {"attribute": "value", "op": "gt", "value": 1}}}""", "$.performed.where.attribute", "\"properties.value\"")]
    [InlineData("""{"event": "x", "performed": {"where": {"country": "IN"}}}""", "$.performed.where.country", "only attribute conditions")]
    [InlineData("""{"all": [""", "$", "not valid JSON")]
    public void Parse_InvalidRule_NamesThePathAndTheFix(string json, string path, string message)
    {
        var parse = SegmentRuleParser.Parse(json);

        Assert.False(parse.Ok);
        var error = Assert.Single(parse.Errors, e => e.Path == path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralBadNodes_ReportsEachOne()
    {
        var parse = SegmentRuleParser.Parse("""{"any": [{"consent": "x"}, {"country": "IN"}, {"attribute": "a", "op": "nope", "value": 1}]}""");

        Assert.Equal(["$.any[0].consent", "$.any[2].op"], parse.Errors.Select(e => e.Path));
        Assert.Equal("$.any[2].op: unknown operator \"nope\"; use one of eq, neq, in, contains, gt, gte, lt, lte, between, exists, before, after, within.",
            parse.Errors[1].ToString());
    }

    [Fact]
    public void Parse_TooDeep_IsRefused()
    {
        var json = string.Concat(Enumerable.Repeat("{\"not\":", 20)) + "{\"country\":\"IN\"}" + new string('}', 20);

        var parse = SegmentRuleParser.Parse(json);

        Assert.Contains(parse.Errors, e => e.Message.Contains("at most 16 groups deep", StringComparison.Ordinal));
    }

    [Fact]
    public void Bucket_SameIdAndSeed_IsStableAndSpreads()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => $"ct_{i:x8}k").ToList();

        var inTen = ids.Count(id => SegmentCompiler.Bucket(id, "ab1") < 1000);

        Assert.Equal(SegmentCompiler.Bucket("ct_abc", "s"), SegmentCompiler.Bucket("ct_abc", "s"));
        Assert.InRange(inTen, 850, 1150);
    }
}
