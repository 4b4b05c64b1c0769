using System.Text.RegularExpressions;
using Herald.Core.Messaging;

namespace Herald.Providers.GenericHttp;

/// <summary>
/// How a generic provider's delivery reports read (settings <c>reports</c>): where a callback's records are, where each record
/// names its message, its status, error and time, and what each status value means. CleverTap's, Kaleyra's and Kannel's formats are
/// presets of this same declaration (<see cref="ReportPresets"/>), read by the same engine (<see cref="DeclaredReportFormat"/>).
/// </summary>
public sealed class ReportDeclaration
{
    /// <summary>
    /// <c>auto</c> (CleverTap's format or Kaleyra's fields, what a generic provider always took), <c>clevertap</c>, <c>kaleyra</c>,
    /// <c>kannel</c>, or <c>custom</c> (the fields below). Absent: <c>custom</c> when <see cref="Status"/> is set, else <c>auto</c>.
    /// </summary>
    public string? Preset { get; set; }

    /// <summary>Where the records are: <c>auto</c> (default: JSON body, else form body, else the query string), <c>query</c>, <c>form</c> or <c>json</c>.</summary>
    public string? Source { get; set; }

    /// <summary>
    /// JSON only: the path to the records, e.g. <c>results</c> or <c>[*].data</c> (<c>[*]</c> goes through every element of an array). Absent: the
    /// body itself (an array is many records, an object one). An array at the end of the path is its records; an object is one record.
    /// </summary>
    public string? Records { get; set; }

    /// <summary>The field that echoes Herald's <c>$$MessageID</c> (sent in the request or the callback URL).</summary>
    public string? HeraldId { get; set; }

    /// <summary>The field with the provider's own message id (the one read from its answer to the send).</summary>
    public string? ProviderId { get; set; }

    /// <summary>The field with the status (mandatory for <c>custom</c>).</summary>
    public string? Status { get; set; }

    /// <summary>The field with an error code, if the provider sends one.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>The field with an error description, if any.</summary>
    public string? ErrorDescription { get; set; }

    /// <summary>The field with the time of the event: Unix seconds or milliseconds, or an ISO 8601 / <c>yyyy-MM-dd HH:mm:ss</c> time (UTC unless it says).</summary>
    public string? Time { get; set; }

    /// <summary>The provider's status values and Herald's state for each, checked in order; the first that fits wins.</summary>
    public List<StatusRule> Statuses { get; set; } = [];

    /// <summary>
    /// What a status value no rule fits means: <c>unprocessed</c> (default: the record is kept and shown in /reports, the message
    /// does not move), <c>event</c> (on the timeline only) or a state.
    /// </summary>
    public string? UnknownStatus { get; set; }

    /// <summary>What Herald answers the provider; absent: Herald's JSON answer <c>{"status","processed","unprocessed"}</c>.</summary>
    public ReportAnswer? Answer { get; set; }
}

/// <summary>One row of the status map.</summary>
public sealed class StatusRule
{
    /// <summary>The provider's value, compared case-insensitively, or a regular expression written <c>/like this/</c>.</summary>
    public string Match { get; set; } = "";

    /// <summary>
    /// Herald's state: <c>sent</c>, <c>delivered</c>, <c>undelivered</c>, <c>failed</c>, <c>rejected</c>, <c>expired</c>, or <c>event</c>
    /// (on the timeline only, e.g. clicked) or <c>unprocessed</c>.
    /// </summary>
    public string State { get; set; } = "";

    /// <summary>Optional: a regular expression the error code (or, with no error code field, the description) must match too.</summary>
    public string? Detail { get; set; }

    /// <summary>Optional: the error code Herald records instead of the one received (e.g. CleverTap's 901 for Kaleyra's CON-DND).</summary>
    public string? Code { get; set; }

    /// <summary>Whether a record with this status must carry an error code (else it is unprocessed, <c>missing_{field}</c>).</summary>
    public bool? RequireErrorCode { get; set; }
}

/// <summary>What Herald answers a provider's callback, for providers that retry until they see a particular reply.</summary>
public sealed class ReportAnswer
{
    /// <summary>The status code when the callback was read (2xx). Default 200.</summary>
    public int? Status { get; set; }

    /// <summary>The body; absent: Herald's JSON answer.</summary>
    public string? Body { get; set; }

    /// <summary>The body's content type. Default <c>text/plain</c> (<c>application/json</c> when the body is JSON).</summary>
    public string? ContentType { get; set; }

    /// <summary>
    /// The status code when nothing in the callback could be used (every record unprocessed), 200-499. Default 400 for declared formats
    /// and Kannel's, 200 for CleverTap's and Kaleyra's (as CleverTap answers).
    /// </summary>
    public int? UnusableStatus { get; set; }
}

/// <summary>The words of a declaration: sources, states and how a field reference reads.</summary>
public static class ReportWords
{
    /// <summary>The presets by name.</summary>
    public static IReadOnlyList<string> Presets { get; } = ["auto", "clevertap", "kaleyra", "kannel", "custom"];

    /// <summary>The sources.</summary>
    public static IReadOnlyList<string> Sources { get; } = ["auto", "query", "form", "json"];

    /// <summary>What a status rule may map to.</summary>
    public static IReadOnlyList<string> RuleStates { get; } = ["sent", "delivered", "undelivered", "failed", "rejected", "expired", "event", "unprocessed"];

    /// <summary>The state of a rule's word; null for <c>event</c> (timeline only).</summary>
    internal static DeliveryState? StateOf(string word) => word switch
    {
        "event" or "unprocessed" => null,
        _ => DeliveryStates.Parse(word),
    };

    /// <summary>Whether a status rule's match is a regular expression (<c>/.../</c>).</summary>
    internal static bool IsPattern(string match) => match.Length >= 2 && match[0] == '/' && match[^1] == '/';

    /// <summary>A rule's pattern, compiled.</summary>
    internal static Regex Pattern(string pattern) =>
        new(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    /// <summary>A field reference's alternatives (<c>id|message_id</c>): the first present wins.</summary>
    internal static string[] Alternatives(string? field) =>
        string.IsNullOrWhiteSpace(field) ? [] : field.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The name a field reference shows in errors and codes: its first alternative, without the group mark <c>^</c>.</summary>
    internal static string NameOf(string field) => Alternatives(field) is [var first, ..] ? first.TrimStart('^') : field;
}

/// <summary>Checking and normalising a declaration, and the reader it makes.</summary>
public static class ReportDeclarations
{
    /// <summary>
    /// Checks and normalises <paramref name="declaration"/> in place, reporting each problem under <c>settings.reports.*</c>.
    /// A preset keeps only its name and the answer: the preset declares the rest.
    /// </summary>
    public static void Validate(ReportDeclaration declaration, Action<string, string> error)
    {
        const string at = "settings.reports";
        declaration.Statuses ??= [];
        var preset = declaration.Preset?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(preset))
        {
            preset = declaration.Status is null && declaration.Statuses.Count == 0 ? "auto" : "custom";
        }
        declaration.Preset = preset;
        if (!ReportWords.Presets.Contains(preset))
        {
            error($"{at}.preset", $"preset '{preset}' is not known: use {string.Join(", ", ReportWords.Presets)} (custom: the fields you declare).");
            return;
        }
        ValidateAnswer(declaration.Answer, error);
        if (preset != "custom")
        {
            if (declaration.Status is not null || declaration.Statuses.Count > 0 || declaration.HeraldId is not null || declaration.ProviderId is not null
                || declaration.Records is not null)
            {
                error($"{at}.preset", $"The {preset} preset declares its own fields: remove status, statuses, heraldId, providerId and records, or use preset custom.");
            }
            declaration.Source = null;
            declaration.ErrorCode = declaration.ErrorDescription = declaration.Time = declaration.UnknownStatus = null;
            return;
        }
        declaration.Source = Blank(declaration.Source)?.ToLowerInvariant() ?? "auto";
        if (!ReportWords.Sources.Contains(declaration.Source))
        {
            error($"{at}.source", $"source '{declaration.Source}' is not supported: use auto, query, form or json.");
        }
        declaration.Records = Blank(declaration.Records);
        if (declaration.Records is not null)
        {
            if (declaration.Source is "query" or "form")
            {
                error($"{at}.records", "records is a JSON path: it applies only when the source is json (or auto).");
            }
            else if (DeclaredReportFormat.Steps(declaration.Records) is null)
            {
                error($"{at}.records", $"records '{declaration.Records}' is not a path: write it like results, data.items or [*].data ([*] goes through every element).");
            }
        }
        declaration.HeraldId = Field(declaration.HeraldId, "heraldId");
        declaration.ProviderId = Field(declaration.ProviderId, "providerId");
        declaration.Status = Field(declaration.Status, "status");
        declaration.ErrorCode = Field(declaration.ErrorCode, "errorCode");
        declaration.ErrorDescription = Field(declaration.ErrorDescription, "errorDescription");
        declaration.Time = Field(declaration.Time, "time");
        if (declaration.HeraldId is null && declaration.ProviderId is null)
        {
            error($"{at}.heraldId", "Name the field that identifies the message: heraldId (it echoes the $$MessageID Herald sent) or providerId (the provider's id from its answer), or both.");
        }
        if (declaration.Status is null)
        {
            error($"{at}.status", "status is required: the field that carries the provider's status value.");
        }
        if (declaration.Statuses.Count == 0)
        {
            error($"{at}.statuses", "Declare at least one status value and its state, e.g. {\"match\": \"DELIVRD\", \"state\": \"delivered\"}.");
        }
        for (var i = 0; i < declaration.Statuses.Count; i++)
        {
            var rule = declaration.Statuses[i];
            if (rule is null)
            {
                error($"{at}.statuses[{i}]", "The row is empty: give it a match and a state, or remove it.");
                continue;
            }
            rule.Match = (rule.Match ?? "").Trim();
            rule.State = (rule.State ?? "").Trim().ToLowerInvariant();
            rule.Detail = Blank(rule.Detail);
            rule.Code = Blank(rule.Code);
            if (rule.Match.Length == 0)
            {
                error($"{at}.statuses[{i}].match", "match is empty: write the provider's value (e.g. DELIVRD) or a regular expression between slashes (e.g. /^deliv/).");
            }
            else if (ReportWords.IsPattern(rule.Match))
            {
                CheckPattern(rule.Match[1..^1], $"{at}.statuses[{i}].match", error);
            }
            if (!ReportWords.RuleStates.Contains(rule.State))
            {
                error($"{at}.statuses[{i}].state", $"state '{rule.State}' is not one Herald knows: use {string.Join(", ", ReportWords.RuleStates)}.");
            }
            if (rule.Detail is not null)
            {
                CheckPattern(rule.Detail, $"{at}.statuses[{i}].detail", error);
            }
            if (rule.RequireErrorCode == true && declaration.ErrorCode is null)
            {
                error($"{at}.statuses[{i}].requireErrorCode", "requireErrorCode needs an errorCode field to look at.");
            }
        }
        declaration.Statuses.RemoveAll(r => r is null);
        declaration.UnknownStatus = Blank(declaration.UnknownStatus)?.ToLowerInvariant() ?? "unprocessed";
        if (!ReportWords.RuleStates.Contains(declaration.UnknownStatus))
        {
            error($"{at}.unknownStatus", $"unknownStatus '{declaration.UnknownStatus}' is not one Herald knows: use unprocessed (kept and shown in /reports), event, or a state.");
        }

        string? Field(string? value, string name)
        {
            value = Blank(value);
            if (value is null)
            {
                return null;
            }
            foreach (var alternative in ReportWords.Alternatives(value))
            {
                var path = alternative.TrimStart('^');
                if (path.Length == 0 || (path.Contains('.', StringComparison.Ordinal) || path.Contains('[', StringComparison.Ordinal)) && !JsonPath.IsValid(path))
                {
                    error($"{at}.{name}", $"'{alternative}' is not a field: write a name (message_id), a JSON path inside the record (status.code), or several separated by | (id|message_id).");
                }
            }
            return value;
        }
    }

    /// <summary>The reader of a validated declaration: the preset's, the declared one, or null for <c>auto</c> with no answer of its own.</summary>
    public static Abstractions.IDeliveryReportFormat FormatOf(ReportDeclaration? declaration)
    {
        if (declaration is null || declaration.Preset is null or "auto")
        {
            return declaration?.Answer is null ? GenericDlrFormat.Instance : new AnsweringFormat(GenericDlrFormat.Instance, declaration.Answer);
        }
        if (ReportPresets.Named(declaration.Preset) is { } preset)
        {
            if (declaration.Answer is null)
            {
                return new DeclaredReportFormat(preset);
            }
            var merged = Copy(preset);
            merged.Answer = declaration.Answer;
            return new DeclaredReportFormat(merged);
        }
        return new DeclaredReportFormat(declaration);
    }

    /// <summary>The fixed answer a declaration gives, when it declares a body.</summary>
    internal static Abstractions.CallbackReply? ReplyOf(ReportAnswer? answer) => answer is { Body: { } body }
        ? new(answer.Status ?? 200, body, answer.ContentType ?? (body.TrimStart() is ['{' or '[', ..] ? "application/json" : "text/plain"))
        : null;

    private static ReportDeclaration Copy(ReportDeclaration source) => new()
    {
        Preset = source.Preset, Source = source.Source, Records = source.Records, HeraldId = source.HeraldId, ProviderId = source.ProviderId,
        Status = source.Status, ErrorCode = source.ErrorCode, ErrorDescription = source.ErrorDescription, Time = source.Time,
        Statuses = source.Statuses, UnknownStatus = source.UnknownStatus, Answer = source.Answer,
    };

    private static void ValidateAnswer(ReportAnswer? answer, Action<string, string> error)
    {
        if (answer is null)
        {
            return;
        }
        if (answer.Status is { } status && status is < 200 or > 299)
        {
            error("settings.reports.answer.status", "answer.status must be a 2xx status code (200-299): it tells the provider its report was taken.");
        }
        if (answer.UnusableStatus is { } unusable && unusable is < 200 or > 499)
        {
            error("settings.reports.answer.unusableStatus", "answer.unusableStatus must be between 200 and 499.");
        }
        answer.Body = string.IsNullOrEmpty(answer.Body) ? null : answer.Body;
        if (answer.Body is { Length: > 1000 })
        {
            error("settings.reports.answer.body", "answer.body is at most 1,000 characters.");
        }
        answer.ContentType = Blank(answer.ContentType);
        if (answer.ContentType is { } type && (!type.Contains('/', StringComparison.Ordinal) || type.Any(char.IsControl)))
        {
            error("settings.reports.answer.contentType", $"'{type}' is not a content type: write it like text/plain or application/json.");
        }
    }

    private static void CheckPattern(string pattern, string field, Action<string, string> error)
    {
        try
        {
            _ = ReportWords.Pattern(pattern);
        }
        catch (ArgumentException ex)
        {
            error(field, $"Not a valid regular expression: {ex.Message}");
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The auto format with a declared answer.</summary>
    private sealed class AnsweringFormat(Abstractions.IDeliveryReportFormat inner, ReportAnswer answer) : Abstractions.IDeliveryReportFormat
    {
        public string Name => "auto";

        public Herald.Core.DeliveryReports.DlrParseResult Parse(Herald.Core.DeliveryReports.DlrRequest request) => inner.Parse(request);

        public Abstractions.CallbackReply? Reply { get; } = ReplyOf(answer);

        public int SuccessStatus => answer.Status ?? 200;

        public int UnusableStatus => answer.UnusableStatus ?? 200;
    }
}
