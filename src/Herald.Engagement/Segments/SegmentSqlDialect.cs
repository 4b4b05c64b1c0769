namespace Herald.Engagement.Segments;

/// <summary>
/// What differs between SQLite and PostgreSQL when a segment becomes SQL: reading a typed value at a JSON path, and a few
/// functions. Every expression answers NULL (never an error) when the value is absent or of another JSON type, so a
/// condition on a number never matches a string and a cast never fails on someone's odd attribute.
/// </summary>
internal abstract class SegmentSqlDialect
{
    public static SegmentSqlDialect For(string provider) => provider.Trim().ToLowerInvariant() switch
    {
        "sqlite" => Sqlite.Instance,
        "postgres" or "postgresql" => Postgres.Instance,
        _ => throw new ArgumentException($"Segments compile for sqlite or postgres, not '{provider}'.", nameof(provider)),
    };

    /// <summary>Whether "N events within a window" is best one grouped pass over the events (true) or a count per candidate contact.</summary>
    public abstract bool GroupsEventCounts { get; }

    /// <summary>A JSON string at the path, as text.</summary>
    public abstract string Text(string json, Path path);
    /// <summary>A JSON number at the path, as a floating-point number.</summary>
    public abstract string Number(string json, Path path);
    /// <summary>A JSON boolean at the path, as the text <c>true</c> or <c>false</c>.</summary>
    public abstract string Flag(string json, Path path);
    /// <summary>A JSON string at the path that is an ISO-8601 date, as Unix milliseconds (a date or time without an offset is UTC).</summary>
    public abstract string DateMs(string json, Path path);
    /// <summary>Whether the path holds a value other than null.</summary>
    public abstract string Present(string json, Path path);
    /// <summary>Whether the path holds an array with the string <paramref name="value"/> in it.</summary>
    public abstract string ArrayHas(string json, Path path, string value);
    /// <summary>Whether <paramref name="text"/> contains <paramref name="value"/> (case-sensitive).</summary>
    public abstract string Contains(string text, string value);
    /// <summary>The code of the character at a 1-based position of <paramref name="text"/>, 0 past its end.</summary>
    public abstract string CharCode(string text, int position);

    /// <summary>
    /// A JSON path: SQLite takes it as one <c>$."a"."b"</c> parameter; PostgreSQL as one key parameter per level, and as a strict
    /// SQL/JSON path per JSON type (<c>strict $."a"."b" ? (@.type() == "number")</c>), which reads the value and checks its type
    /// in one parse of the document.
    /// </summary>
    public sealed record Path(string Whole, IReadOnlyList<string> Keys, string Number = "", string Text = "", string Flag = "");

    public abstract Path MakePath(IReadOnlyList<string> keys, Func<object, string> parameter);

    private sealed class Sqlite : SegmentSqlDialect
    {
        public static readonly Sqlite Instance = new();

        public override bool GroupsEventCounts => false;

        public override Path MakePath(IReadOnlyList<string> keys, Func<object, string> parameter) =>
            // Keys are letters, digits, '_' and '-' (the parser checks), so quoting each one is enough.
            new(parameter("$" + string.Concat(keys.Select(k => $".\"{k}\""))), []);

        private static string Type(string json, Path p) => $"json_type({json}, {p.Whole})";
        private static string Value(string json, Path p) => $"json_extract({json}, {p.Whole})";

        public override string Text(string json, Path p) => $"(CASE WHEN {Type(json, p)} = 'text' THEN {Value(json, p)} END)";
        public override string Number(string json, Path p) => $"(CASE WHEN {Type(json, p)} IN ('integer', 'real') THEN {Value(json, p)} END)";
        public override string Flag(string json, Path p) => $"(CASE WHEN {Type(json, p)} IN ('true', 'false') THEN {Type(json, p)} END)";

        // julianday reads the same ISO-8601 shapes as herald_iso_ms on PostgreSQL; the GLOB keeps out numbers-as-text, which it would
        // take for Julian day numbers, and the date() round trip days that do not exist (2026-02-30), which it would roll over.
        public override string DateMs(string json, Path p) =>
            $"(CASE WHEN {Type(json, p)} = 'text' AND {Value(json, p)} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' " +
            $"AND date(substr({Value(json, p)}, 1, 10)) = substr({Value(json, p)}, 1, 10) " +
            $"THEN CAST(round((julianday({Value(json, p)}) - 2440587.5) * 86400000.0) AS INTEGER) END)";

        public override string Present(string json, Path p) => $"COALESCE({Type(json, p)}, 'null') <> 'null'";
        public override string ArrayHas(string json, Path p, string value) =>
            $"({Type(json, p)} = 'array' AND EXISTS (SELECT 1 FROM json_each({json}, {p.Whole}) j WHERE j.type = 'text' AND j.value = {value}))";
        public override string Contains(string text, string value) => $"instr({text}, {value}) > 0";
        public override string CharCode(string text, int position) => $"COALESCE(unicode(substr({text}, {position}, 1)), 0)";
    }

    private sealed class Postgres : SegmentSqlDialect
    {
        public static readonly Postgres Instance = new();

        public override bool GroupsEventCounts => true;

        public override Path MakePath(IReadOnlyList<string> keys, Func<object, string> parameter)
        {
            // Keys are letters, digits, '_' and '-' (the parser checks), so quoting each one is enough.
            var path = "strict $" + string.Concat(keys.Select(k => $".\"{k}\""));
            return new("", [.. keys.Select(k => parameter(k))], parameter(path + " ? (@.type() == \"number\")"),
                parameter(path + " ? (@.type() == \"string\")"), parameter(path + " ? (@.type() == \"boolean\")"));
        }

        private static string At(string json, Path p) => $"({json}::jsonb" + string.Concat(p.Keys.Select(k => $" -> {k}::text")) + ")";
        private static string Type(string json, Path p) => $"jsonb_typeof({At(json, p)})";

        // silent = true: a missing key (an error in strict mode) is simply no value.
        private static string First(string json, string path) => $"jsonb_path_query_first({json}::jsonb, {path}::jsonpath, '{{}}', true)";

        public override string Text(string json, Path p) => $"({First(json, p.Text)} #>> '{{}}')";
        public override string Number(string json, Path p) => $"({First(json, p.Number)})::float8";
        public override string Flag(string json, Path p) => $"({First(json, p.Flag)} #>> '{{}}')";
        public override string DateMs(string json, Path p) => $"herald_iso_ms({Text(json, p)})";
        public override string Present(string json, Path p) => $"COALESCE({Type(json, p)}, 'null') <> 'null'";
        public override string ArrayHas(string json, Path p, string value) =>
            $"({Type(json, p)} = 'array' AND {At(json, p)} @> jsonb_build_array({value}::text))";
        public override string Contains(string text, string value) => $"strpos({text}, {value}::text) > 0";
        public override string CharCode(string text, int position) => $"ascii(substr({text}, {position}, 1))";
    }
}
