using Herald.Core.DeliveryReports;

namespace Herald.Providers.Abstractions;

/// <summary>
/// How a provider kind reads the delivery reports posted to its providers' callback URLs. The URL
/// (<c>/dlr/{providerId}/{token}</c>) names the provider, so its kind picks the format: there is no guessing across kinds.
/// </summary>
public interface IDeliveryReportFormat
{
    /// <summary>Reads a callback; records that cannot be used come back as unprocessed.</summary>
    /// <exception cref="DlrFormatException">The callback is not in this format at all: the message says what to send.</exception>
    DlrParseResult Parse(DlrRequest request);

    /// <summary>
    /// Checks that a callback comes from the provider, before anything of it is stored: null when it does, otherwise why not
    /// (answered 403, stored nowhere). Formats of providers that do not sign their callbacks keep this default: the token in
    /// the callback URL is their credential.
    /// </summary>
    /// <param name="callback">The callback as the provider sent it.</param>
    /// <param name="settings">
    /// The settings of the provider the callback URL names (its keys, as <see cref="IProviderKind.Read"/> gave them); read only
    /// when called, so formats that verify nothing cost nothing.
    /// </param>
    string? Verify(DlrCallback callback, Func<IProviderSettings> settings) => null;

    /// <summary>The format's name for people (a preset's name, <c>custom</c>); null: the kind's.</summary>
    string? Name => null;

    /// <summary>The answer the provider expects when its callback was read (null: Herald's JSON answer).</summary>
    CallbackReply? Reply => null;

    /// <summary>The status code of Herald's JSON answer when the callback was read. Default 200.</summary>
    int SuccessStatus => 200;

    /// <summary>The status code when nothing in a callback could be used (every record unprocessed). Default 200, as CleverTap answers.</summary>
    int UnusableStatus => 200;
}

/// <summary>A callback as the provider sent it, for a format that checks its signature.</summary>
/// <param name="Url">
/// The URL as the provider called it: the callback URL Herald gave the provider (built on <c>Herald:PublicBaseUrl</c>, so a
/// reverse proxy in front of Herald does not change it) with the request's query string as received.
/// </param>
/// <param name="Method">The HTTP method (GET or POST).</param>
/// <param name="Header">The request's header of that name, or null.</param>
/// <param name="Request">The body, content type and query fields.</param>
public sealed record DlrCallback(Uri Url, string Method, Func<string, string?> Header, DlrRequest Request);

/// <summary>A fixed answer to a provider's callback, for providers that retry until they see it.</summary>
/// <param name="StatusCode">The status code.</param>
/// <param name="Body">The body.</param>
/// <param name="ContentType">The body's content type.</param>
public sealed record CallbackReply(int StatusCode, string Body, string ContentType);

/// <summary>A message a person sent to one of the provider's numbers (a reply, a STOP), as the provider reported it.</summary>
/// <param name="From">The sender's number as the provider gave it.</param>
/// <param name="To">The number or sender id it was sent to, if given.</param>
/// <param name="Text">The text.</param>
/// <param name="Reference">The Herald message it answers, when the provider names one.</param>
/// <param name="ReceivedAt">When the provider says it arrived.</param>
/// <param name="Raw">The record as received.</param>
/// <param name="ProviderMessageId">The provider's id for it, if given: a replay carries the same one.</param>
public sealed record InboundMessage(string From, string? To, string Text, string? Reference, DateTimeOffset? ReceivedAt, string Raw, string? ProviderMessageId = null);

/// <summary>
/// How a provider kind reads inbound messages (replies, STOPs) posted to <c>/inbound/{providerId}/{token}</c>. Each kind owns its
/// format, as it owns its report format: Kaleyra's and Twilio's are built in, a generic provider declares its field names.
/// </summary>
public interface IInboundMessageFormat
{
    /// <summary>Reads a callback carrying inbound messages.</summary>
    /// <exception cref="DlrFormatException">The callback is not in this format: the message says what to send.</exception>
    IReadOnlyList<InboundMessage> Parse(DlrRequest request);

    /// <summary>Checks that a callback comes from the provider (null when it does; see <see cref="IDeliveryReportFormat.Verify"/>).</summary>
    string? Verify(DlrCallback callback, Func<IProviderSettings> settings) => null;

    /// <summary>The answer the provider expects when its message was taken (null: Herald's JSON answer).</summary>
    CallbackReply? Reply => null;
}

/// <summary>Reading callback fields sent as a form or a query string.</summary>
internal static class CallbackFields
{
    /// <summary>Whether a content type may carry form fields (absent, form-urlencoded, or text/plain as some providers send).</summary>
    public static bool IsForm(string? contentType) =>
        contentType is null || contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase);

    /// <summary>Form-urlencoded fields, case-insensitive; the first of a repeated name wins.</summary>
    public static Dictionary<string, string> ParseForm(string body)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in ParsePairs(body))
        {
            fields.TryAdd(key, value);
        }
        return fields;
    }

    /// <summary>Every form-urlencoded name and value, decoded, in the order sent (repeats kept: a signature covers them all).</summary>
    public static IEnumerable<KeyValuePair<string, string>> ParsePairs(string body)
    {
        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((separator < 0 ? pair : pair[..separator]).Replace('+', ' '));
            var value = separator < 0 ? "" : Uri.UnescapeDataString(pair[(separator + 1)..].Replace('+', ' '));
            yield return new(key, value);
        }
    }

    /// <summary>A query string's fields as text, for the raw record.</summary>
    public static string Raw(IReadOnlyDictionary<string, string> query) => string.Join("&", query.Select(q => $"{q.Key}={q.Value}"));
}
