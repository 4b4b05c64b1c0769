using Herald.Core.Messaging;

namespace Herald.Core.DeliveryReports;

/// <summary>How a report names its message.</summary>
public enum DlrCorrelation
{
    /// <summary>By Herald's own message id (the <c>$$MessageID</c> / <c>meta</c> / <c>ref</c> echo).</summary>
    HeraldMessageId,
    /// <summary>By the id the provider gave in its send response.</summary>
    ProviderMessageId,
}

/// <summary>One event about one message, from any report format.</summary>
/// <param name="Reference">The id that names the message.</param>
/// <param name="CorrelateBy">What kind of id <paramref name="Reference"/> is.</param>
/// <param name="Event">The event as the source named it (delivered, failed, clicked, Sent...).</param>
/// <param name="State">The state it moves the message to; null for events that only go on the timeline (clicked, replied).</param>
/// <param name="OccurredAt">When the source says it happened.</param>
/// <param name="Code">The failure code, if any.</param>
/// <param name="Description">The source's description, if any.</param>
/// <param name="Raw">The record as received, for the timeline.</param>
public sealed record DeliveryReport(
    string Reference,
    DlrCorrelation CorrelateBy,
    string Event,
    DeliveryState? State,
    DateTimeOffset? OccurredAt,
    string? Code,
    string? Description,
    string Raw)
{
    /// <summary>A fallback reference by provider message id, tried when <see cref="Reference"/> finds nothing.</summary>
    public string? AlternateProviderMessageId { get; init; }
}

/// <summary>A record of a report that could not be used, in CleverTap's <c>unprocessed</c> shape.</summary>
/// <param name="Code">A short machine code.</param>
/// <param name="Error">What is wrong with it.</param>
/// <param name="Record">The record as received.</param>
public sealed record UnprocessedRecord(string Code, string Error, string Record);

/// <summary>A parsed report body: usable events and unusable records.</summary>
public sealed record DlrParseResult(IReadOnlyList<DeliveryReport> Reports, IReadOnlyList<UnprocessedRecord> Unprocessed);

/// <summary>A callback as it reached Herald: body, content type and query string.</summary>
/// <param name="ContentType">The request's content type, if any.</param>
/// <param name="Body">The raw body (may be empty for GET callbacks).</param>
/// <param name="Query">The query string fields.</param>
public sealed record DlrRequest(string? ContentType, string Body, IReadOnlyDictionary<string, string> Query);

/// <summary>The body is not a report in the format its provider's kind reads.</summary>
public sealed class DlrFormatException(string message) : Exception(message);
