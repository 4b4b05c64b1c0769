using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.DeliveryReports;
using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Cluster;
using Herald.Storage.Records;

namespace Herald.Api.DeliveryReports;

/// <summary>The answer to a callback, in CleverTap's shape.</summary>
public sealed record DlrAnswer(string Status, int Processed, IReadOnlyList<DlrUnprocessed> Unprocessed, string? Error = null);

/// <summary>One record that could not be applied.</summary>
public sealed record DlrUnprocessed(string Status, string Code, string Error, JsonNode? Record);

/// <summary>Applies stored delivery reports to messages. Idempotent: the same report twice changes nothing.</summary>
internal sealed partial class DlrProcessor(IMessageStore messages, IDlrInbox inbox, IPendingReports pending, Herald.Dispatch.HeraldMetrics metrics, TimeProvider time, ILogger<DlrProcessor> logger)
{
    /// <summary>Parses and applies one stored report and marks it processed; returns the answer for the sender.</summary>
    public async Task<(int StatusCode, DlrAnswer Answer)> ApplyAsync(DlrInboxItem item, CancellationToken cancellationToken)
    {
        (int, DlrAnswer) result;
        try
        {
            var parsed = DlrParser.Parse(new DlrRequest(item.ContentType, item.Body, CallbackBodies.Query(item.Query)));
            result = (StatusCodes.Status200OK, await ApplyAsync(item.ProviderId, parsed, cancellationToken));
        }
        catch (DlrFormatException ex)
        {
            result = (StatusCodes.Status400BadRequest, new DlrAnswer("fail", 0, [], ex.Message));
        }
        await inbox.MarkProcessedAsync(item.Id, JsonSerializer.Serialize(result.Item2, HeraldJson.Options), cancellationToken);
        return result;
    }

    private async Task<DlrAnswer> ApplyAsync(string providerId, DlrParseResult parsed, CancellationToken cancellationToken)
    {
        var unprocessed = parsed.Unprocessed.Select(u => new DlrUnprocessed("fail", u.Code, u.Error, CallbackBodies.Record(u.Record))).ToList();
        var processed = 0;
        var parked = new List<PendingReport>();
        foreach (var report in parsed.Reports)
        {
            var messageId = await CorrelateAsync(providerId, report, cancellationToken);
            if (messageId is null)
            {
                if ((report.CorrelateBy == DlrCorrelation.ProviderMessageId ? report.Reference : report.AlternateProviderMessageId) is { } providerMessageId)
                {
                    // It may have overtaken the send's answer: keep it until that id is recorded.
                    parked.Add(new PendingReport
                    {
                        ProviderId = providerId, ProviderMessageId = providerMessageId,
                        Report = JsonSerializer.Serialize(report, HeraldJson.Options), ReceivedAt = time.GetUtcNow(),
                    });
                    processed++;
                    continue;
                }
                unprocessed.Add(new("fail", "unknown_message",
                    $"No message of this provider has the id '{report.Reference}'. meta must be the $$MessageID Herald sent.", CallbackBodies.Record(report.Raw)));
                continue;
            }
            if (!await ApplyReportAsync(messageId, report, cancellationToken))
            {
                unprocessed.Add(new("fail", "unknown_message", $"Message '{messageId}' no longer exists.", CallbackBodies.Record(report.Raw)));
                continue;
            }
            processed++;
        }
        await pending.AddAsync(parked, cancellationToken);
        var status = unprocessed.Count == 0 ? "success" : processed == 0 ? "fail" : "partial";
        return new DlrAnswer(status, processed, unprocessed);
    }

    /// <summary>Puts one report on its message's timeline, moving the state when the rules allow; false if the message is gone.</summary>
    public async Task<bool> ApplyReportAsync(string messageId, DeliveryReport report, CancellationToken cancellationToken)
    {
        var note = report.Code is null ? report.Description : $"code {report.Code}{(report.Description is null ? "" : ": " + report.Description)}";
        if (report.OccurredAt is { } at)
        {
            note = note is null ? $"reported at {at:O}" : $"{note} (reported at {at:O})";
        }
        var outcome = await messages.TransitionAsync(messageId, new StateChange
        {
            Proposed = report.State,
            Source = "dlr",
            Event = report.Event,
            Note = note,
            Detail = report.Raw,
        }, cancellationToken);
        if (outcome is { Found: true, Applied: true, State: { } state })
        {
            metrics.Final(null, state);
        }
        if (outcome.Found)
        {
            LogApplied(logger, messageId, report.Event, outcome.Applied, outcome.State?.ToString() ?? "?");
        }
        return outcome.Found;
    }

    private async Task<string?> CorrelateAsync(string providerId, DeliveryReport report, CancellationToken cancellationToken)
    {
        if (report.CorrelateBy == DlrCorrelation.HeraldMessageId)
        {
            var message = await messages.GetAsync(report.Reference, cancellationToken);
            if (message is not null && message.ProviderId == providerId)
            {
                return message.Id;
            }
            return report.AlternateProviderMessageId is { } alternate
                ? await messages.FindByProviderMessageIdAsync(providerId, alternate, cancellationToken)
                : null;
        }
        return await messages.FindByProviderMessageIdAsync(providerId, report.Reference, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "DLR {Event} for {MessageId}: applied={Applied}, state={State}")]
    private static partial void LogApplied(ILogger logger, string messageId, string @event, bool applied, string state);
}

/// <summary>
/// Applies parked reports once the provider message id they name is recorded (a report that
/// overtook the send's answer), and gives up on those still unmatched after an hour. A cluster-wide
/// job: only the leader runs it, so two nodes never apply the same parked report.
/// </summary>
internal sealed partial class PendingReportWorker(IPendingReports pending, DlrProcessor processor, IClusterLeadership leadership, TimeProvider time,
    ILogger<PendingReportWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextStaleCheck = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!leadership.IsLeader)
                {
                    await Task.Delay(Interval, time, stoppingToken);
                    continue;
                }
                var matched = await pending.MatchedAsync(500, stoppingToken);
                foreach (var (report, messageId) in matched)
                {
                    var parsed = JsonSerializer.Deserialize<DeliveryReport>(report.Report, HeraldJson.Options)!;
                    await processor.ApplyReportAsync(messageId, parsed, stoppingToken);
                }
                await pending.RemoveAsync(matched.Select(m => m.Report.Id).ToList(), stoppingToken);
                if (time.GetUtcNow() >= nextStaleCheck)
                {
                    nextStaleCheck = time.GetUtcNow() + TimeSpan.FromMinutes(1);
                    var stale = await pending.StaleAsync(time.GetUtcNow() - GiveUpAfter, 500, stoppingToken);
                    foreach (var report in stale)
                    {
                        LogGaveUp(logger, report.ProviderId, report.ProviderMessageId);
                    }
                    await pending.RemoveAsync(stale.Select(s => s.Id).ToList(), stoppingToken);
                }
                if (matched.Count == 0)
                {
                    await Task.Delay(Interval, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or JsonException or InvalidOperationException)
            {
                LogFailed(logger, ex);
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up on a delivery report for {ProviderMessageId} from provider {ProviderId}: no message with that id after an hour (it stays in the raw report log)")]
    private static partial void LogGaveUp(ILogger logger, string providerId, string providerMessageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying parked delivery reports failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>After a crash, applies reports that were stored but not yet applied.</summary>
internal sealed partial class DlrRecoveryService(IDlrInbox inbox, DlrProcessor processor, ILogger<DlrRecoveryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var pending = await inbox.PendingAsync(500, stoppingToken);
            if (pending.Count == 0)
            {
                return;
            }
            LogRecovering(logger, pending.Count);
            foreach (var item in pending)
            {
                await processor.ApplyAsync(item, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying {Count} delivery reports received before the last stop")]
    private static partial void LogRecovering(ILogger logger, int count);
}
