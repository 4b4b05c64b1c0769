using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Herald.Engagement.Segments;

/// <summary>A problem with one node of a rule: its JSON path (<c>$.all[1].op</c>) and what to fix.</summary>
public sealed record RuleError(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A parsed rule, or the problems that stopped it.</summary>
public sealed record RuleParse(SegmentRule? Rule, IReadOnlyList<RuleError> Errors)
{
    /// <summary>Whether the rule is valid.</summary>
    public bool Ok => Rule is not null && Errors.Count == 0;
}

/// <summary>
/// Reads a segment rule from JSON (docs/segments.md), collecting every problem with the JSON path of the node it is in,
/// e.g. <c>$.all[1].op: unknown operator "equals"; use one of eq, neq, …</c>.
/// </summary>
public static partial class SegmentRuleParser
{
    /// <summary>Deepest nesting of groups.</summary>
    public const int MaxDepth = 16;
    /// <summary>Most conditions and groups in one rule.</summary>
    public const int MaxNodes = 200;
    /// <summary>Most values in one <c>in</c> list.</summary>
    public const int MaxListItems = 1000;
    /// <summary>Longest string value.</summary>
    public const int MaxText = 1000;

    private static readonly string[] Kinds = ["all", "any", "not", "attribute", "event", "consent", "country", "randomPercent"];
    private static readonly string[] Categories = ["promotional", "transactional", "service"];
    private static readonly Dictionary<string, AttributeOp> Ops = Enum.GetValues<AttributeOp>().ToDictionary(Name, StringComparer.Ordinal);
    private static readonly string OpNames = string.Join(", ", Ops.Keys);

    /// <summary>Reads a rule from JSON text.</summary>
    public static RuleParse Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            return Parse(document.RootElement);
        }
        catch (JsonException ex)
        {
            return new RuleParse(null, [new RuleError("$", $"the rule is not valid JSON ({ex.Message}).")]);
        }
    }

    /// <summary>Reads a rule from a JSON element.</summary>
    public static RuleParse Parse(JsonElement json)
    {
        var reader = new Reader();
        try
        {
            var rule = reader.Node(json, "$", 0, inEvent: false);
            return reader.Errors.Count == 0 ? new RuleParse(rule, []) : new RuleParse(null, reader.Errors);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json reads an escaped lone surrogate ("\ud800") in a string or a key only when asked for the string.
            return new RuleParse(null, [new RuleError("$", "the rule holds a string that is not valid Unicode (an escaped lone surrogate such as \"\\ud800\"): remove it or write the whole character.")]);
        }
    }

    private sealed class Reader
    {
        private int _nodes;
        public List<RuleError> Errors { get; } = [];

        private SegmentRule? Fail(string path, string message)
        {
            Errors.Add(new RuleError(path, message));
            return null;
        }

        public SegmentRule? Node(JsonElement json, string path, int depth, bool inEvent)
        {
            if (json.ValueKind != JsonValueKind.Object)
            {
                return Fail(path, $"a rule node must be a JSON object such as {{\"attribute\": \"city\", \"op\": \"eq\", \"value\": \"Pune\"}}, not {Describe(json)}.");
            }
            if (++_nodes > MaxNodes)
            {
                return _nodes == MaxNodes + 1 ? Fail(path, $"a rule has at most {MaxNodes} nodes; split it into smaller segments.") : null;
            }
            if (depth > MaxDepth)
            {
                return Fail(path, $"a rule nests at most {MaxDepth} groups deep.");
            }
            var kinds = json.EnumerateObject().Select(p => p.Name).Where(n => Kinds.Contains(n, StringComparer.Ordinal)).ToList();
            if (kinds.Count != 1)
            {
                return Fail(path, kinds.Count == 0
                    ? $"a rule node needs one of the keys {string.Join(", ", Kinds)} (found {Keys(json)})."
                    : $"a rule node has one kind, but this one has {string.Join(" and ", kinds)}: put them in an \"all\" or \"any\" group.");
            }
            var kind = kinds[0];
            if (inEvent && kind is not ("all" or "any" or "not" or "attribute"))
            {
                return Fail($"{path}.{kind}", "an event's \"where\" holds only attribute conditions on the event (\"properties.…\") and all/any/not groups.");
            }
            return kind switch
            {
                "all" or "any" => Group(json, path, kind, depth, inEvent),
                "not" => Negation(json, path, depth, inEvent),
                "attribute" => Attribute(json, path, inEvent),
                "event" => Event(json, path, depth),
                "consent" => Consent(json, path),
                "country" => Country(json, path),
                _ => Random(json, path),
            };
        }

        private bool OnlyKeys(JsonElement json, string path, params string[] allowed)
        {
            var ok = true;
            foreach (var property in json.EnumerateObject())
            {
                if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                {
                    Fail($"{path}.{property.Name}", $"unknown key \"{property.Name}\"; this node takes {string.Join(", ", allowed.Select(a => $"\"{a}\""))}.");
                    ok = false;
                }
            }
            return ok;
        }

        private SegmentRule? Group(JsonElement json, string path, string kind, int depth, bool inEvent)
        {
            OnlyKeys(json, path, kind);
            var list = json.GetProperty(kind);
            var at = $"{path}.{kind}";
            if (list.ValueKind != JsonValueKind.Array)
            {
                return Fail(at, $"\"{kind}\" takes an array of rule nodes, not {Describe(list)}.");
            }
            var rules = new List<SegmentRule>();
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                if (Node(item, $"{at}[{i++}]", depth + 1, inEvent) is { } rule)
                {
                    rules.Add(rule);
                }
            }
            return kind == "all" ? new SegmentRule.All(rules) : new SegmentRule.Any(rules);
        }

        private SegmentRule.Not? Negation(JsonElement json, string path, int depth, bool inEvent)
        {
            OnlyKeys(json, path, "not");
            return Node(json.GetProperty("not"), $"{path}.not", depth + 1, inEvent) is { } rule ? new SegmentRule.Not(rule) : null;
        }

        private SegmentRule? Attribute(JsonElement json, string path, bool inEvent)
        {
            var keysOk = OnlyKeys(json, path, "attribute", "op", "value");
            var name = json.GetProperty("attribute");
            List<string>? segments = null;
            if (name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } text)
            {
                Fail($"{path}.attribute", "\"attribute\" names an attribute, e.g. \"city\" or \"address.city\".");
            }
            else if (!AttributePath().IsMatch(text))
            {
                Fail($"{path}.attribute", $"\"{text}\" is not an attribute name: use letters, digits, '_' and '-', with '.' between nested names (at most 8 levels).");
            }
            else
            {
                segments = [.. text.Split('.')];
                if (inEvent)
                {
                    if (segments.Count < 2 || segments[0] != "properties")
                    {
                        Fail($"{path}.attribute", $"inside an event's \"where\" an attribute is one of the event's properties: write \"properties.{text}\".");
                        segments = null;
                    }
                    else
                    {
                        segments.RemoveAt(0);
                    }
                }
            }
            if (!json.TryGetProperty("op", out var opJson))
            {
                return Fail($"{path}.op", $"\"op\" is required: one of {OpNames}.");
            }
            if (opJson.ValueKind != JsonValueKind.String || !Ops.TryGetValue(opJson.GetString()!, out var op))
            {
                return Fail($"{path}.op", $"unknown operator {(opJson.ValueKind == JsonValueKind.String ? $"\"{opJson.GetString()}\"" : Describe(opJson))}; use one of {OpNames}.");
            }
            var hasValue = json.TryGetProperty("value", out var valueJson);
            var value = Value(op, hasValue ? valueJson : null, $"{path}.value");
            return segments is not null && value is not null && keysOk ? new SegmentRule.Attribute(string.Join('.', segments), op, value) : null;
        }

        private RuleValue? Value(AttributeOp op, JsonElement? json, string path)
        {
            if (json is not { } value)
            {
                return op == AttributeOp.Exists ? new RuleValue.Flag(true) : Bad(path, $"\"value\" is required for \"{Name(op)}\": {Expect(op)}.");
            }
            switch (op)
            {
                case AttributeOp.Eq or AttributeOp.Neq:
                    return Scalar(value) ?? Bad(path, $"\"{Name(op)}\" compares with {Expect(op)}, not {Describe(value)}.");
                case AttributeOp.In:
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxListItems)
                    {
                        return Bad(path, $"\"in\" takes {Expect(op)}.");
                    }
                    var items = new List<RuleValue>();
                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        if (Scalar(item) is { } scalar)
                        {
                            items.Add(scalar);
                        }
                        else
                        {
                            Bad($"{path}[{i}]", $"an \"in\" list holds strings, numbers or booleans, not {Describe(item)}.");
                        }
                        i++;
                    }
                    return items.Count == value.GetArrayLength() ? new RuleValue.List(items) : null;
                case AttributeOp.Contains:
                    return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= MaxText } text
                        ? new RuleValue.Text(text)
                        : Bad(path, $"\"contains\" takes {Expect(op)}, not {Describe(value)}.");
                case AttributeOp.Gt or AttributeOp.Gte or AttributeOp.Lt or AttributeOp.Lte:
                    return value.ValueKind == JsonValueKind.Number ? Number(value, path) : Date(value, path, op);
                case AttributeOp.Between:
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
                    {
                        return Bad(path, $"\"between\" takes {Expect(op)}, not {Describe(value)}.");
                    }
                    var from = value[0].ValueKind == JsonValueKind.Number ? Number(value[0], $"{path}[0]") : Date(value[0], $"{path}[0]", op);
                    var to = value[1].ValueKind == JsonValueKind.Number ? Number(value[1], $"{path}[1]") : Date(value[1], $"{path}[1]", op);
                    if (from is null || to is null)
                    {
                        return null;
                    }
                    if ((from is RuleValue.Number) != (to is RuleValue.Number))
                    {
                        return Bad(path, "\"between\" takes two numbers or two dates, not one of each.");
                    }
                    return new RuleValue.Range(from, to);
                case AttributeOp.Exists:
                    return value.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? new RuleValue.Flag(value.GetBoolean())
                        : Bad(path, $"\"exists\" takes true (the attribute is set) or false (it is not), not {Describe(value)}.");
                case AttributeOp.Before or AttributeOp.After:
                    return Date(value, path, op);
                default: // within
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        return Bad(path, $"\"within\" takes {Expect(op)}, not {Describe(value)}.");
                    }
                    return IsoDuration.TryParse(value.GetString()!, out var window, out var error)
                        ? new RuleValue.Ago(window)
                        : Bad(path, $"\"within\" takes a duration: {error}");
            }
        }

        private RuleValue? Number(JsonElement value, string path) =>
            value.TryGetDouble(out var number) && double.IsFinite(number) ? new RuleValue.Number(number) : Bad(path, "the number is out of range.");

        private RuleValue? Date(JsonElement value, string path, AttributeOp op)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return Bad(path, $"\"{Name(op)}\" takes {Expect(op)}, not {Describe(value)}.");
            }
            var text = value.GetString()!;
            if (text.StartsWith('P'))
            {
                return IsoDuration.TryParse(text, out var ago, out var error) ? new RuleValue.Ago(ago) : Bad(path, error!);
            }
            return TryParseInstant(text, out var instant)
                ? new RuleValue.Instant(instant)
                : Bad(path, $"\"{text}\" is not a date: write an ISO-8601 date or date-time (\"2026-03-01\", \"2026-03-01T09:30:00Z\", \"2026-03-01T09:30:00+05:30\") or a duration ago (\"P7D\").");
        }

        private SegmentRule? Event(JsonElement json, string path, int depth)
        {
            var keysOk = OnlyKeys(json, path, "event", "performed", "notPerformed");
            var nameJson = json.GetProperty("event");
            string? name = null;
            if (nameJson.ValueKind != JsonValueKind.String || nameJson.GetString() is not { Length: > 0 and <= 200 } text)
            {
                Fail($"{path}.event", "\"event\" names the event as it is tracked, e.g. \"added_to_cart\".");
            }
            else
            {
                name = text;
            }
            var performed = json.TryGetProperty("performed", out var performedJson);
            var notPerformed = json.TryGetProperty("notPerformed", out var notPerformedJson);
            if (performed == notPerformed)
            {
                return Fail(path, "an event condition has either \"performed\" (e.g. {\"atLeast\": 1, \"within\": \"P7D\"}) or \"notPerformed\" (e.g. {\"within\": \"PT2H\"}).");
            }
            var body = performed ? performedJson : notPerformedJson;
            var at = $"{path}.{(performed ? "performed" : "notPerformed")}";
            if (body.ValueKind != JsonValueKind.Object)
            {
                return Fail(at, $"takes an object such as {{\"within\": \"P7D\"}} (or {{}} for ever), not {Describe(body)}.");
            }
            var ok = performed ? OnlyKeys(body, at, "atLeast", "within", "where") : OnlyKeys(body, at, "within", "where");
            var atLeast = 1;
            if (performed && body.TryGetProperty("atLeast", out var atLeastJson))
            {
                if (atLeastJson.ValueKind != JsonValueKind.Number || !atLeastJson.TryGetInt32(out atLeast) || atLeast < 1)
                {
                    ok = false;
                    Fail($"{at}.atLeast", $"\"atLeast\" is a whole number of times, 1 or more, not {Describe(atLeastJson)}.");
                }
            }
            TimeSpan? within = null;
            if (body.TryGetProperty("within", out var withinJson))
            {
                string? error = null;
                if (withinJson.ValueKind == JsonValueKind.String && IsoDuration.TryParse(withinJson.GetString()!, out var window, out error))
                {
                    within = window;
                }
                else
                {
                    ok = false;
                    Fail($"{at}.within", error ?? $"\"within\" is an ISO-8601 duration such as \"P7D\", not {Describe(withinJson)}.");
                }
            }
            SegmentRule? where = null;
            if (body.TryGetProperty("where", out var whereJson))
            {
                where = Node(whereJson, $"{at}.where", depth + 1, inEvent: true);
                ok &= where is not null;
            }
            return ok && keysOk && name is not null ? new SegmentRule.Event(name, performed, atLeast, within, where) : null;
        }

        private SegmentRule? Consent(JsonElement json, string path)
        {
            var keysOk = OnlyKeys(json, path, "consent");
            var value = json.GetProperty("consent");
            if (value.ValueKind != JsonValueKind.String || !Categories.Contains(value.GetString(), StringComparer.Ordinal))
            {
                return Fail($"{path}.consent", $"\"consent\" is a category: one of {string.Join(", ", Categories)}.");
            }
            return keysOk ? new SegmentRule.Consent(value.GetString()!) : null;
        }

        private SegmentRule? Country(JsonElement json, string path)
        {
            var keysOk = OnlyKeys(json, path, "country");
            var value = json.GetProperty("country");
            var codes = value.ValueKind switch
            {
                JsonValueKind.String => [value.GetString()!],
                JsonValueKind.Array when value.GetArrayLength() is > 0 and <= 300 && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String) =>
                    value.EnumerateArray().Select(v => v.GetString()!).ToList(),
                _ => null,
            };
            if (codes is null || codes.Any(c => !RegionCode().IsMatch(c)))
            {
                return Fail($"{path}.country", "\"country\" is an ISO 3166 region code such as \"IN\", or a list of them such as [\"IN\", \"US\"].");
            }
            return keysOk ? new SegmentRule.Country([.. codes.Select(c => c.ToUpperInvariant()).Distinct()]) : null;
        }

        private SegmentRule? Random(JsonElement json, string path)
        {
            var keysOk = OnlyKeys(json, path, "randomPercent", "seed");
            var value = json.GetProperty("randomPercent");
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var percent) || percent <= 0 || percent > 100
                || decimal.Round(percent, 2) != percent)
            {
                return Fail($"{path}.randomPercent", "\"randomPercent\" is a share of contacts above 0 and at most 100, with at most 2 decimals (e.g. 10 or 2.5).");
            }
            var seed = "";
            if (json.TryGetProperty("seed", out var seedJson))
            {
                if (seedJson.ValueKind != JsonValueKind.String || seedJson.GetString()!.Length > 100)
                {
                    return Fail($"{path}.seed", "\"seed\" is a string of at most 100 characters; the same seed picks the same contacts.");
                }
                seed = seedJson.GetString()!;
            }
            return keysOk ? new SegmentRule.RandomPercent(percent, seed) : null;
        }

        private RuleValue? Bad(string path, string message)
        {
            Errors.Add(new RuleError(path, message));
            return null;
        }
    }

    /// <summary>Reads an absolute date: <c>2026-03-01</c>, <c>2026-03-01T09:30</c>, with seconds, fractions, <c>Z</c> or an offset; without one it is UTC.</summary>
    public static bool TryParseInstant(string text, out DateTimeOffset instant)
    {
        instant = default;
        return IsoDate().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);
    }

    private static RuleValue? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String when value.GetString()!.Length <= MaxText => new RuleValue.Text(value.GetString()!),
        JsonValueKind.Number when value.TryGetDouble(out var n) && double.IsFinite(n) => new RuleValue.Number(n),
        JsonValueKind.True or JsonValueKind.False => new RuleValue.Flag(value.GetBoolean()),
        _ => null,
    };

    /// <summary>An operator's name in JSON.</summary>
    public static string Name(AttributeOp op) => op.ToString().ToLowerInvariant();

    private static string Expect(AttributeOp op) => op switch
    {
        AttributeOp.Eq or AttributeOp.Neq => "a string, a number or a boolean",
        AttributeOp.In => $"a list of 1 to {MaxListItems} strings, numbers or booleans, e.g. [\"Pune\", \"Mumbai\"]",
        AttributeOp.Contains => "a non-empty string",
        AttributeOp.Between => "two numbers or two dates, e.g. [18, 30] or [\"2026-01-01\", \"P7D\"]",
        AttributeOp.Exists => "true or false",
        AttributeOp.Within => "a duration such as \"P7D\"",
        _ => "a number, a date (\"2026-03-01\", \"2026-03-01T09:30:00Z\") or a duration ago (\"P7D\")",
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    private static string Keys(JsonElement json)
    {
        var names = json.EnumerateObject().Select(p => $"\"{Shorten(p.Name)}\"").ToList();
        return names.Count == 0 ? "no keys" : string.Join(", ", names);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    [GeneratedRegex(@"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,7}$")]
    private static partial Regex AttributePath();

    [GeneratedRegex(@"^[A-Za-z]{2}$")]
    private static partial Regex RegionCode();

    // The shapes both databases read the same way (see SegmentCompiler): a date, optionally a time, optionally Z or ±hh:mm.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex IsoDate();
}
