namespace Herald.Engagement.Segments;

/// <summary>
/// A segment's rule: a tree of groups (<c>all</c>, <c>any</c>, <c>not</c>) over conditions on a contact's attributes, events,
/// consent, country and a random sample. Read from JSON by <see cref="SegmentRuleParser"/>; turned into SQL by
/// <see cref="SegmentCompiler"/>. The JSON form is documented in docs/segments.md.
/// </summary>
public abstract record SegmentRule
{
    private protected SegmentRule() { }

    /// <summary>Every child matches (an empty list matches every contact).</summary>
    public sealed record All(IReadOnlyList<SegmentRule> Rules) : SegmentRule;

    /// <summary>At least one child matches (an empty list matches nobody).</summary>
    public sealed record Any(IReadOnlyList<SegmentRule> Rules) : SegmentRule;

    /// <summary>The child does not match.</summary>
    public sealed record Not(SegmentRule Rule) : SegmentRule;

    /// <summary>
    /// A condition on a JSON attribute: a contact's (<c>city</c>, <c>address.city</c>) or, inside an event's <c>where</c>, one of
    /// the event's properties (<c>properties.value</c> in JSON, <c>value</c> here): dotted keys into the JSON object.
    /// </summary>
    public sealed record Attribute(string Path, AttributeOp Op, RuleValue Value) : SegmentRule;

    /// <summary>The contact performed an event at least <paramref name="AtLeast"/> times (within a window, matching a condition on its properties), or not.</summary>
    public sealed record Event(string Name, bool Performed, int AtLeast, TimeSpan? Within, SegmentRule? Where) : SegmentRule;

    /// <summary>The contact has granted consent for a category (promotional, transactional, service).</summary>
    public sealed record Consent(string Category) : SegmentRule;

    /// <summary>The contact's country (ISO 3166 region code) is one of these.</summary>
    public sealed record Country(IReadOnlyList<string> Codes) : SegmentRule;

    /// <summary>A deterministic sample: the same contacts for the same seed, on either database.</summary>
    public sealed record RandomPercent(decimal Percent, string Seed) : SegmentRule;
}

/// <summary>The operators of an attribute condition.</summary>
public enum AttributeOp
{
    /// <summary>Equal (typed: a string equals a string, a number a number, a boolean a boolean).</summary>
    Eq,
    /// <summary>Not equal, including contacts without the attribute.</summary>
    Neq,
    /// <summary>Equal to one of a list.</summary>
    In,
    /// <summary>A string containing a substring, or an array containing an element.</summary>
    Contains,
    /// <summary>Greater than a number or later than a date.</summary>
    Gt,
    /// <summary>Greater than or equal.</summary>
    Gte,
    /// <summary>Less than a number or earlier than a date.</summary>
    Lt,
    /// <summary>Less than or equal.</summary>
    Lte,
    /// <summary>Between two numbers or two dates, both ends included.</summary>
    Between,
    /// <summary>Present and not null (or, with <c>false</c>, absent or null).</summary>
    Exists,
    /// <summary>A date before an instant.</summary>
    Before,
    /// <summary>A date after an instant.</summary>
    After,
    /// <summary>A date within the last duration (up to now).</summary>
    Within,
}

/// <summary>A value a condition compares with, typed from its JSON.</summary>
public abstract record RuleValue
{
    private protected RuleValue() { }

    /// <summary>A JSON string.</summary>
    public sealed record Text(string Value) : RuleValue;

    /// <summary>A JSON number.</summary>
    public sealed record Number(double Value) : RuleValue;

    /// <summary>A JSON boolean.</summary>
    public sealed record Flag(bool Value) : RuleValue;

    /// <summary>A fixed instant (an ISO-8601 date or date-time; without an offset it is UTC).</summary>
    public sealed record Instant(DateTimeOffset Value) : RuleValue;

    /// <summary>An instant relative to now: this long ago (an ISO-8601 duration such as <c>P7D</c>).</summary>
    public sealed record Ago(TimeSpan Value) : RuleValue;

    /// <summary>A list (of <c>in</c>).</summary>
    public sealed record List(IReadOnlyList<RuleValue> Items) : RuleValue;

    /// <summary>Both ends of <c>between</c>.</summary>
    public sealed record Range(RuleValue From, RuleValue To) : RuleValue;
}
