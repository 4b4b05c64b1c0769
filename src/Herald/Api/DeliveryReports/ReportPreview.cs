using System.Text.Json;
using Herald.Core;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;

namespace Herald.Api.DeliveryReports;

/// <summary>A sample callback to read (the body of <c>POST /api/v1/providers/{id}/reports/preview</c>).</summary>
/// <param name="Method">GET or POST; absent: POST when there is a body, else GET.</param>
/// <param name="ContentType">The callback's content type, e.g. application/x-www-form-urlencoded.</param>
/// <param name="Query">The query string, with or without the leading '?' (or the whole callback URL).</param>
/// <param name="Body">The body.</param>
/// <param name="Reports">Optional: a reports declaration to read it by instead of the saved one (to try it before saving).</param>
public sealed record ReportSample(string? Method, string? ContentType, string? Query, string? Body, JsonElement? Reports = null);

/// <summary>How Herald reads a sample callback: its records, those it cannot use, or why it cannot read it at all, and its answer.</summary>
/// <param name="Format">The format it was read by: a preset's name, <c>custom</c>, or the provider's kind.</param>
/// <param name="Records">The reports Herald takes from it.</param>
/// <param name="Unprocessed">The records it would keep as unprocessed, with why.</param>
/// <param name="Problem">Why the callback cannot be read at all (Herald would answer 400); null when it can.</param>
/// <param name="Answer">What Herald would answer, if every message named is found.</param>
public sealed record ReportPreview(string Format, IReadOnlyList<PreviewRecord> Records, IReadOnlyList<DlrUnprocessed> Unprocessed, string? Problem, PreviewAnswer Answer);

/// <summary>One report as Herald reads it.</summary>
/// <param name="MessageId">The id that names the message.</param>
/// <param name="CorrelateBy"><c>herald</c> (it is Herald's $$MessageID) or <c>provider</c> (the provider's message id).</param>
/// <param name="ProviderMessageId">The provider's id given beside Herald's, tried when Herald's finds nothing.</param>
/// <param name="Event">The event as the provider named it.</param>
/// <param name="State">The state it moves the message to; null for an event that only goes on the timeline.</param>
/// <param name="ErrorCode">The error code recorded.</param>
/// <param name="ErrorDescription">The error description recorded.</param>
/// <param name="Time">When the provider says it happened.</param>
public sealed record PreviewRecord(string MessageId, string CorrelateBy, string? ProviderMessageId, string Event, string? State, string? ErrorCode,
    string? ErrorDescription, DateTimeOffset? Time);

/// <summary>Herald's answer to the callback.</summary>
public sealed record PreviewAnswer(int Status, string ContentType, string Body);

/// <summary>Reads a sample callback the way the callback URL would, without storing or applying anything.</summary>
internal static class ReportPreviews
{
    /// <summary>Null when the sample can be read; otherwise the field and what to fix.</summary>
    public static (string Field, string Message)? Check(ReportSample sample)
    {
        var method = sample.Method?.Trim().ToUpperInvariant();
        if (method is not (null or "" or "GET" or "POST"))
        {
            return ("method", $"method '{sample.Method}' is not one a provider calls back with: use GET or POST.");
        }
        if (method == "GET" && !string.IsNullOrEmpty(sample.Body))
        {
            return ("body", "A GET callback has no body: put its fields in query, or use method POST.");
        }
        if (string.IsNullOrWhiteSpace(sample.Body) && string.IsNullOrWhiteSpace(sample.Query))
        {
            return ("body", "Paste a sample callback: its query string, its body, or both.");
        }
        if ((sample.Body?.Length ?? 0) > 1024 * 1024)
        {
            return ("body", "A sample body may be at most 1 MiB.");
        }
        return null;
    }

    /// <summary>Reads <paramref name="sample"/> by <paramref name="format"/>.</summary>
    public static ReportPreview Read(IDeliveryReportFormat format, string formatName, ReportSample sample)
    {
        var query = sample.Query?.Trim() ?? "";
        var mark = query.IndexOf('?', StringComparison.Ordinal);
        if (mark >= 0)
        {
            query = query[(mark + 1)..]; // the whole callback URL pasted
        }
        var request = new DlrRequest(string.IsNullOrWhiteSpace(sample.ContentType) ? null : sample.ContentType.Trim(), sample.Body ?? "", CallbackBodies.Query(query));
        DlrParseResult parsed;
        try
        {
            parsed = format.Parse(request);
        }
        catch (DlrFormatException ex)
        {
            var failed = JsonSerializer.Serialize(new DlrAnswer("fail", 0, [], ex.Message), HeraldJson.Options);
            return new ReportPreview(formatName, [], [], ex.Message, new PreviewAnswer(StatusCodes.Status400BadRequest, "application/json", failed));
        }
        var records = parsed.Reports.Select(r => new PreviewRecord(r.Reference, r.CorrelateBy == DlrCorrelation.HeraldMessageId ? "herald" : "provider",
            r.AlternateProviderMessageId, r.Event, r.State?.ToWire(), r.Code, r.Description, r.OccurredAt)).ToList();
        var unprocessed = parsed.Unprocessed.Select(u => new DlrUnprocessed("fail", u.Code, u.Error, CallbackBodies.Record(u.Record))).ToList();
        var status = unprocessed.Count == 0 ? "success" : records.Count == 0 ? "fail" : "partial";
        PreviewAnswer answer;
        if (status != "fail" && format.Reply is { } reply)
        {
            answer = new PreviewAnswer(reply.StatusCode, reply.ContentType, reply.Body);
        }
        else
        {
            answer = new PreviewAnswer(status == "fail" ? format.UnusableStatus : format.SuccessStatus, "application/json",
                JsonSerializer.Serialize(new DlrAnswer(status, records.Count, unprocessed), HeraldJson.Options));
        }
        return new ReportPreview(formatName, records, unprocessed, null, answer);
    }
}
