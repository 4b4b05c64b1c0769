using System.Text;

namespace Herald.Api;

/// <summary>The opaque <c>cursor</c> of a paged list: a position (the last item's key) behind a prefix that names the list, base64.</summary>
internal static class PageCursor
{
    public static string Encode(string list, string position) => Convert.ToBase64String(Encoding.UTF8.GetBytes(list + ":" + position)).TrimEnd('=');

    public static bool TryDecode(string list, string cursor, out string? position)
    {
        position = null;
        try
        {
            var padded = cursor.PadRight(cursor.Length + ((4 - (cursor.Length % 4)) % 4), '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            if (text.StartsWith(list + ":", StringComparison.Ordinal))
            {
                position = text[(list.Length + 1)..];
                return true;
            }
        }
        catch (FormatException)
        {
            // not one of ours
        }
        return false;
    }
}
