using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;
using Herald.Providers.Kaleyra;

namespace Herald.Providers.GenericHttp;

/// <summary>
/// The one engine that reads delivery reports by a <see cref="ReportDeclaration"/>: a declared format, or one of the presets
/// (CleverTap, Kaleyra, Kannel). Records that cannot be used come back as unprocessed, each with a code that names what is wrong.
/// </summary>
public sealed partial class DeclaredReportFormat : IDeliveryReportFormat
{
    private readonly ReportDeclaration _declaration;
    private readonly Rule[] _rules;
    private readonly Step[] _path;
    private readonly string[] _groupFields;
    private readonly string _expected;

    /// <summary>Builds the reader of a declaration (already validated: see <see cref="ReportDeclarations.Validate"/>).</summary>
    public DeclaredReportFormat(ReportDeclaration declaration)
    {
        _declaration = declaration;
        _rules = declaration.Statuses.Select(r => new Rule(r)).ToArray();
        _path = Steps(declaration.Records) ?? [];
        _groupFields = new[] { declaration.Status, declaration.HeraldId, declaration.ProviderId }
            .SelectMany(ReportWords.Alternatives).Where(f => f.StartsWith('^')).Select(f => f[1..]).Distinct().ToArray();
        // What the status map reads, for errors: its values and patterns (a catch-all pattern says nothing).
        var values = _rules.Select(r => r.Source.Match).Where(m => m != "/.*/").Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        _expected = values.Count switch
        {
            0 => "a value the status map names",
            1 => values[0],
            _ => string.Join(", ", values[..^1]) + " or " + values[^1],
        };
        Reply = ReportDeclarations.ReplyOf(declaration.Answer);
        UnusableStatus = declaration.Answer?.UnusableStatus ?? 400;
        SuccessStatus = declaration.Answer?.Status ?? 200;
    }

    /// <summary>The declaration it reads by.</summary>
    public ReportDeclaration Declaration => _declaration;

    /// <inheritdoc />
    public string Name => _declaration.Preset ?? "custom";

    /// <inheritdoc />
    public CallbackReply? Reply { get; }

    /// <inheritdoc />
    public int UnusableStatus { get; }

    /// <inheritdoc />
    public int SuccessStatus { get; }

    /// <summary>The state and recorded code the status map gives a status and detail; null state for timeline-only and unknown values.</summary>
    internal (bool Known, DeliveryState? State, string? Code) Map(string status, string? detail)
    {
        var rule = _rules.FirstOrDefault(r => r.Fits(status.Trim(), detail?.Trim()));
        if (rule is null || rule.Source.State.Equals("unprocessed", StringComparison.OrdinalIgnoreCase))
        {
            return (false, null, null);
        }
        return (true, ReportWords.StateOf(rule.Source.State.ToLowerInvariant()), rule.Source.Code);
    }

    /// <inheritdoc />
    public DlrParseResult Parse(DlrRequest request)
    {
        var body = request.Body.AsSpan().Trim();
        var source = (_declaration.Source ?? "auto").ToLowerInvariant();
        if (source == "auto")
        {
            source = body.Length > 0 && (body[0] == '[' || body[0] == '{') ? "json"
                : body.Length > 0 && CallbackFields.IsForm(request.ContentType) ? "form"
                : body.Length == 0 && request.Query.Count > 0 ? "query"
                : "";
        }
        switch (source)
        {
            case "json":
                if (body.Length == 0)
                {
                    throw new DlrFormatException($"The body is empty: {Describe()}");
                }
                using (var document = KaleyraDlrFormat.ReadJson(request.Body))
                {
                    return ParseJson(document.RootElement);
                }
            case "form":
                if (body.Length == 0)
                {
                    throw new DlrFormatException($"The body is empty: {Describe()}");
                }
                return ParseFields(CallbackFields.ParseForm(request.Body), request.Body);
            case "query":
                if (request.Query.Count == 0)
                {
                    throw new DlrFormatException($"The query string is empty: {Describe()}");
                }
                return ParseFields(request.Query, CallbackFields.Raw(request.Query));
            default:
                throw new DlrFormatException($"Herald cannot tell where this callback's fields are: {Describe()}");
        }
    }

    /// <summary>Reads one set of fields (a query string or a form) as one record.</summary>
    internal DlrParseResult ParseFields(IReadOnlyDictionary<string, string> fields, string raw)
    {
        var (report, problem) = Read(new FieldRecord(fields), raw);
        return report is not null ? new DlrParseResult([report], []) : new DlrParseResult([], [problem!]);
    }

    /// <summary>Reads a JSON body's records.</summary>
    internal DlrParseResult ParseJson(JsonElement root)
    {
        var reports = new List<DeliveryReport>();
        var unprocessed = new List<UnprocessedRecord>();
        foreach (var (record, group, problem) in Records(root))
        {
            if (problem is not null)
            {
                unprocessed.Add(problem);
                continue;
            }
            var raw = record.GetRawText();
            if (record.ValueKind != JsonValueKind.Object)
            {
                unprocessed.Add(new("invalid_record", "Each record must be a JSON object.", raw));
                continue;
            }
            var (report, bad) = Read(new JsonRecord(record, group), raw);
            if (report is not null)
            {
                reports.Add(report);
            }
            else
            {
                unprocessed.Add(bad!);
            }
        }
        return new DlrParseResult(reports, unprocessed);
    }

    private string Describe()
    {
        var where = (_declaration.Source ?? "auto") switch
        {
            "query" => "as a query string",
            "form" => "as a form body",
            "json" => _declaration.Records is { } records ? $"as JSON with the records at {records}" : "as JSON",
            _ => "as a query string, a form or JSON",
        };
        var fields = new[] { _declaration.HeraldId, _declaration.ProviderId, _declaration.Status }.Where(f => f is not null).Select(f => ReportWords.NameOf(f!));
        return $"this provider's reports carry {string.Join(", ", fields)} {where}.";
    }

    private IEnumerable<(JsonElement Record, JsonElement? Group, UnprocessedRecord? Problem)> Records(JsonElement root)
    {
        IEnumerable<(JsonElement Element, JsonElement? Group, UnprocessedRecord? Problem)> current = [(root, null, null)];
        for (var s = 0; s < _path.Length; s++)
        {
            var step = _path[s];
            var first = s == 0;
            current = current.SelectMany(c => c.Problem is not null ? [c] : Apply(step, c.Element, c.Group, first)).ToList();
        }
        foreach (var (element, group, problem) in current)
        {
            if (problem is not null)
            {
                yield return (element, group, problem);
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var record in element.EnumerateArray())
                {
                    yield return (record, group, null);
                }
            }
            else
            {
                yield return (element, group, null);
            }
        }
    }

    private IEnumerable<(JsonElement, JsonElement?, UnprocessedRecord?)> Apply(Step step, JsonElement element, JsonElement? group, bool first)
    {
        switch (step)
        {
            case Step.Each:
                if (element.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in element.EnumerateArray())
                    {
                        yield return GroupProblem(item) is { } problem ? (item, item, problem) : (item, item, null);
                    }
                }
                else if (first && element.ValueKind == JsonValueKind.Object)
                {
                    // One group sent on its own rather than in an array.
                    yield return GroupProblem(element) is { } problem ? (element, element, problem) : (element, element, null);
                }
                else
                {
                    yield return (element, group, new("invalid_group", $"Expected an array of groups here: {GroupShape()}", element.GetRawText()));
                }
                break;
            case Step.Property property:
                // Inside groups the records must be an array; at the top an object is one record.
                if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property.Name, out var value)
                    && (value.ValueKind == JsonValueKind.Array || (value.ValueKind == JsonValueKind.Object && group is null)))
                {
                    yield return (value, group, null);
                }
                else
                {
                    var raw = (group ?? element).GetRawText();
                    yield return (element, group, group is null
                        ? new("invalid_body", $"The body has no \"{property.Name}\" array: {Describe()}", raw)
                        : new("invalid_group", $"Each group must be {GroupShape()}", raw));
                }
                break;
            case Step.Index index:
                if (element.ValueKind == JsonValueKind.Array && index.Value < element.GetArrayLength())
                {
                    yield return (element[index.Value], group, null);
                }
                else
                {
                    yield return (element, group, new("invalid_body", $"The body has no element [{index.Value}] where {_declaration.Records} says: {Describe()}", element.GetRawText()));
                }
                break;
        }
    }

    private UnprocessedRecord? GroupProblem(JsonElement group)
    {
        if (group.ValueKind != JsonValueKind.Object)
        {
            return new("invalid_group", $"Each element must be {GroupShape()}", group.GetRawText());
        }
        foreach (var field in _groupFields)
        {
            if (!group.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String)
            {
                return new("invalid_group", $"Each element must be {GroupShape()}", group.GetRawText());
            }
        }
        return null;
    }

    // e.g. {"event": "...", "data": [...]}.
    private string GroupShape()
    {
        var next = _path.SkipWhile(s => s is not Step.Each).Skip(1).OfType<Step.Property>().FirstOrDefault()?.Name;
        var parts = _groupFields.Select(f => $"\"{f}\": \"...\"").ToList();
        if (next is not null)
        {
            parts.Add($"\"{next}\": [...]");
        }
        return "{" + string.Join(", ", parts) + "}" + (_groupFields.Length == 0 ? "." : $", with {_groupFields[0]} one of {_expected}.");
    }

    private (DeliveryReport?, UnprocessedRecord?) Read(IRecord record, string raw)
    {
        var heraldId = First(record, _declaration.HeraldId);
        var providerId = First(record, _declaration.ProviderId);
        if (heraldId is null && providerId is null)
        {
            return (null, MissingId(raw));
        }
        if (_declaration.Status is null)
        {
            return (null, new("missing_status", "The declaration names no status field.", raw));
        }
        var statusName = ReportWords.NameOf(_declaration.Status);
        var status = First(record, _declaration.Status);
        if (status is null)
        {
            return (null, new($"missing_{Code(statusName)}", $"{statusName} is mandatory: it carries the status ({_expected}).", raw));
        }
        var code = First(record, _declaration.ErrorCode);
        var description = First(record, _declaration.ErrorDescription);
        var detail = _declaration.ErrorCode is null ? description : code;
        var rule = _rules.FirstOrDefault(r => r.Fits(status, detail));
        string word;
        string eventName;
        if (rule is null)
        {
            word = (_declaration.UnknownStatus ?? "unprocessed").ToLowerInvariant();
            if (word == "unprocessed")
            {
                return (null, new($"unknown_{Code(statusName)}", $"Unknown {statusName} '{status}': expected {_expected}. Add it to the status map to read it.", raw));
            }
            eventName = status;
        }
        else
        {
            word = rule.Source.State.ToLowerInvariant();
            if (word == "unprocessed")
            {
                return (null, new($"unknown_{Code(statusName)}", $"{statusName} '{status}' is not read (the status map says unprocessed).", raw));
            }
            if (rule.Source.RequireErrorCode == true && string.IsNullOrEmpty(code))
            {
                var codeName = ReportWords.NameOf(_declaration.ErrorCode ?? "code");
                return (null, new($"missing_{Code(codeName)}", $"{codeName} is mandatory when {statusName} is '{status}'.", raw));
            }
            eventName = rule.IsPattern ? status : rule.Source.Match;
            code = rule.Source.Code ?? code;
        }
        var state = ReportWords.StateOf(word);
        var at = ReadTime(First(record, _declaration.Time));
        var report = heraldId is not null
            ? new DeliveryReport(heraldId, DlrCorrelation.HeraldMessageId, eventName, state, at, code, description, raw) { AlternateProviderMessageId = providerId }
            : new DeliveryReport(providerId!, DlrCorrelation.ProviderMessageId, eventName, state, at, code, description, raw);
        return (report, null);
    }

    private UnprocessedRecord MissingId(string raw)
    {
        if (_declaration.HeraldId is { } herald && _declaration.ProviderId is { } provider)
        {
            return new("missing_id",
                $"The record needs {ReportWords.NameOf(provider)} (the provider's message id) or {ReportWords.NameOf(herald)} (Herald's $$MessageID): neither is there.", raw);
        }
        if (_declaration.HeraldId is { } heraldOnly)
        {
            var name = ReportWords.NameOf(heraldOnly);
            return new($"missing_{Code(name)}", $"{name} is mandatory: it must carry the $$MessageID sent with the message.", raw);
        }
        if (_declaration.ProviderId is { } providerOnly)
        {
            var name = ReportWords.NameOf(providerOnly);
            return new($"missing_{Code(name)}", $"{name} is mandatory: it must carry the provider's message id from its answer to the send.", raw);
        }
        return new("missing_id", "The declaration names no message id field (heraldId or providerId).", raw);
    }

    // A field's name as part of a machine code: status.code -> status_code.
    private static string Code(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_'));

    private static string? First(IRecord record, string? field)
    {
        foreach (var name in ReportWords.Alternatives(field))
        {
            if (record.Read(name) is { } value && !string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }
        return null;
    }

    /// <summary>9999-12-31T23:59:59.999Z, the last instant <see cref="DateTimeOffset"/> holds.</summary>
    private const long MaxUnixMilliseconds = 253_402_300_799_999;

    private static DateTimeOffset? ReadTime(string? text)
    {
        if (text is null)
        {
            return null;
        }
        if (text.All(c => char.IsAsciiDigit(c) || c is '-' or '.'))
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                return null;
            }
            // 13 digits means milliseconds; out of DateTimeOffset's range is a bad time, not a reason to drop the record.
            if (epoch <= 99_999_999_999)
            {
                return DateTimeOffset.FromUnixTimeSeconds(epoch);
            }
            return epoch <= MaxUnixMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : null;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }

    /// <summary>The steps of a records path; null when it is not one.</summary>
    internal static Step[]? Steps(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return [];
        }
        var steps = new List<Step>();
        foreach (Match part in StepPattern().Matches(path.Trim()))
        {
            if (part.Groups["each"].Success)
            {
                steps.Add(Step.Each.Instance);
            }
            else if (part.Groups["index"].Success)
            {
                steps.Add(new Step.Index(int.Parse(part.Groups["index"].Value, CultureInfo.InvariantCulture)));
            }
            else
            {
                steps.Add(new Step.Property(part.Groups["name"].Value));
            }
        }
        var rebuilt = string.Concat(steps.Select((s, i) => s switch
        {
            Step.Each => "[*]",
            Step.Index index => $"[{index.Value}]",
            Step.Property property => (i == 0 ? "" : ".") + property.Name,
            _ => "",
        }));
        return rebuilt == path.Trim() ? steps.ToArray() : null;
    }

    [GeneratedRegex(@"\[(?<each>\*)\]|\[(?<index>\d+)\]|\.?(?<name>[^.\[\]]+)", RegexOptions.CultureInvariant)]
    private static partial Regex StepPattern();

    /// <summary>A step of a records path.</summary>
    internal abstract record Step
    {
        /// <summary><c>[*]</c>: every element.</summary>
        public sealed record Each : Step
        {
            public static Each Instance { get; } = new();
        }

        /// <summary>A property.</summary>
        public sealed record Property(string Name) : Step;

        /// <summary><c>[n]</c>.</summary>
        public sealed record Index(int Value) : Step;
    }

    private sealed class Rule(StatusRule rule)
    {
        private readonly Regex? _pattern = ReportWords.IsPattern(rule.Match) ? ReportWords.Pattern(rule.Match[1..^1]) : null;
        private readonly Regex? _detail = string.IsNullOrEmpty(rule.Detail) ? null : ReportWords.Pattern(rule.Detail);

        public StatusRule Source { get; } = rule;
        public bool IsPattern => _pattern is not null;

        public bool Fits(string status, string? detail) =>
            (_pattern?.IsMatch(status) ?? string.Equals(status, Source.Match.Trim(), StringComparison.OrdinalIgnoreCase))
            && (_detail is null || (detail is not null && _detail.IsMatch(detail)));
    }

    private interface IRecord
    {
        string? Read(string field);
    }

    private sealed class FieldRecord(IReadOnlyDictionary<string, string> fields) : IRecord
    {
        public string? Read(string field)
        {
            if (fields.TryGetValue(field, out var value))
            {
                return value;
            }
            // A query string from a DlrRequest is case-insensitive already; a form's dictionary is too.
            return null;
        }
    }

    private sealed class JsonRecord(JsonElement record, JsonElement? group) : IRecord
    {
        public string? Read(string field)
        {
            if (field.StartsWith('^'))
            {
                return group is { ValueKind: JsonValueKind.Object } g ? Scalar(g, field[1..]) : null;
            }
            return Scalar(record, field);
        }

        private static string? Scalar(JsonElement root, string path)
        {
            if (!path.Contains('.', StringComparison.Ordinal) && !path.Contains('[', StringComparison.Ordinal))
            {
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }
                if (root.TryGetProperty(path, out var value))
                {
                    return Text(value);
                }
                foreach (var property in root.EnumerateObject())
                {
                    if (string.Equals(property.Name, path, StringComparison.OrdinalIgnoreCase))
                    {
                        return Text(property.Value);
                    }
                }
                return null;
            }
            return JsonPath.Read(root, path);
        }

        private static string? Text(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };
    }
}
