using System.Text;

namespace Herald.Tests.Security.BadInput;

/// <summary>The hostile values the bad-input suite puts into route values, query strings, JSON fields and form fields.</summary>
internal static class HostileValues
{
    public const int LongLength = 100_000;

    /// <summary>Already percent-encoded, so the URL carries them exactly (a path segment or a query value).</summary>
    public static IReadOnlyList<(string Label, string Value)> InUrl { get; } =
    [
        ("path traversal", "..%2F..%2Fetc%2Fpasswd"),
        ("encoded dots", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"),
        ("backslash traversal", "..%5C..%5Cwindows%5Cwin.ini"),
        ("100k characters", new string('a', LongLength)),
        ("7k characters", new string('b', 7_000)),
        ("control characters", "%00%01%07%1B%5B31m%0D%0Ainjected"),
        ("invalid UTF-8", "%FF%FE%C0%AE%ED%A0%80"),
        ("bidi and emoji", "%E2%80%AE%F0%9F%92%A9%CC%81"),
        ("SQL", "'%20OR%201%3D1--"),
        ("negative", "-1"),
        ("overflowing integer", "99999999999999999999999999"),
        ("long.MaxValue+1", "9223372036854775808"),
        ("overflowing duration", "99999999d"),
        ("negative duration", "-99999999d"),
        ("ISO duration", "P99999999Y"),
        ("exponent", "1e400"),
        ("NaN", "NaN"),
        ("empty", ""),
        ("percent", "%25%25%25"),
        ("reserved", "x%3F%23%26%3D"),
        ("space", "%20%20"),
    ];

    /// <summary>Raw JSON tokens that replace one field of a valid body (bytes, so invalid UTF-8 can be among them).</summary>
    public static IReadOnlyList<(string Label, byte[] Json)> InJson { get; } = BuildJsonTokens();

    /// <summary>Percent-encoded form values that replace one field of a valid form.</summary>
    public static IReadOnlyList<(string Label, string Value)> InForm { get; } =
    [
        ("null", ""),
        ("100k characters", new string('a', LongLength)),
        ("control characters", "%00%01%1B%5B31m%0D%0Ainjected"),
        ("invalid UTF-8", "%FF%FE%C0%AE"),
        ("broken escape", "%zz%"),
        ("overflowing integer", "99999999999999999999999999"),
        ("overflowing duration", "99999999d"),
        ("negative", "-1"),
        ("path traversal", "..%2F..%2Fetc%2Fpasswd"),
        ("markup", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        ("lone surrogate", "%ED%A0%80"),
    ];

    private static List<(string, byte[])> BuildJsonTokens()
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        var deep = new StringBuilder();
        deep.Append('[', 200).Append(']', 200);
        return
        [
            ("null", Utf8("null")),
            ("empty string", Utf8("\"\"")),
            ("100k characters", Utf8("\"" + new string('a', LongLength) + "\"")),
            ("100k multibyte characters", Utf8("\"" + string.Concat(Enumerable.Repeat("\u20AC", LongLength)) + "\"")),
            ("control characters", Utf8("\"\\u0000\\u001b[31m\\r\\n\\t\\u202e\"")),
            ("lone surrogate", Utf8("\"\\ud800\"")),
            ("invalid UTF-8", [(byte)'"', 0xC3, 0x28, 0xFF, 0xFE, (byte)'"']),
            ("overflowing exponent", Utf8("1e400")),
            ("overflowing integer", Utf8("99999999999999999999999999")),
            ("negative", Utf8("-1")),
            ("fraction", Utf8("0.5")),
            ("overflowing duration", Utf8("\"99999999d\"")),
            ("overflowing ISO duration", Utf8("\"P99999999DT99999999H\"")),
            ("overflowing TimeSpan", Utf8("\"99999999.23:59:59\"")),
            ("array of nulls", Utf8("[null,null]")),
            ("object with nulls", Utf8("{\"a\":[null,{\"b\":null}]}")),
            ("boolean", Utf8("true")),
            ("nested 200 deep", Utf8(deep.ToString())),
            ("path traversal", Utf8("\"../../etc/passwd\"")),
            ("markup", Utf8("\"<script>alert(1)</script>\"")),
        ];
    }
}
