namespace Herald.Providers.Abstractions;

/// <summary>
/// What a kind's dashboard form asks for and where each answer goes in its settings. The dashboard renders it: no kind
/// has markup of its own. Texts may mark code with backticks (<c>`$$To`</c>), shown as code.
/// </summary>
/// <param name="Summary">One sentence under the kind's name when adding a provider.</param>
/// <param name="Elements">The fields, in order.</param>
public sealed record ProviderFormDescriptor(string Summary, IReadOnlyList<FormElement> Elements)
{
    /// <summary>Buttons that fill the form with a known configuration (e.g. "Fill with Kaleyra preset").</summary>
    public IReadOnlyList<FormPreset> Presets { get; init; } = [];

    /// <summary>Placeholders listed beside the form, with what each means; empty for kinds whose settings take none.</summary>
    public IReadOnlyList<FormPlaceholder> Placeholders { get; init; } = [];

    /// <summary>The settings path whose value names the host the provider sends to (shown in the providers list).</summary>
    public string? HostPath { get; init; }

    /// <summary>The hint under a saved provider's Callback URL.</summary>
    public string CallbackHint { get; init; } =
        "Give this URL to your provider (Kaleyra support) for delivery reports, or send it with the `$$CallbackURL` placeholder, e.g. in a `callback_url` header.";

    /// <summary>The hint under the Callback URL of a provider not saved yet.</summary>
    public string NewCallbackHint { get; init; } =
        "Herald makes this provider's delivery-report URL when you save. Until then, use the `$$CallbackURL` placeholder where the provider expects it (the Kaleyra preset puts it in the `callback_url` header).";
}

/// <summary>Shows an element, and sends its values, only while the field at <paramref name="Path"/> has <paramref name="Value"/>.</summary>
public sealed record FormCondition(string Path, string Value);

/// <summary>One part of a form.</summary>
public abstract record FormElement
{
    /// <summary>When set, the element is shown and sent only while the condition holds.</summary>
    public FormCondition? When { get; init; }
}

/// <summary>How a field is entered.</summary>
public enum FormInput
{
    /// <summary>One line of text.</summary>
    Text,
    /// <summary>A secret: typed hidden, stored encrypted, shown as <c>****</c>.</summary>
    Secret,
    /// <summary>A whole number; sent as a number when it is one, else as typed (so validation names the field).</summary>
    Number,
    /// <summary>Several lines of text.</summary>
    Multiline,
    /// <summary>One of <see cref="FormField.Options"/>, from a list.</summary>
    Select,
    /// <summary>One of <see cref="FormField.Options"/>, as radio buttons.</summary>
    Radio,
    /// <summary>A yes/no box, sent as true or false.</summary>
    Checkbox,
}

/// <summary>A choice of a select or radio field, or a suggestion of a text field.</summary>
public sealed record FormOption(string Value, string Label);

/// <summary>A field bound to one settings value.</summary>
/// <param name="Path">Where the value goes in the settings, dot-separated (<c>authentication.username</c>); errors for <c>settings.{Path}</c> show beside it.</param>
/// <param name="Id">The input's HTML id.</param>
/// <param name="Label">Its label.</param>
/// <param name="Input">How it is entered.</param>
public sealed record FormField(string Path, string Id, string Label, FormInput Input = FormInput.Text) : FormElement
{
    /// <summary>Help under the field.</summary>
    public string? Hint { get; init; }

    /// <summary>Help under the field of a saved provider only (e.g. how to keep a stored secret).</summary>
    public string? SavedHint { get; init; }

    /// <summary>The placeholder text of an empty input.</summary>
    public string? Placeholder { get; init; }

    /// <summary>The value of a new provider, and of a stored one without it.</summary>
    public string? Default { get; init; }

    /// <summary>Choices (select, radio) or suggestions (text).</summary>
    public IReadOnlyList<FormOption> Options { get; init; } = [];

    /// <summary>Blank is left out of the settings rather than sent empty.</summary>
    public bool Optional { get; init; }

    /// <summary>Code-like text: monospace, no spell checking.</summary>
    public bool Code { get; init; }

    /// <summary>The input mode hint for on-screen keyboards (url, numeric).</summary>
    public string? InputMode { get; init; }

    /// <summary>The label is read by screen readers but not shown (the surrounding legend says it).</summary>
    public bool HideLabel { get; init; }

    /// <summary>The field must be filled in the browser before posting.</summary>
    public bool Required { get; init; }

    /// <summary>Visible rows of a multiline field.</summary>
    public int Lines { get; init; } = 10;

    /// <summary>A second field shown in the same place, after this one (e.g. a checkbox that widens what it accepts).</summary>
    public FormField? Companion { get; init; }

    /// <summary>More error keys shown beside this field (e.g. the object it belongs to).</summary>
    public IReadOnlyList<string> MoreErrors { get; init; } = [];
}

/// <summary>Key/value rows (headers, parameters), sent as <c>[{"key","value"}]</c>.</summary>
/// <param name="Path">Where the rows go in the settings.</param>
/// <param name="Id">The id prefix of the rows' inputs.</param>
/// <param name="Noun">What one row is, for labels: "Header 1 key".</param>
public sealed record FormRows(string Path, string Id, string Noun) : FormElement
{
    /// <summary>Rows of a new provider.</summary>
    public IReadOnlyList<FormPresetRow> Default { get; init; } = [];

    /// <summary>Help under the rows.</summary>
    public string? Hint { get; init; }

    /// <summary>The settings name of a row's key (default <c>key</c>; e.g. <c>match</c> for a status map).</summary>
    public string KeyName { get; init; } = "key";

    /// <summary>The settings name of a row's value (default <c>value</c>; e.g. <c>state</c>).</summary>
    public string ValueName { get; init; } = "value";

    /// <summary>The column heading of the keys.</summary>
    public string KeyLabel { get; init; } = "Key";

    /// <summary>The column heading of the values.</summary>
    public string ValueLabel { get; init; } = "Value";

    /// <summary>Whether each row has a Secret choice (headers and parameters do; a status map does not).</summary>
    public bool SecretFlags { get; init; } = true;
}

/// <summary>
/// The report preview: paste a sample callback and see how Herald reads it by the form's report settings, before saving
/// (the dashboard renders the sample fields and the reading; the API's twin is <c>POST /api/v1/providers/{id}/reports/preview</c>).
/// </summary>
/// <param name="Path">The settings path of the report declaration the preview reads by (e.g. <c>reports</c>).</param>
public sealed record FormReportPreview(string Path) : FormElement;

/// <summary>A line of help between fields.</summary>
public sealed record FormNote(string Text) : FormElement;

/// <summary>How a group lays out its children.</summary>
public enum FormGroupStyle
{
    /// <summary>Two columns.</summary>
    Grid,
    /// <summary>A fieldset with a legend (the title).</summary>
    Fieldset,
    /// <summary>A collapsed section with a summary line (the title); open when it holds an error or an optional value.</summary>
    Details,
    /// <summary>Tabs: each child is a <see cref="FormGroupStyle.Tab"/> group; the title labels the tab list.</summary>
    Tabs,
    /// <summary>One tab of a <see cref="FormGroupStyle.Tabs"/> group: the title names the tab, the id names its panel.</summary>
    Tab,
}

/// <summary>Fields laid out together.</summary>
public sealed record FormGroup(FormGroupStyle Style, IReadOnlyList<FormElement> Children) : FormElement
{
    /// <summary>The legend, summary, tab list label or tab name.</summary>
    public string? Title { get; init; }

    /// <summary>A tab's id (its button is <c>tab-{Id}</c>, its panel <c>panel-{Id}</c>).</summary>
    public string? Id { get; init; }
}

/// <summary>A placeholder listed beside the form.</summary>
public sealed record FormPlaceholder(string Placeholder, string Meaning);

/// <summary>One row a preset puts in a <see cref="FormRows"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value (empty for the person to fill in).</param>
/// <param name="Hint">What to fill in, shown in an empty value.</param>
public sealed record FormPresetRow(string Key, string Value = "", string? Hint = null);

/// <summary>A button that fills the form with a known configuration.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Label">The button's text.</param>
public sealed record FormPreset(string Id, string Label)
{
    /// <summary>The nickname it suggests when none is typed.</summary>
    public string? Nickname { get; init; }

    /// <summary>Field values by settings path.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>The rows by settings path; they replace what was there.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<FormPresetRow>> Rows { get; init; } = new Dictionary<string, IReadOnlyList<FormPresetRow>>();

    /// <summary>The rows (by settings path) whose values already typed survive, matched by key (e.g. an api-key typed before clicking twice).</summary>
    public IReadOnlyList<string> KeepTyped { get; init; } = [];

    /// <summary>The field focused after filling when every preset row has a value.</summary>
    public string? Focus { get; init; }
}
