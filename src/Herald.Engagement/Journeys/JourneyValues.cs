using System.Globalization;
using System.Text.Json;

namespace Herald.Engagement.Journeys;

/// <summary>Reads and compares the JSON values of event properties and contact attributes.</summary>
internal static class JourneyValues
{
    /// <summary>The JSON object's member <paramref name="name"/>, or null.</summary>
    public static JsonElement? Get(string? json, string name)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out var value) ? value.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Numbers as numbers, the rest as text (case-sensitive): "42" equals 42.</summary>
    public static bool Equal(JsonElement a, JsonElement b)
    {
        if (Number(a) is { } x && Number(b) is { } y)
        {
            return x == y;
        }
        return Text(a) is { } s && Text(b) is { } t && string.Equals(s, t, StringComparison.Ordinal);
    }

    /// <summary>Numbers by value, dates by instant, the rest ordinally; null when they do not compare.</summary>
    public static int? Compare(JsonElement a, JsonElement b)
    {
        if (Number(a) is { } x && Number(b) is { } y)
        {
            return x.CompareTo(y);
        }
        if (Instant(a) is { } p && Instant(b) is { } q)
        {
            return p.CompareTo(q);
        }
        return Text(a) is { } s && Text(b) is { } t ? string.CompareOrdinal(s, t) : null;
    }

    public static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static decimal? Number(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetDecimal(out var d) => d,
        JsonValueKind.String when decimal.TryParse(value.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    /// <summary>A date (midnight UTC) or an instant.</summary>
    public static DateTimeOffset? Instant(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        var text = value.GetString()!;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        return text.Length >= 16 && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) ? instant : null;
    }

    /// <summary>Whether every property in <paramref name="names"/> is present in both and equal.</summary>
    public static bool SameAs(string? trigger, string? other, IReadOnlyList<string>? names)
    {
        foreach (var name in names ?? [])
        {
            if (Get(trigger, name) is not { } a || Get(other, name) is not { } b || !Equal(a, b))
            {
                return false;
            }
        }
        return true;
    }
}
