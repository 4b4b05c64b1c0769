using System.Globalization;
using System.Text.Json.Nodes;
using Herald.Engagement.Contacts;

namespace Herald.Engagement.Imports;

/// <summary>
/// What each CSV column fills: <c>phone</c>, <c>externalId</c>, <c>timezone</c>, <c>locale</c>, <c>consent.&lt;category&gt;</c>,
/// <c>attributes.&lt;name&gt;</c>, or nothing (<c>ignore</c>). A column the mapping does not name fills what its header says when the
/// header is one of those targets, else the attribute of the header's name.
/// </summary>
internal sealed class ImportColumns
{
    private readonly (string Kind, string? Name)[] _targets;

    private ImportColumns((string Kind, string? Name)[] targets) => _targets = targets;

    /// <summary>Plans the columns of <paramref name="header"/>; null with <paramref name="error"/> when the mapping or header does not work.</summary>
    public static ImportColumns? Plan(IReadOnlyList<string> header, IReadOnlyDictionary<string, string>? mapping, out string? error)
    {
        error = null;
        mapping ??= new Dictionary<string, string>();
        var missing = mapping.Keys.Where(k => !header.Contains(k, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            error = $"The mapping names column '{missing[0]}', which the CSV header does not have (its columns: {string.Join(", ", header)}).";
            return null;
        }
        var targets = new (string Kind, string? Name)[header.Count];
        for (var i = 0; i < header.Count; i++)
        {
            var given = mapping.TryGetValue(header[i], out var mapped);
            var target = Target(given ? mapped! : header[i], explicitAttribute: !given, out var problem);
            if (problem is not null)
            {
                error = $"Column '{header[i]}': {problem}";
                return null;
            }
            targets[i] = target;
        }
        var duplicate = targets.Where(t => t.Kind != "ignore").GroupBy(t => (t.Kind, t.Name)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            error = $"Two columns fill {Describe(duplicate.Key)}: map one of them to another target or to \"ignore\".";
            return null;
        }
        if (!targets.Any(t => t.Kind == "phone"))
        {
            error = $"No column holds the phone number: name a column 'phone', or map one, e.g. mapping {{\"Mobile\": \"phone\"}} (the CSV's columns: {string.Join(", ", header)}).";
            return null;
        }
        return new ImportColumns(targets);
    }

    private static string Describe((string Kind, string? Name) target) => target.Name is null ? target.Kind : $"{target.Kind}.{target.Name}";

    private static (string Kind, string? Name) Target(string text, bool explicitAttribute, out string? problem)
    {
        problem = null;
        var t = text.Trim();
        var lower = t.ToLowerInvariant();
        switch (lower)
        {
            case "phone":
                return ("phone", null);
            case "externalid" or "external_id":
                return ("externalId", null);
            case "timezone":
                return ("timezone", null);
            case "locale":
                return ("locale", null);
            case "ignore" or "":
                return ("ignore", null);
        }
        if (lower.StartsWith("consent.", StringComparison.Ordinal))
        {
            var category = lower["consent.".Length..];
            if (!ContactRules.Categories.Contains(category))
            {
                problem = $"'{category}' is not a consent category: use consent.{string.Join(", consent.", ContactRules.Categories)}.";
            }
            return ("consent", category);
        }
        var name = lower.StartsWith("attributes.", StringComparison.Ordinal) ? t["attributes.".Length..] : t;
        if (name.Length is 0 or > 100)
        {
            problem = explicitAttribute ? "a header names an attribute of 1 to 100 characters." : $"'{text}' is not a target: use phone, externalId, timezone, locale, consent.<category>, attributes.<name> or ignore.";
        }
        return ("attribute", name);
    }

    /// <summary>A row's contact input, or null with <paramref name="error"/> when a consent cell is not a yes or a no.</summary>
    public ContactInput? Read(IReadOnlyList<string?> row, out string? error)
    {
        error = null;
        string? phone = null, externalId = null, zone = null, locale = null;
        JsonObject? attributes = null, consent = null;
        for (var i = 0; i < _targets.Length && i < row.Count; i++)
        {
            var cell = row[i]?.Trim();
            if (string.IsNullOrEmpty(cell))
            {
                continue; // an empty cell changes nothing
            }
            var (kind, name) = _targets[i];
            switch (kind)
            {
                case "phone":
                    phone = cell;
                    break;
                case "externalId":
                    externalId = cell;
                    break;
                case "timezone":
                    zone = cell;
                    break;
                case "locale":
                    locale = cell;
                    break;
                case "consent":
                    bool? granted = cell.ToLowerInvariant() switch
                    {
                        "true" or "yes" or "y" or "1" or "granted" or "opt-in" => true,
                        "false" or "no" or "n" or "0" or "withdrawn" or "opt-out" => false,
                        _ => null,
                    };
                    if (granted is null)
                    {
                        error = $"consent.{name}: '{cell}' is not a yes or a no (write true/false, yes/no or 1/0).";
                        return null;
                    }
                    (consent ??= [])[name!] = granted.Value;
                    break;
                case "attribute":
                    (attributes ??= [])[name!] = Value(cell);
                    break;
            }
        }
        return new ContactInput { Phone = phone, ExternalId = externalId, Timezone = zone, Locale = locale, Attributes = attributes, Consent = consent };
    }

    /// <summary>
    /// A cell as an attribute value: true/false as booleans, plain numbers as numbers (not ones with a leading zero or a plus,
    /// such as postcodes and phone numbers, which stay text), anything else (ISO dates too) as text.
    /// </summary>
    internal static JsonNode Value(string cell)
    {
        if (cell.Equals("true", StringComparison.OrdinalIgnoreCase) || cell.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return JsonValue.Create(cell.Equals("true", StringComparison.OrdinalIgnoreCase));
        }
        var digits = cell.StartsWith('-') ? cell[1..] : cell;
        var plain = digits.Length is > 0 and <= 15 && char.IsAsciiDigit(digits[0]) && !(digits.Length > 1 && digits[0] == '0' && digits[1] != '.')
            && digits.All(c => char.IsAsciiDigit(c) || c == '.') && digits.Count(c => c == '.') <= 1 && !digits.EndsWith('.');
        if (plain)
        {
            return digits.Contains('.')
                ? JsonValue.Create(decimal.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture))
                : JsonValue.Create(long.Parse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }
        return JsonValue.Create(cell);
    }
}
