using System.CommandLine;
using System.Globalization;

namespace Herald.Cli.Client;

/// <summary>Duration options people can type: <c>30</c> or <c>30s</c> (seconds), <c>500ms</c>, <c>2m</c>, <c>1h</c>, or <c>00:01:30</c>.</summary>
internal static class Durations
{
    public static Option<TimeSpan> Option(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = $"{description} (e.g. 30s, 2m, 500ms). Default: {Format(defaultValue)}.",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
            if (TryParse(text, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }
            result.AddError($"{name} '{text}' is not a positive duration such as 30s, 2m or 500ms.");
            return defaultValue;
        },
    };

    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim().ToLowerInvariant();
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                value = TimeSpan.FromSeconds(amount * scale);
                return true;
            }
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }

    public static string Format(TimeSpan value) =>
        value.TotalSeconds < 1 ? $"{value.TotalMilliseconds:0}ms" : value.TotalSeconds < 120 ? $"{value.TotalSeconds:0.#}s" : $"{value.TotalMinutes:0.#}m";
}
