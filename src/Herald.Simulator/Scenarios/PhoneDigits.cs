namespace Herald.Simulator.Scenarios;

/// <summary>Recipient number parsing shared by both faces.</summary>
internal static class PhoneDigits
{
    /// <summary>
    /// Accepts an optional leading <c>+</c> then 8 to 15 digits; spaces, dots, dashes and parentheses
    /// between digits are tolerated. Returns the digits only.
    /// </summary>
    public static bool TryGet(ReadOnlySpan<char> to, out string digits)
    {
        var span = to.Trim();
        if (span.StartsWith("+"))
        {
            span = span[1..];
        }

        Span<char> buffer = stackalloc char[16];
        var count = 0;
        foreach (var c in span)
        {
            if (char.IsAsciiDigit(c))
            {
                if (count == buffer.Length)
                {
                    digits = "";
                    return false;
                }

                buffer[count++] = c;
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                digits = "";
                return false;
            }
        }

        if (count is < 8 or > 15)
        {
            digits = "";
            return false;
        }

        digits = new string(buffer[..count]);
        return true;
    }
}
