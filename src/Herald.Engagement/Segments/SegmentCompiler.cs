using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Herald.Storage.Records;

namespace Herald.Engagement.Segments;

/// <summary>
/// Turns a <see cref="SegmentRule"/> into a SQL condition over <c>contacts c</c> for SQLite or PostgreSQL: one core, a thin
/// dialect (<see cref="SegmentSqlDialect"/>), every value a parameter. Relative times (<c>P7D</c>) are fixed against
/// <see cref="TimeProvider"/> when the rule compiles. Erased contacts never match.
/// </summary>
/// <remarks>
/// Event conditions read the per-contact aggregates (<c>contact_event_stats</c>: count, first and last time per event name)
/// when those answer exactly: "at least N times ever", "at least once within a window" (the last time is in it). A condition
/// on the event's properties reads the events: "once" as a probe of the contact's events through <c>ix_events_contact</c>
/// (contact, name, time); "N times within a window" on PostgreSQL as one grouped pass over the window's events (a count per
/// contact measured 4x slower there at 1,000,000 contacts), on SQLite as a count of the contact's events through
/// <c>ix_events_contact</c> for the contacts whose aggregate row allows it (its planner scans the whole index for the grouped
/// form, 3x slower). bench/README.md has the figures.
/// </remarks>
public sealed class SegmentCompiler(TimeProvider time)
{
    /// <summary>Characters of a contact id that <see cref="SegmentRule.RandomPercent"/> hashes.</summary>
    public const int HashedIdLength = 32;
    private const long HashPrime = 2147483647; // 2^31 - 1: sums of 32 weights × character codes stay far below 2^63

    /// <summary>Compiles a rule for a database (<c>sqlite</c> or <c>postgres</c>, as <c>IDatabase.Provider</c> names it).</summary>
    public ContactFilter Compile(SegmentRule rule, string provider)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var context = new Context(SegmentSqlDialect.For(provider), time.GetUtcNow());
        var where = $"c.erased_at IS NULL AND {context.Rule(rule, "c.attributes")}";
        return new ContactFilter(where, context.Parameters);
    }

    private sealed class Context(SegmentSqlDialect dialect, DateTimeOffset now)
    {
        public Dictionary<string, object?> Parameters { get; } = [];

        private string P(object value)
        {
            var name = $"seg{Parameters.Count}";
            Parameters[name] = value;
            return "@" + name;
        }

        public string Rule(SegmentRule rule, string json) => rule switch
        {
            SegmentRule.All all => all.Rules.Count == 0 ? "1 = 1" : "(" + string.Join(" AND ", all.Rules.Select(r => Rule(r, json))) + ")",
            SegmentRule.Any any => any.Rules.Count == 0 ? "1 = 0" : "(" + string.Join(" OR ", any.Rules.Select(r => Rule(r, json))) + ")",
            // SQL's NULL (an absent attribute) would stay NULL under NOT; a child that is unknown does not match, so its negation does.
            SegmentRule.Not not => $"NOT COALESCE({Rule(not.Rule, json)}, FALSE)",
            SegmentRule.Attribute attribute => Attribute(attribute, json),
            SegmentRule.Event e => Event(e),
            SegmentRule.Consent consent =>
                $"c.id IN (SELECT cc.contact_id FROM contact_consents cc WHERE cc.category = {P(consent.Category)} AND cc.granted = 1)",
            SegmentRule.Country { Codes.Count: 1 } country => $"c.country = {P(country.Codes[0])}",
            SegmentRule.Country country => $"c.country IN ({string.Join(", ", country.Codes.Select(code => P(code)))})",
            SegmentRule.RandomPercent random => Random(random),
            _ => throw new NotSupportedException($"Unknown rule node {rule.GetType().Name}."),
        };

        private string Attribute(SegmentRule.Attribute condition, string json)
        {
            var path = dialect.MakePath(condition.Path.Split('.'), P);
            switch (condition.Op)
            {
                case AttributeOp.Eq:
                    return Equal(json, path, condition.Value);
                case AttributeOp.Neq:
                    return $"NOT COALESCE({Equal(json, path, condition.Value)}, FALSE)";
                case AttributeOp.In:
                    var items = ((RuleValue.List)condition.Value).Items;
                    var parts = new List<string>();
                    AddIn(parts, dialect.Text(json, path), items.OfType<RuleValue.Text>().Select(t => (object)t.Value));
                    AddIn(parts, dialect.Number(json, path), items.OfType<RuleValue.Number>().Select(n => (object)n.Value));
                    AddIn(parts, dialect.Flag(json, path), items.OfType<RuleValue.Flag>().Select(f => (object)(f.Value ? "true" : "false")));
                    return parts.Count == 1 ? parts[0] : "(" + string.Join(" OR ", parts) + ")";
                case AttributeOp.Contains:
                    var needle = P(((RuleValue.Text)condition.Value).Value);
                    return $"({dialect.Contains(dialect.Text(json, path), needle)} OR {dialect.ArrayHas(json, path, needle)})";
                case AttributeOp.Gt or AttributeOp.Gte or AttributeOp.Lt or AttributeOp.Lte:
                    var symbol = condition.Op switch { AttributeOp.Gt => ">", AttributeOp.Gte => ">=", AttributeOp.Lt => "<", _ => "<=" };
                    return condition.Value is RuleValue.Number number
                        ? $"{dialect.Number(json, path)} {symbol} {P(number.Value)}"
                        : $"{dialect.DateMs(json, path)} {symbol} {P(Ms(condition.Value))}";
                case AttributeOp.Between:
                    var range = (RuleValue.Range)condition.Value;
                    if (range.From is RuleValue.Number from && range.To is RuleValue.Number to)
                    {
                        return $"{dialect.Number(json, path)} BETWEEN {P(Math.Min(from.Value, to.Value))} AND {P(Math.Max(from.Value, to.Value))}";
                    }
                    var (start, end) = (Ms(range.From), Ms(range.To));
                    return $"{dialect.DateMs(json, path)} BETWEEN {P(Math.Min(start, end))} AND {P(Math.Max(start, end))}";
                case AttributeOp.Exists:
                    return ((RuleValue.Flag)condition.Value).Value ? dialect.Present(json, path) : $"NOT ({dialect.Present(json, path)})";
                case AttributeOp.Before:
                    return $"{dialect.DateMs(json, path)} < {P(Ms(condition.Value))}";
                case AttributeOp.After:
                    return $"{dialect.DateMs(json, path)} > {P(Ms(condition.Value))}";
                default: // within: from that long ago up to now
                    return $"{dialect.DateMs(json, path)} BETWEEN {P(Ms(condition.Value))} AND {P(now.ToUnixTimeMilliseconds())}";
            }
        }

        private string Equal(string json, SegmentSqlDialect.Path path, RuleValue value) => value switch
        {
            RuleValue.Text text => $"{dialect.Text(json, path)} = {P(text.Value)}",
            RuleValue.Number number => $"{dialect.Number(json, path)} = {P(number.Value)}",
            RuleValue.Flag flag => $"{dialect.Flag(json, path)} = {P(flag.Value ? "true" : "false")}",
            _ => throw new NotSupportedException($"eq does not compare with {value.GetType().Name}."),
        };

        private void AddIn(List<string> parts, string expression, IEnumerable<object> values)
        {
            var list = values.Distinct().ToList();
            if (list.Count > 0)
            {
                parts.Add($"{expression} IN ({string.Join(", ", list.Select(P))})");
            }
        }

        private long Ms(RuleValue value) => value switch
        {
            RuleValue.Instant instant => instant.Value.ToUnixTimeMilliseconds(),
            RuleValue.Ago ago => (now - ago.Value).ToUnixTimeMilliseconds(),
            _ => throw new NotSupportedException($"{value.GetType().Name} is not a time."),
        };

        private string Event(SegmentRule.Event e)
        {
            var name = P(e.Name);
            var atLeast = e.Performed ? e.AtLeast : 1;
            var since = e.Within is { } window ? P((now - window).ToUnixTimeMilliseconds()) : null;
            // EXISTS rather than IN for the one-row checks: PostgreSQL plans them as semi- and anti-joins (a NOT IN over a large list
            // degrades to a scan per contact), SQLite as one index probe per contact.
            var not = e.Performed ? "" : "NOT ";
            if (e.Where is null && (since is null || atLeast == 1))
            {
                // The contact's aggregate row answers exactly: at least this many ever, or the last one inside the window.
                return $"{not}EXISTS (SELECT 1 FROM contact_event_stats s WHERE s.contact_id = c.id AND s.name = {name}"
                    + (atLeast > 1 ? $" AND s.count >= {P((long)atLeast)}" : "")
                    + (since is not null ? $" AND s.last_at >= {since}" : "") + ")";
            }
            // A condition on the events' properties, or a count inside the window: the events themselves.
            var events = $"FROM events e WHERE e.name = {name}"
                + (since is not null ? $" AND e.at >= {since}" : "")
                + (e.Where is not null ? $" AND {Rule(e.Where, "e.properties")}" : "");
            if (atLeast == 1)
            {
                return $"{not}EXISTS (SELECT 1 {events} AND e.contact_id = c.id)";
            }
            var times = P((long)atLeast);
            return dialect.GroupsEventCounts
                ? $"c.id IN (SELECT e.contact_id {events} GROUP BY e.contact_id HAVING COUNT(*) >= {times})"
                : $"EXISTS (SELECT 1 FROM contact_event_stats s WHERE s.contact_id = c.id AND s.name = {name} AND s.count >= {times}"
                    + (since is not null ? $" AND s.last_at >= {since}" : "") + $" AND (SELECT COUNT(*) {events} AND e.contact_id = c.id) >= {times})";
        }

        // A universal hash of (seed, contact id): a weighted sum of the id's character codes modulo a prime, the weights drawn
        // from the seed, so the same seed picks the same contacts on SQLite and PostgreSQL and different seeds pick independently.
        private string Random(SegmentRule.RandomPercent random)
        {
            var weights = Weights(random.Seed);
            var sum = string.Join(" + ", weights.Select((w, i) => $"{dialect.CharCode("c.id", i + 1)} * {P(w)}"));
            var threshold = (long)(random.Percent * 100m); // of 10,000 buckets: percent with two decimals
            return $"(({sum}) % {P(HashPrime)}) % 10000 < {P(threshold)}";
        }
    }

    /// <summary>The hash weights a seed draws (each in [1, 2^31 − 1)), the same on every machine.</summary>
    internal static long[] Weights(string seed)
    {
        var weights = new long[HashedIdLength];
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("herald-segment:" + seed));
        for (var i = 0; i < weights.Length; i++)
        {
            if (i % 8 == 0 && i > 0)
            {
                bytes = SHA256.HashData(bytes);
            }
            var word = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((i % 8) * 4)) & 0x7FFFFFFF;
            weights[i] = 1 + (word % (HashPrime - 1));
        }
        return weights;
    }

    /// <summary>The bucket (0 to 9,999) a contact id falls in for a seed, as the SQL computes it; a contact is in a
    /// <c>randomPercent</c> sample when its bucket is below percent × 100.</summary>
    public static int Bucket(string contactId, string seed)
    {
        ArgumentNullException.ThrowIfNull(contactId);
        var weights = Weights(seed);
        long sum = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            sum += (i < contactId.Length ? contactId[i] : 0) * weights[i]; // ids are ASCII
        }
        return (int)(sum % HashPrime % 10000);
    }
}
