using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Simulator.Http;
using Herald.Simulator.Scenarios;

namespace Herald.Simulator.Kaleyra;

/// <summary>
/// Validates the fields of a Kaleyra send (protocols.md §3) read by <see cref="RequestFieldReader"/>. Every
/// failure names its field. Accepted: <c>to</c> (comma-separated, or a JSON array in a JSON body; with or
/// without <c>+</c>; at most 100), <c>sender</c>, <c>body</c> (required unless <c>template_id</c>),
/// <c>type</c> (OTP, DEFAULT, MKT, TXN; case-insensitive; DEFAULT when absent), <c>template_id</c>
/// (12-30 digits; required for TXN/MKT to a +91 number: India DLT), <c>callback</c> (JSON),
/// <c>callback_profile_id</c> (recorded only: the simulator knows no profiles, so no callbacks),
/// <c>ref</c>/<c>ref1</c>/<c>ref2</c> (≤150 chars), <c>unicode</c> (0, 1, Auto), <c>flash</c> (0, 1),
/// <c>time</c> (ISO-8601 with offset, 15 minutes (less a minute of grace) to 3 months ahead),
/// <c>url_data</c> (JSON <c>{"shorten_url":1,"url":"https://.."}</c>; the body must contain <c>{URL}</c>),
/// <c>campaign_name</c> (<c>^[\w-]*$</c>).
/// </summary>
internal static partial class KaleyraRequestParser
{
    public const int MaxRecipients = 100;
    public const int MaxRefLength = 150;
    public const string DefaultType = "DEFAULT";

    private static readonly string[] Types = ["OTP", DefaultType, "MKT", "TXN"];
    private static readonly TimeSpan MinScheduleAhead = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan ScheduleGrace = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxRetryInterval = TimeSpan.FromDays(1);

    /// <summary>The validated send, or the first problem found (naming its field).</summary>
    /// <param name="values">The request's fields.</param>
    /// <param name="now">For the <c>time</c> window.</param>
    /// <param name="retryScale"><see cref="SimulatorOptions.KaleyraRetryIntervalScale"/>.</param>
    /// <param name="send">The send when valid.</param>
    public static KaleyraFieldError? Validate(Dictionary<string, string> values, DateTimeOffset now, double retryScale, out KaleyraSend? send)
    {
        send = null;
        var to = RequestFieldReader.Get(values, "to");
        if (to is null)
        {
            return new("to", "The field 'to' is required: one or more comma-separated numbers in E.164 format.");
        }

        if (ParseRecipients(to, out var recipients) is { } toError)
        {
            return toError;
        }

        var body = RequestFieldReader.Get(values, "body");
        var templateId = RequestFieldReader.Get(values, "template_id");
        if (body is null && templateId is null)
        {
            return new("body", "The field 'body' is required unless 'template_id' is given.");
        }

        var type = DefaultType;
        if (RequestFieldReader.Get(values, "type") is { } rawType)
        {
            if (CanonicalType(rawType.AsSpan().Trim()) is { } canonical)
            {
                type = canonical;
            }
            else
            {
                return new("type", $"The field 'type' ('{rawType}') must be one of OTP, DEFAULT, MKT, TXN.");
            }
        }

        if (templateId is not null && !IsDigits(templateId, 12, 30))
        {
            return new("template_id", $"The field 'template_id' ('{templateId}') must be a DLT template id of 12 to 30 digits.");
        }

        var @ref = RequestFieldReader.Get(values, "ref");
        var ref1 = RequestFieldReader.Get(values, "ref1");
        var ref2 = RequestFieldReader.Get(values, "ref2");
        if ((CheckRef("ref", @ref) ?? CheckRef("ref1", ref1) ?? CheckRef("ref2", ref2)) is { } refError)
        {
            return refError;
        }

        KaleyraCallbackSpec? callback = null;
        if (RequestFieldReader.Get(values, "callback") is { } rawCallback
            && ParseCallback(rawCallback, retryScale, out callback) is { } callbackError)
        {
            return callbackError;
        }

        if (RequestFieldReader.Get(values, "url_data") is { } urlData && CheckUrlData(urlData, body) is { } urlDataError)
        {
            return urlDataError;
        }

        DateTimeOffset? scheduledAt = null;
        if (RequestFieldReader.Get(values, "time") is { } rawTime)
        {
            if (ParseTime(rawTime, now, out var at) is { } timeError)
            {
                return timeError;
            }

            scheduledAt = at;
        }

        if (RequestFieldReader.Get(values, "unicode") is { } unicode
            && !(unicode is "0" or "1" || unicode.Equals("auto", StringComparison.OrdinalIgnoreCase)))
        {
            return new("unicode", $"The field 'unicode' ('{unicode}') must be 1, 0 or Auto.");
        }

        if (RequestFieldReader.Get(values, "flash") is { } flash && flash is not ("0" or "1"))
        {
            return new("flash", $"The field 'flash' ('{flash}') must be 1 or 0.");
        }

        if (RequestFieldReader.Get(values, "campaign_name") is { } campaign && !CampaignName().IsMatch(campaign))
        {
            return new("campaign_name", $"The field 'campaign_name' ('{campaign}') may hold only letters, digits, '_' and '-'.");
        }

        if (templateId is null && type is "TXN" or "MKT")
        {
            foreach (var recipient in recipients)
            {
                if (recipient.StartsWith("91", StringComparison.Ordinal))
                {
                    return new("template_id", $"The field 'template_id' is required: recipient {recipient} is in India, where type {type} needs a registered DLT template.");
                }
            }
        }

        send = new KaleyraSend(
            recipients, RequestFieldReader.Get(values, "sender"), body, type, templateId, callback, @ref, ref1, ref2, scheduledAt);
        return null;
    }

    private static KaleyraFieldError? ParseRecipients(string to, out string[] recipients)
    {
        recipients = [];
        var span = to.AsSpan().Trim();
        string[]? fromJson = null;
        if (span.StartsWith("["))
        {
            if (!TryParseJsonArray(to, out fromJson))
            {
                return new("to", "The field 'to' is not a valid JSON array of numbers.");
            }
        }

        var count = fromJson?.Length ?? span.Count(',') + 1;
        if (count > MaxRecipients)
        {
            return new("to", $"The field 'to' has {count} recipients; at most {MaxRecipients} are allowed per request.");
        }

        var result = new List<string>(count);
        if (fromJson is not null)
        {
            foreach (var number in fromJson)
            {
                if (AddRecipient(result, number) is { } error)
                {
                    return error;
                }
            }
        }
        else
        {
            foreach (var range in span.Split(','))
            {
                if (AddRecipient(result, span[range]) is { } error)
                {
                    return error;
                }
            }
        }

        if (result.Count == 0)
        {
            return new("to", "The field 'to' holds no number.");
        }

        recipients = [.. result];
        return null;
    }

    private static KaleyraFieldError? AddRecipient(List<string> result, ReadOnlySpan<char> number)
    {
        var trimmed = number.Trim();
        if (trimmed.IsEmpty)
        {
            return null; // "a,,b" or a trailing comma: tolerated.
        }

        if (!PhoneDigits.TryGet(trimmed, out var digits))
        {
            return new("to", $"Invalid number '{trimmed}' in 'to': expected E.164 (an optional + and 8 to 15 digits).");
        }

        result.Add(digits);
        return null;
    }

    private static string? CanonicalType(ReadOnlySpan<char> raw)
    {
        foreach (var type in Types)
        {
            if (raw.Equals(type, StringComparison.OrdinalIgnoreCase))
            {
                return type;
            }
        }

        return null;
    }

    private static bool TryParseJsonArray(string json, out string[] numbers)
    {
        numbers = [];
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var list = new List<string>(document.RootElement.GetArrayLength());
            foreach (var item in document.RootElement.EnumerateArray())
            {
                list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
            }

            numbers = [.. list];
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static KaleyraFieldError? CheckRef(string field, string? value) =>
        value is { Length: > MaxRefLength }
            ? new(field, $"The field '{field}' is {value.Length} characters long; at most {MaxRefLength} are allowed.")
            : null;

    private static bool IsDigits(string value, int min, int max) =>
        value.Length >= min && value.Length <= max && value.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    private static KaleyraFieldError? ParseCallback(string raw, double retryScale, out KaleyraCallbackSpec? spec)
    {
        spec = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(raw);
        }
        catch (JsonException ex)
        {
            return new("callback", $"The field 'callback' is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new("callback", """The field 'callback' must be a JSON object like {"url":"https://..","method":"POST"}.""");
            }

            if (!root.TryGetProperty("url", out var urlElement) || urlElement.ValueKind != JsonValueKind.String
                || !Uri.TryCreate(urlElement.GetString(), UriKind.Absolute, out var url)
                || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                return new("callback", "The field 'callback' needs a 'url' that is an absolute http(s) URL.");
            }

            var useGet = false;
            if (root.TryGetProperty("method", out var methodElement) && methodElement.ValueKind != JsonValueKind.Null)
            {
                var method = methodElement.ValueKind == JsonValueKind.String ? methodElement.GetString() : null;
                if (string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase))
                {
                    useGet = true;
                }
                else if (!string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase))
                {
                    return new("callback", $"The field 'callback' has method '{methodElement}'; expected POST or GET.");
                }
            }

            var contentType = "application/x-www-form-urlencoded";
            var headers = new List<KeyValuePair<string, string>>();
            if (root.TryGetProperty("header", out var headerElement) && headerElement.ValueKind != JsonValueKind.Null)
            {
                if (headerElement.ValueKind != JsonValueKind.Object)
                {
                    return new("callback", "The field 'callback' has a 'header' that is not a JSON object of name/value pairs.");
                }

                foreach (var header in headerElement.EnumerateObject())
                {
                    var value = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText();
                    if (header.Name.Length == 0 || header.Name.AsSpan().ContainsAny(" :\r\n") || value.AsSpan().ContainsAny('\r', '\n'))
                    {
                        return new("callback", $"The field 'callback' has an invalid header '{header.Name}'.");
                    }

                    if (header.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                    {
                        contentType = value;
                    }
                    else
                    {
                        headers.Add(new(header.Name, value));
                    }
                }
            }

            TimeSpan[]? retryDelays = null;
            if (root.TryGetProperty("retry", out var retryElement) && retryElement.ValueKind != JsonValueKind.Null
                && ParseRetry(retryElement, retryScale, out retryDelays) is { } retryError)
            {
                return retryError;
            }

            spec = new KaleyraCallbackSpec(url, useGet, contentType, [.. headers], retryDelays);
            return null;
        }
    }

    private static KaleyraFieldError? ParseRetry(JsonElement retry, double scale, out TimeSpan[]? delays)
    {
        delays = null;
        if (retry.ValueKind != JsonValueKind.Object)
        {
            return new("callback", """The field 'callback' has a 'retry' that is not an object like {"count":"3","interval":["10","10","10"]}.""");
        }

        int? count = null;
        if (retry.TryGetProperty("count", out var countElement) && countElement.ValueKind != JsonValueKind.Null)
        {
            if (!TryGetNumber(countElement, out var rawCount) || rawCount < 0 || rawCount > SimulatorOptions.MaxDlrRetryCount
                || rawCount != Math.Floor(rawCount))
            {
                return new("callback", $"The field 'callback' has a retry 'count' that is not a whole number from 0 to {SimulatorOptions.MaxDlrRetryCount}.");
            }

            count = (int)rawCount;
        }

        var intervals = new List<TimeSpan>();
        if (retry.TryGetProperty("interval", out var intervalElement) && intervalElement.ValueKind != JsonValueKind.Null)
        {
            if (intervalElement.ValueKind != JsonValueKind.Array)
            {
                return new("callback", "The field 'callback' has a retry 'interval' that is not an array of seconds.");
            }

            foreach (var item in intervalElement.EnumerateArray())
            {
                if (!TryGetNumber(item, out var seconds) || seconds < 0 || seconds > MaxRetryInterval.TotalSeconds)
                {
                    return new("callback", "The field 'callback' has a retry 'interval' entry that is not a number of seconds from 0 to 86400.");
                }

                intervals.Add(TimeSpan.FromSeconds(seconds));
            }
        }

        // Without a count, one retry per interval; missing intervals repeat the last one given (or 10 s,
        // Kaleyra's example, when none is).
        var retries = Math.Min(count ?? intervals.Count, SimulatorOptions.MaxDlrRetryCount);
        delays = new TimeSpan[retries];
        for (var i = 0; i < retries; i++)
        {
            var interval = intervals.Count == 0 ? DefaultRetryInterval : intervals[Math.Min(i, intervals.Count - 1)];
            delays[i] = interval * scale;
        }

        return null;
    }

    private static bool TryGetNumber(JsonElement element, out double value)
    {
        value = 0;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetDouble(out value),
            JsonValueKind.String => double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value),
            _ => false,
        };
    }

    private static KaleyraFieldError? CheckUrlData(string raw, string? body)
    {
        try
        {
            using var document = JsonDocument.Parse(raw);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("url", out var urlElement) || urlElement.ValueKind != JsonValueKind.String
                || !Uri.TryCreate(urlElement.GetString(), UriKind.Absolute, out var url)
                || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                return new("url_data", """The field 'url_data' must be a JSON object like {"shorten_url":1,"url":"https://.."} with an absolute http(s) url.""");
            }
        }
        catch (JsonException ex)
        {
            return new("url_data", $"The field 'url_data' is not valid JSON: {ex.Message}");
        }

        if (body is not null && !body.Contains("{URL}", StringComparison.Ordinal))
        {
            return new("url_data", "The field 'url_data' needs a {URL} placeholder in 'body' where the short URL goes.");
        }

        return null;
    }

    private static KaleyraFieldError? ParseTime(string raw, DateTimeOffset now, out DateTimeOffset at)
    {
        at = default;
        if (!ExplicitOffset().IsMatch(raw)
            || !DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out at))
        {
            return new("time", $"The field 'time' ('{raw}') must be an ISO-8601 date and time with an offset, e.g. 2025-06-01T10:30:00+05:30.");
        }

        if (at < now + MinScheduleAhead - ScheduleGrace || at > now.AddMonths(3))
        {
            return new("time", $"The field 'time' ('{raw}') must be between 15 minutes and 3 months ahead.");
        }

        return null;
    }

    [GeneratedRegex(@"^[\w-]*$")]
    private static partial Regex CampaignName();

    [GeneratedRegex(@"^\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ExplicitOffset();
}
