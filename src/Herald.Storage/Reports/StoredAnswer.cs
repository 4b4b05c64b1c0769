using System.Globalization;

namespace Herald.Storage.Reports;

/// <summary>
/// The answer stored with a raw report, as short as it can be read back: the usual one, every record applied
/// (<c>{"status":"success","processed":N,"unprocessed":[]}</c>), is kept as its count alone (<c>N</c>) and spelt out again when
/// read, so a report's row does not repeat forty bytes of JSON that say "applied". Any other answer is stored as given (JSON,
/// starting with <c>{</c>).
/// </summary>
internal static class StoredAnswer
{
    private const string SuccessPrefix = """{"status":"success","processed":""";
    private const string SuccessSuffix = ""","unprocessed":[]}""";

    /// <summary>The text to store for <paramref name="answer"/>.</summary>
    public static string Compact(string answer)
    {
        if (answer.Length > SuccessPrefix.Length + SuccessSuffix.Length
            && answer.StartsWith(SuccessPrefix, StringComparison.Ordinal) && answer.EndsWith(SuccessSuffix, StringComparison.Ordinal))
        {
            var count = answer.AsSpan(SuccessPrefix.Length, answer.Length - SuccessPrefix.Length - SuccessSuffix.Length);
            if (count.Length <= 9 && IsDigits(count) && (count.Length == 1 || count[0] != '0'))
            {
                return count.ToString();
            }
        }
        return answer;
    }

    /// <summary>The answer as given, from its stored text (null while the report is pending).</summary>
    public static string? Expand(string? stored) =>
        stored is { Length: > 0 } && IsDigits(stored)
            ? string.Create(CultureInfo.InvariantCulture, $"{SuccessPrefix}{stored}{SuccessSuffix}")
            : stored;

    /// <summary>SQL that is true for a stored answer that did not apply its report in full (pending, or not a plain success).</summary>
    public const string NotAppliedSql = """(result IS NULL OR (result LIKE '{%' AND result NOT LIKE '{"status":"success"%'))""";

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }
}
