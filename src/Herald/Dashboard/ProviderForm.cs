using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Api.Providers;
using Herald.Providers.Abstractions;

namespace Herald.Dashboard;

/// <summary>One key/value row of the Headers or Parameters tab.</summary>
public sealed class KeyValueRow
{
    /// <summary>The key.</summary>
    public string? Key { get; set; }

    /// <summary>The value (placeholders allowed).</summary>
    public string? Value { get; set; }

    /// <summary>Whether the value is a secret; null leaves it to the key's name (the settings' <c>secret</c> flag).</summary>
    public bool? Secret { get; set; }
}

/// <summary>
/// The provider form as posted: the kind, the nickname, and the kind's fields by settings path
/// (<c>Form.Values[endpoint]</c>, <c>Form.Rows[headers][0].Key</c>) as its <see cref="ProviderFormDescriptor"/> lays them out.
/// </summary>
public sealed class ProviderFormModel
{
    /// <summary>The kind (generic, kaleyra...).</summary>
    public string Kind { get; set; } = "generic";

    /// <summary>Nickname.</summary>
    public string? Nickname { get; set; }

    /// <summary>Field values by settings path.</summary>
    public Dictionary<string, string?> Values { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Key/value rows by settings path.</summary>
    public Dictionary<string, List<KeyValueRow>> Rows { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The sample callback of the Delivery reports tab's preview.</summary>
    public ReportSampleModel Sample { get; set; } = new();

    /// <summary>Which button posted the form: <c>preview</c> reads the sample instead of saving.</summary>
    public string? Action { get; set; }

    /// <summary>How Herald read the sample (after a preview), or why it could not.</summary>
    public ReportPreviewOutcome? Preview { get; private set; }

    /// <summary>Shows a preview's outcome with the form.</summary>
    internal void ShowPreview(ReportPreviewOutcome outcome) => Preview = outcome;

    /// <summary>The value at <paramref name="path"/>, or null.</summary>
    public string? Value(string path) => Values.TryGetValue(path, out var value) ? value : null;

    /// <summary>The rows at <paramref name="path"/> (created empty when none were posted).</summary>
    public List<KeyValueRow> RowsAt(string path) => Rows.TryGetValue(path, out var rows) && rows is not null ? rows : Rows[path] = [];
}

/// <summary>The sample callback typed into the report preview.</summary>
public sealed class ReportSampleModel
{
    /// <summary>GET or POST.</summary>
    public string? Method { get; set; } = "GET";

    /// <summary>The content type of a POST.</summary>
    public string? ContentType { get; set; }

    /// <summary>The query string (or the whole callback URL).</summary>
    public string? Query { get; set; }

    /// <summary>The body.</summary>
    public string? Body { get; set; }
}

/// <summary>A preview's outcome: the reading, or the errors of the sample or of the form's report settings.</summary>
public sealed record ReportPreviewOutcome(Herald.Api.DeliveryReports.ReportPreview? Reading, IReadOnlyDictionary<string, string[]>? Errors);

/// <summary>Turns a kind's form into the API's provider input and a stored provider back into the form, by its descriptor.</summary>
internal static class ProviderForms
{
    /// <summary>The form of a new provider of <paramref name="kind"/>: every field at its default.</summary>
    public static ProviderFormModel New(IProviderKind kind)
    {
        var form = new ProviderFormModel { Kind = kind.Kind };
        foreach (var element in Walk(kind.Form.Elements))
        {
            switch (element)
            {
                case FormField field:
                    form.Values[field.Path] = field.Default;
                    break;
                case FormRows rows:
                    form.Rows[rows.Path] = rows.Default.Select(r => new KeyValueRow { Key = r.Key, Value = r.Value }).ToList();
                    break;
            }
        }
        return form;
    }

    /// <summary>The form for a stored provider; its settings arrive masked, so secrets read <c>****</c>.</summary>
    public static ProviderFormModel FromView(ProviderView view, IProviderKind kind)
    {
        var form = new ProviderFormModel { Kind = view.Kind, Nickname = view.Nickname };
        foreach (var element in Walk(kind.Form.Elements))
        {
            switch (element)
            {
                case FormField field:
                    form.Values[field.Path] = At(view.Settings, field.Path) is { } value ? Text(value) ?? field.Default : field.Default;
                    break;
                case FormRows rows:
                    form.Rows[rows.Path] = At(view.Settings, rows.Path) is { ValueKind: JsonValueKind.Array } array
                        ? array.EnumerateArray().Select(r => new KeyValueRow
                        {
                            Key = Text(At(r, rows.KeyName)), Value = Text(At(r, rows.ValueName)),
                            Secret = At(r, "secret") is { ValueKind: JsonValueKind.True or JsonValueKind.False } secret ? secret.GetBoolean() : null,
                        }).ToList()
                        : [];
                    break;
            }
        }
        return form;
    }

    /// <summary>Drops rows with neither key nor value (an "Add" clicked once too often), so errors line up with what is shown.</summary>
    public static void Tidy(ProviderFormModel form)
    {
        foreach (var path in form.Rows.Keys.ToList())
        {
            form.Rows[path] = (form.Rows[path] ?? []).Where(r => !string.IsNullOrWhiteSpace(r.Key) || !string.IsNullOrEmpty(r.Value)).ToList();
        }
    }

    /// <summary>The API's input: the fields shown for the current choices, at their settings paths.</summary>
    public static ProviderInput ToInput(ProviderFormModel form, IProviderKind kind)
    {
        var settings = new JsonObject();
        Collect(kind.Form.Elements, form, settings);
        return new ProviderInput(form.Nickname, form.Kind, JsonSerializer.SerializeToElement(settings));
    }

    /// <summary>The report declaration the form's fields make (at <paramref name="path"/> in the settings), for a preview before saving.</summary>
    public static JsonElement? ReportsOf(ProviderFormModel form, IProviderKind kind, string path)
    {
        var settings = ToInput(form, kind).Settings;
        var node = settings;
        foreach (var part in path.Split('.'))
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(part, out node))
            {
                return null;
            }
        }
        return node;
    }

    /// <summary>Whether an element's condition holds for the form's current values.</summary>
    public static bool Shown(FormElement element, ProviderFormModel form) =>
        element.When is not { } when || string.Equals(form.Value(when.Path), when.Value, StringComparison.OrdinalIgnoreCase);

    /// <summary>The form field name of a value.</summary>
    public static string ValueName(string path) => $"Form.Values[{path}]";

    /// <summary>The form field name prefix of rows.</summary>
    public static string RowsName(string path) => $"Form.Rows[{path}]";

    /// <summary>Every element of a descriptor, groups and companions included, depth first.</summary>
    public static IEnumerable<FormElement> Walk(IEnumerable<FormElement> elements)
    {
        foreach (var element in elements)
        {
            yield return element;
            if (element is FormGroup group)
            {
                foreach (var child in Walk(group.Children))
                {
                    yield return child;
                }
            }
            else if (element is FormField { Companion: { } companion })
            {
                yield return companion;
            }
        }
    }

    /// <summary>The error keys a form shows beside a field; any other is listed at the top.</summary>
    public static bool IsPlaced(string key, ProviderFormDescriptor? descriptor)
    {
        if (key is "kind" or "nickname")
        {
            return true;
        }
        if (descriptor is null || !key.StartsWith("settings.", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var element in Walk(descriptor.Elements))
        {
            switch (element)
            {
                case FormField field when key == "settings." + field.Path || field.MoreErrors.Contains(key):
                    return true;
                case FormRows rows when key == "settings." + rows.Path || RowKey(rows.Path).IsMatch(key):
                    return true;
            }
        }
        return false;
    }

    /// <summary>Whether a collapsed group opens: it holds an error, or an optional field with a value.</summary>
    public static bool Opens(FormGroup group, ProviderFormModel form, IReadOnlyDictionary<string, string[]>? errors) =>
        Walk(group.Children).Any(e => e switch
        {
            FormField field => errors?.ContainsKey("settings." + field.Path) == true || (field.Optional && !string.IsNullOrEmpty(form.Value(field.Path))),
            FormRows rows => errors?.Keys.Any(k => k.StartsWith("settings." + rows.Path, StringComparison.Ordinal)) == true,
            _ => false,
        });

    /// <summary>The host a provider sends to, for the list.</summary>
    public static string EndpointHost(ProviderView view, IProviderKind? kind)
    {
        if (kind?.Form.HostPath is not { } path || At(view.Settings, path) is not { ValueKind: JsonValueKind.String } value)
        {
            return "";
        }
        var text = value.GetString() ?? "";
        return Uri.TryCreate(text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text, UriKind.Absolute, out var uri)
            ? uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}"
            : text;
    }

    private static Regex RowKey(string path) => new($@"^settings\.{Regex.Escape(path)}\[\d+\](\.\w+)?$", RegexOptions.CultureInvariant);

    private static void Collect(IEnumerable<FormElement> elements, ProviderFormModel form, JsonObject settings)
    {
        foreach (var element in elements.Where(e => Shown(e, form)))
        {
            switch (element)
            {
                case FormGroup group:
                    Collect(group.Children, form, settings);
                    break;
                case FormField field:
                    Put(field, form, settings);
                    if (field.Companion is { } companion)
                    {
                        Put(companion, form, settings);
                    }
                    break;
                case FormRows rows:
                    Set(settings, rows.Path, new JsonArray(form.RowsAt(rows.Path)
                        .Select(r => Row(r, rows)).ToArray()));
                    break;
            }
        }
    }

    private static JsonObject Row(KeyValueRow row, FormRows rows)
    {
        var node = new JsonObject { [rows.KeyName] = row.Key?.Trim() ?? "", [rows.ValueName] = row.Value ?? "" };
        if (rows.SecretFlags && row.Secret is { } secret)
        {
            node["secret"] = secret;
        }
        return node;
    }

    private static void Put(FormField field, ProviderFormModel form, JsonObject settings)
    {
        var raw = form.Value(field.Path);
        JsonNode? value;
        switch (field.Input)
        {
            case FormInput.Checkbox:
                value = JsonValue.Create(string.Equals(raw, "true", StringComparison.OrdinalIgnoreCase) || string.Equals(raw, "on", StringComparison.OrdinalIgnoreCase));
                break;
            case FormInput.Number:
                // A number goes as a number; anything else as typed, so validation names the field.
                var text = string.IsNullOrWhiteSpace(raw) ? field.Default : raw.Trim();
                if (text is null)
                {
                    return;
                }
                value = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(text);
                break;
            default:
                if (field.Optional && string.IsNullOrWhiteSpace(raw))
                {
                    return;
                }
                value = JsonValue.Create(field.Input is FormInput.Secret or FormInput.Multiline ? raw ?? "" : raw?.Trim() ?? "");
                break;
        }
        Set(settings, field.Path, value);
    }

    private static void Set(JsonObject settings, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = settings;
        foreach (var part in parts[..^1])
        {
            node = node[part] as JsonObject ?? (JsonObject)(node[part] = new JsonObject());
        }
        node[parts[^1]] = value;
    }

    private static JsonElement? At(JsonElement root, string path)
    {
        var node = root;
        foreach (var part in path.Split('.'))
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(part, out node))
            {
                return null;
            }
        }
        return node;
    }

    private static string? Text(JsonElement? value) => value?.ValueKind switch
    {
        JsonValueKind.String => value.Value.GetString(),
        JsonValueKind.Number => value.Value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };
}
