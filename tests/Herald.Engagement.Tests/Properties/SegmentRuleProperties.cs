using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;
using Herald.Engagement.Segments;
using Herald.Engagement.Tests.Infrastructure;
using Herald.Engagement.Tests.Segments;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Engagement.Tests.Properties;

/// <summary>
/// Issue 14 §3: the segment rule parser never throws on any JSON (it answers a rule or errors with JSON paths), and every
/// valid rule parses and compiles for both databases (CsCheck; a failure prints the shrunk JSON).
/// </summary>
public sealed partial class SegmentRuleProperties
{
    private static readonly string[] RuleKeys =
        ["all", "any", "not", "attribute", "op", "value", "event", "performed", "notPerformed", "atLeast", "within", "where", "consent", "country", "randomPercent", "seed"];

    private static readonly string[] OpNames = [.. Enum.GetValues<AttributeOp>().Select(SegmentRuleParser.Name)];

    // ---- Arbitrary JSON, written as text so escapes (control characters, lone surrogates) and odd numbers are exactly as sent.

    /// <summary>String bodies: rule words, durations, dates, control characters and escaped lone surrogates.</summary>
    private static readonly Gen<string> JsonStrings = Gen.Frequency(
        (4, Gen.OneOf([.. RuleKeys, .. OpNames, "promotional", "IN", "in", "USA", "P7D", "PT2H", "P1Y", "P", "PT", "P0D", "P99999999W", "PT9999999999S",
            "2026-03-01", "2026-02-30", "2026-03-01T09:30:00+05:30", "properties.value", "a..b", "", " "])),
        (2, Gen.String[0, 30]),
        (1, Gen.OneOf(@"\u0000", @"\u001f", @"\ud800", @"\udc00x", @"\udbff\udbff", @"\n\t\\\""", @"\/", @"😀", @"\ud83d\ude00")),
        (1, Gen.Char['a', 'z'].Array[1001, 1100].Select(c => new string(c))))
        .Select(Escape);

    private static readonly Gen<string> JsonNumbers = Gen.Frequency(
        (4, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (2, Gen.OneOf("0", "-0", "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-99999999999999999999", "2.555", "100.001", "0.001", "1E2", "2147483648", "-2147483649")));

    private static readonly Gen<string> Leaves = Gen.Frequency(
        (3, JsonStrings.Select(s => $"\"{s}\"")),
        (2, JsonNumbers),
        (1, Gen.OneOf("true", "false", "null")));

    private static Gen<string> Json(int depth)
    {
        if (depth == 0)
        {
            return Leaves;
        }
        var inner = Json(depth - 1);
        var keys = Gen.Frequency((4, Gen.OneOf(RuleKeys)), (1, JsonStrings));
        return Gen.Frequency(
            (2, Leaves),
            (2, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (4, Gen.Select(keys, inner).Array[0, 4].Select(members => "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}")));
    }

    /// <summary>A chain of groups deeper than the parser allows (16) and than JSON reading allows (64).</summary>
    private static readonly Gen<string> Deep = Gen.Select(Gen.Int[1, 120], Gen.OneOf("all", "any", "not", "where"), (depth, key) =>
    {
        var open = key == "not" ? "{\"not\":" : $"{{\"{key}\":[";
        var close = key == "not" ? "}" : "]}";
        return string.Concat(Enumerable.Repeat(open, depth)) + "{\"consent\":\"service\"}" + string.Concat(Enumerable.Repeat(close, depth));
    });

    [Fact]
    public void Parse_AnyJson_NeverThrowsAndAnswersARuleOrErrorsWithJsonPaths()
    {
        Gen.Frequency((8, Json(4)), (1, Deep), (1, Gen.String[0, 40])).Sample(json =>
        {
            var parse = SegmentRuleParser.Parse(json);

            if (parse.Ok)
            {
                Assert.NotNull(parse.Rule);
            }
            else
            {
                Assert.Null(parse.Rule);
                Assert.NotEmpty(parse.Errors);
                Assert.All(parse.Errors, e =>
                {
                    Assert.StartsWith("$", e.Path, StringComparison.Ordinal);
                    Assert.False(string.IsNullOrWhiteSpace(e.Message));
                });
            }
        }, iter: 20_000);
    }

    // ---- Valid rules, built as JSON from the documented grammar (docs/segments.md).

    private static readonly Gen<string> Names = Gen.Select(Gen.Char["abcXYZ019_-"].Array[1, 6].Select(c => new string(c)).Array[1, 4], parts => string.Join('.', parts));

    /// <summary>Durations of a fixed length above zero and at most 3,660 days.</summary>
    private static readonly Gen<string> Durations = Gen.OneOf(
        Gen.Int[1, 3660].Select(d => $"P{d}D"),
        Gen.Int[1, 522].Select(w => $"P{w}W"),
        Gen.Int[1, 87_840].Select(h => $"PT{h}H"),
        Gen.Int[1, 5_000_000].Select(m => $"PT{m}M"),
        Gen.Int[1, 300_000_000].Select(s => $"PT{s}S"),
        Gen.Select(Gen.Int[1, 3000], Gen.Int[0, 23], Gen.Int[0, 59], Gen.Int[0, 59], (d, h, m, s) => $"P{d}DT{h}H{m}M{s}S"));

    /// <summary>ISO-8601 dates and date-times in the shapes both databases read.</summary>
    private static readonly Gen<string> Dates = Gen.Select(Gen.Long[new DateTime(1971, 1, 1).Ticks, new DateTime(2099, 12, 31).Ticks], Gen.Int[0, 5], Gen.Int[-12 * 4, 14 * 4],
        (ticks, shape, quarters) =>
        {
            var at = new DateTime(ticks, DateTimeKind.Utc);
            var offset = TimeSpan.FromMinutes(quarters * 15);
            var sign = offset < TimeSpan.Zero ? "-" : "+";
            return shape switch
            {
                0 => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                1 => at.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture),
                2 => at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                3 => at.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture),
                _ => at.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + sign + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture),
            };
        });

    private static readonly Gen<string> Texts = Gen.Frequency((6, Gen.String[0, 40]), (1, Gen.Char.Array[0, 1000].Select(c => new string(c))))
        .Select(s => JsonSerializer.Serialize(s));

    private static readonly Gen<string> FiniteNumbers = Gen.Frequency(
        (3, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))));

    private static readonly Gen<string> Scalars = Gen.OneOf(Texts, FiniteNumbers, Gen.OneOf("true", "false"));
    private static readonly Gen<string> Times = Gen.OneOf(Dates, Durations).Select(t => $"\"{t}\"");

    private static Gen<string> Values(AttributeOp op) => op switch
    {
        AttributeOp.Eq or AttributeOp.Neq => Scalars,
        AttributeOp.In => Scalars.Array[1, 6].Select(items => "[" + string.Join(",", items) + "]"),
        AttributeOp.Contains => Gen.String[1, 40].Where(s => s.Length > 0).Select(s => JsonSerializer.Serialize(s)),
        AttributeOp.Gt or AttributeOp.Gte or AttributeOp.Lt or AttributeOp.Lte => Gen.OneOf(FiniteNumbers, Times),
        AttributeOp.Between => Gen.OneOf(
            Gen.Select(FiniteNumbers, FiniteNumbers, (a, b) => $"[{a},{b}]"),
            Gen.Select(Times, Times, (a, b) => $"[{a},{b}]")),
        AttributeOp.Exists => Gen.OneOf("true", "false"),
        AttributeOp.Before or AttributeOp.After => Times,
        _ => Durations.Select(d => $"\"{d}\""),
    };

    private static Gen<string> Attributes(bool inEvent) =>
        Gen.Enum<AttributeOp>().SelectMany(op => Gen.Select(Names, Values(op), Gen.Bool, (name, value, omitExists) =>
        {
            var path = inEvent ? "properties." + string.Join('.', name.Split('.').Take(7)) : name;
            var valuePart = op == AttributeOp.Exists && omitExists ? "" : $",\"value\":{value}";
            return $"{{\"attribute\":\"{path}\",\"op\":\"{SegmentRuleParser.Name(op)}\"{valuePart}}}";
        }));

    private static Gen<string> Groups(Gen<string> inner) => Gen.Frequency(
        (2, Gen.Select(Gen.OneOf("all", "any"), inner.Array[0, 3], (kind, rules) => $"{{\"{kind}\":[{string.Join(",", rules)}]}}")),
        (1, inner.Select(rule => $"{{\"not\":{rule}}}")));

    private static Gen<string> Where(int depth) => depth == 0
        ? Attributes(inEvent: true)
        : Gen.Frequency((3, Attributes(inEvent: true)), (1, Groups(Where(depth - 1))));

    private static readonly Gen<string> Events = Gen.Select(Gen.String[1, 60].Where(s => s.Length > 0), Gen.Bool, Gen.Int[0, 1000], Gen.Bool, Durations, Gen.Bool, Where(2),
        (name, performed, atLeast, hasWithin, within, hasWhere, where) =>
        {
            var body = new List<string>();
            if (performed && atLeast > 0)
            {
                body.Add($"\"atLeast\":{atLeast}");
            }
            if (hasWithin)
            {
                body.Add($"\"within\":\"{within}\"");
            }
            if (hasWhere)
            {
                body.Add($"\"where\":{where}");
            }
            return $"{{\"event\":{JsonSerializer.Serialize(name)},\"{(performed ? "performed" : "notPerformed")}\":{{{string.Join(",", body)}}}}}";
        });

    private static readonly Gen<string> Countries = Gen.Char["aZinUSgb"].Array[2].Select(c => $"\"{new string(c)}\"");

    private static readonly Gen<string> Conditions = Gen.Frequency(
        (6, Attributes(inEvent: false)),
        (3, Events),
        (1, Gen.OneOf("promotional", "transactional", "service").Select(c => $"{{\"consent\":\"{c}\"}}")),
        (1, Gen.OneOf(Countries, Countries.Array[1, 5].Select(c => "[" + string.Join(",", c) + "]")).Select(c => $"{{\"country\":{c}}}")),
        (1, Gen.Select(Gen.Int[1, 10_000], Gen.OneOf(Gen.Const(""), Gen.String[0, 100].Select(s => $",\"seed\":{JsonSerializer.Serialize(s)}")),
            (hundredths, seed) => $"{{\"randomPercent\":{(hundredths / 100m).ToString(CultureInfo.InvariantCulture)}{seed}}}")));

    private static Gen<string> Rules(int depth) => depth == 0
        ? Conditions
        : Gen.Frequency((3, Conditions), (2, Groups(Rules(depth - 1))));

    [Fact]
    public void Parse_ValidRule_ParsesAndCompilesForBothDatabases()
    {
        var compiler = new SegmentCompiler(new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero)));
        Rules(3).Sample(json =>
        {
            var parse = SegmentRuleParser.Parse(json);
            Assert.True(parse.Ok, string.Join("; ", parse.Errors));

            foreach (var provider in (string[])["sqlite", "postgres"])
            {
                var filter = compiler.Compile(parse.Rule!, provider);
                var used = Parameter().Matches(filter.Where).Select(m => m.Groups[1].Value).ToHashSet();
                Assert.StartsWith("c.erased_at IS NULL AND ", filter.Where, StringComparison.Ordinal);
                Assert.Subset(filter.Parameters.Keys.ToHashSet(), used); // every parameter the SQL names is bound
            }
        }, iter: 5_000);
    }

    /// <summary>The valid rules of <see cref="Parse_ValidRule_ParsesAndCompilesForBothDatabases"/>.</summary>
    internal static Gen<string> ValidRules { get; } = Rules(3);

    /// <summary>A JSON string body: characters that JSON needs escaped are escaped, the rest (and ready-made escapes) kept.</summary>
    private static string Escape(string text) => text.StartsWith('\\') ? text : JsonEncodedText.Encode(text, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString();

    [GeneratedRegex(@"@(seg\d+)\b")]
    private static partial Regex Parameter();
}

/// <summary>Issue 14 §3: every valid rule's SQL runs on a real database (the seeded segment contacts).</summary>
public abstract class SegmentRuleDatabaseProperties(EngagementDatabaseFixture db)
{
    [Fact]
    public async Task Count_ValidRuleCompiled_RunsAndCountsAtMostEveryContact()
    {
        var compiler = new SegmentCompiler(db.Time);
        var everyone = await db.Db.Audience.CountAsync(compiler.Compile(new SegmentRule.All([]), db.Provider), CancellationToken.None);
        await SegmentRuleProperties.ValidRules.SampleAsync(async json =>
        {
            var parse = SegmentRuleParser.Parse(json);
            Assert.True(parse.Ok, string.Join("; ", parse.Errors));

            var count = await db.Db.Audience.CountAsync(compiler.Compile(parse.Rule!, db.Provider), CancellationToken.None);

            Assert.InRange(count, 0, everyone);
        }, iter: 200, threads: 1);
    }
}

/// <summary>On a SQLite file.</summary>
public sealed class SegmentRuleSqliteProperties(SqliteSegmentFixture db) : SegmentRuleDatabaseProperties(db), IClassFixture<SqliteSegmentFixture>;

/// <summary>On PostgreSQL (HERALD_TEST_POSTGRES).</summary>
public sealed class SegmentRulePostgresProperties(PostgresSegmentFixture db) : SegmentRuleDatabaseProperties(db), IClassFixture<PostgresSegmentFixture>;
