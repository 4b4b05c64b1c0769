using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Values;

namespace Herald.Engagement.Templates;

/// <summary>Where a template fails to parse: a sentence, and the 1-based line and column.</summary>
public sealed record TemplateError(string Message, int Line, int Column);

/// <summary>What a template is rendered for: a contact and, where a journey supplies one, the event.</summary>
/// <param name="Contact">The recipient.</param>
/// <param name="Event">The event that triggered the message, if any.</param>
public sealed record TemplateModel(ContactModel Contact, EventModel? Event = null);

/// <summary>A contact as a template sees it: <c>contact.phone</c>, <c>contact.attributes.x</c>, and each attribute as <c>contact.x</c>.</summary>
public sealed record ContactModel(string Phone, string? AttributesJson = null)
{
    /// <summary>Herald's contact id (<c>contact.id</c>).</summary>
    public string? Id { get; init; }
    /// <summary><c>contact.external_id</c>.</summary>
    public string? ExternalId { get; init; }
    /// <summary><c>contact.country</c>.</summary>
    public string? Country { get; init; }
    /// <summary><c>contact.timezone</c>.</summary>
    public string? TimeZone { get; init; }
    /// <summary><c>contact.locale</c>.</summary>
    public string? Locale { get; init; }
}

/// <summary>An event as a template sees it: <c>event.name</c>, <c>event.properties.x</c>.</summary>
public sealed record EventModel(string Name, string? PropertiesJson = null);

/// <summary>A rendered message, or why this recipient is skipped (<c>render-error: missing contact.attributes.city</c>).</summary>
public sealed record RenderResult(string? Text, string? SkipReason)
{
    /// <summary>Whether the recipient is skipped.</summary>
    public bool Skipped => SkipReason is not null;
}

/// <summary>
/// Message bodies in Liquid (Fluid), for campaigns and journeys: checked once at save, rendered per recipient. Templates
/// reach no files (no include, render or layout), no CLR members (only the contact and event values given), and run within
/// bounded steps, recursion and output size.
/// </summary>
public interface IMessageTemplates
{
    /// <summary>Null when <paramref name="source"/> parses and uses only what Herald allows; otherwise where it fails.</summary>
    TemplateError? Check(string source);

    /// <summary>
    /// Renders <paramref name="source"/> for one recipient. A value an output needs but the recipient lacks, with no
    /// <c>default</c> filter, skips the recipient with <c>render-error: missing &lt;path&gt;</c>; so does any render failure.
    /// The text never contains Liquid markup.
    /// </summary>
    Task<RenderResult> RenderAsync(string source, TemplateModel model, CancellationToken cancellationToken);
}

/// <summary>The Fluid-backed <see cref="IMessageTemplates"/>. Parsed templates are cached by source (campaigns render one body many times).</summary>
internal sealed partial class MessageTemplates : IMessageTemplates
{
    /// <summary>The longest template source accepted.</summary>
    public const int MaxSourceLength = 10_000;

    /// <summary>The most statements one render may execute.</summary>
    public const int MaxSteps = 10_000;

    /// <summary>The longest rendered text (an SMS is at most a few segments).</summary>
    public const int MaxOutputSize = 10_000;

    private static readonly FluidParser Parser = new();
    private static readonly string[] Reserved = ["id", "phone", "external_id", "country", "timezone", "locale", "attributes"];

    private readonly TemplateOptions _options;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IFluidTemplate> _parsed = new(StringComparer.Ordinal);

    public MessageTemplates(TimeProvider time)
    {
        // No file provider (the default reads nothing), the default member access (no CLR type registered), and bounds.
        _options = new TemplateOptionsBuilder()
            .WithMaxSteps(MaxSteps)
            .WithMaxRecursion(10)
            .WithMaxOutputSize(MaxOutputSize)
            .WithMaxCollectionSize(1_000)
            .WithNow(time.GetUtcNow)
            .WithTimeZone(TimeZoneInfo.Utc)
            .WithCultureInfo(CultureInfo.InvariantCulture)
            .Build();
    }

    public TemplateError? Check(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Parse(source, out _);
    }

    private TemplateError? Parse(string source, out IFluidTemplate? template)
    {
        template = null;
        if (source.Length > MaxSourceLength)
        {
            return new TemplateError($"The template is {source.Length} characters; at most {MaxSourceLength} are allowed.", 1, 1);
        }
        if (FileTag().Match(source) is { Success: true } fileTag)
        {
            var (line, column) = Position(source, fileTag.Index);
            return new TemplateError($"'{fileTag.Groups[1].Value}' is not allowed: templates cannot read files or other templates.", line, column);
        }
        if (_parsed.TryGetValue(source, out template))
        {
            return null;
        }
        if (!Parser.TryParse(source, out template, out var error))
        {
            var at = ErrorPosition().Match(error ?? "");
            return at.Success
                ? new TemplateError(error!, int.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(at.Groups[2].Value, CultureInfo.InvariantCulture))
                : new TemplateError(error ?? "The template does not parse.", 1, 1);
        }
        if (_parsed.Count < 1_000)
        {
            _parsed[source] = template;
        }
        return null;
    }

    public async Task<RenderResult> RenderAsync(string source, TemplateModel model, CancellationToken cancellationToken)
    {
        if (Parse(source, out var template) is { } error)
        {
            return new RenderResult(null, $"render-error: the template does not parse at line {error.Line}, column {error.Column}: {error.Message}");
        }
        var values = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["contact"] = ContactValues(model.Contact),
        };
        if (model.Event is { } e)
        {
            values["event"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["name"] = e.Name, ["properties"] = JsonObject(e.PropertiesJson) };
        }
        // An output of the model with no default filter must have a value: otherwise the recipient is skipped, not sent a gap.
        foreach (Match output in OutputTag().Matches(source))
        {
            var expression = output.Groups[1].Value;
            if (DefaultFilter().IsMatch(expression))
            {
                continue;
            }
            var path = expression.Split('|')[0].Trim();
            if (ModelPath().IsMatch(path) && IsMissing(values, path))
            {
                return new RenderResult(null, $"render-error: missing {path}");
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        string text;
        try
        {
            var context = new TemplateContext(_options, StringComparer.Ordinal);
            foreach (var (name, value) in values)
            {
                context.SetValue(name, FluidValue.Create(value!, _options));
            }
            text = await template!.RenderAsync(context);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FluidException or ArgumentException or FormatException or OverflowException)
        {
            return new RenderResult(null, $"render-error: {ex.Message}");
        }
        if (text.Contains("{{", StringComparison.Ordinal) || text.Contains("{%", StringComparison.Ordinal))
        {
            return new RenderResult(null, "render-error: the text would contain Liquid markup ({{ or {%), probably from a value");
        }
        return new RenderResult(text, null);
    }

    private static Dictionary<string, object?> ContactValues(ContactModel contact)
    {
        var attributes = JsonObject(contact.AttributesJson);
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in attributes)
        {
            if (!Reserved.Contains(key, StringComparer.Ordinal))
            {
                values[key] = value;
            }
        }
        values["id"] = contact.Id;
        values["phone"] = contact.Phone;
        values["external_id"] = contact.ExternalId;
        values["country"] = contact.Country;
        values["timezone"] = contact.TimeZone;
        values["locale"] = contact.Locale;
        values["attributes"] = attributes;
        return values;
    }

    private static bool IsMissing(Dictionary<string, object?> values, string path)
    {
        object? current = values;
        foreach (var part in path.Split('.'))
        {
            if (current is not Dictionary<string, object?> map || !map.TryGetValue(part, out current))
            {
                return true;
            }
        }
        return current is null || current is string { Length: 0 };
    }

    private static Dictionary<string, object?> JsonObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return new Dictionary<string, object?>(StringComparer.Ordinal);
        }
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? (Dictionary<string, object?>)ToValue(document.RootElement)!
            : new Dictionary<string, object?>(StringComparer.Ordinal);
    }

    private static object? ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(ToValue).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetDecimal(out var number) ? number : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static (int Line, int Column) Position(string source, int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < index; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, index - lineStart + 1);
    }

    [GeneratedRegex(@"\{%-?\s*(include|render|layout|from|import)\b", RegexOptions.CultureInvariant)]
    private static partial Regex FileTag();

    [GeneratedRegex(@"\((\d+):(\d+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorPosition();

    [GeneratedRegex(@"\{\{-?([\s\S]*?)-?\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex OutputTag();

    [GeneratedRegex(@"\|\s*default\b", RegexOptions.CultureInvariant)]
    private static partial Regex DefaultFilter();

    [GeneratedRegex(@"^(contact|event)(\.[A-Za-z_][A-Za-z0-9_\-]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex ModelPath();
}
