using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Api.DeliveryReports;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.Connect;

/// <summary>
/// Applies Kaleyra's callbacks for connector messages: each report moves the Herald message through the state
/// machine and, when it moved it to a final state, enqueues the CleverTap event (<c>delivered</c>, or <c>failed</c>
/// with the code of protocols.md §2) for the relay worker, in the same transaction. <c>Sent</c> has no CleverTap
/// event; a duplicate or late report stays on the timeline and is not relayed, so CleverTap gets one event per message.
/// </summary>
internal sealed partial class ConnectorCallbackProcessor(
    IConnectorStore store,
    IMessageStore messages,
    RelaySignal signal,
    TimeProvider time,
    ILogger<ConnectorCallbackProcessor> logger)
{
    /// <summary>Parses and applies one stored callback and marks it processed; returns the answer for Kaleyra.</summary>
    public async Task<(int StatusCode, DlrAnswer Answer)> ApplyAsync(ConnectorCallbackItem item, CancellationToken cancellationToken)
    {
        (int, DlrAnswer) result;
        try
        {
            var parsed = Herald.Providers.GenericHttp.GenericDlrFormat.Instance.Parse(new DlrRequest(item.ContentType, item.Body, CallbackBodies.Query(item.Query)));
            result = (StatusCodes.Status200OK, await ApplyAsync(item, parsed, cancellationToken));
        }
        catch (DlrFormatException ex)
        {
            result = (StatusCodes.Status400BadRequest, new DlrAnswer("fail", 0, [], ex.Message));
        }
        await store.MarkCallbackProcessedAsync(item.Id, JsonSerializer.Serialize(result.Item2, HeraldJson.Options), cancellationToken);
        return result;
    }

    private async Task<DlrAnswer> ApplyAsync(ConnectorCallbackItem item, DlrParseResult parsed, CancellationToken cancellationToken)
    {
        var unprocessed = parsed.Unprocessed.Select(u => new DlrUnprocessed("fail", u.Code, u.Error, CallbackBodies.Record(u.Record))).ToList();
        var connector = await store.GetMessageAsync(item.MessageId, cancellationToken);
        var message = await messages.GetAsync(item.MessageId, cancellationToken);
        if (connector is null || message is null)
        {
            return new DlrAnswer("fail", 0, unprocessed, $"Message '{item.MessageId}' no longer exists.");
        }
        var processed = 0;
        var relayed = false;
        foreach (var report in parsed.Reports)
        {
            if (!BelongsTo(report, connector, message))
            {
                unprocessed.Add(new("fail", "other_message",
                    $"This callback URL is for message_id '{connector.ExternalId}'; the report names another message.", CallbackBodies.Record(report.Raw)));
                continue;
            }
            var cleverTap = CleverTapEvent(report.State);
            RelayRecord? relay = null;
            if (cleverTap is not null)
            {
                var now = time.GetUtcNow();
                relay = new RelayRecord
                {
                    MessageId = message.Id,
                    CallbackUrl = connector.CallbackUrl,
                    Event = cleverTap,
                    Payload = Payload(cleverTap, report, connector.ExternalId, report.OccurredAt ?? item.ReceivedAt),
                    NextAttemptAt = now,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
            }
            var (transition, relayId) = await store.ApplyReportAsync(message.Id, new StateChange
            {
                Proposed = report.State,
                Source = "dlr",
                Event = report.Event,
                Note = Note(report, cleverTap),
                Detail = report.Raw,
            }, relay, cancellationToken);
            if (!transition.Found)
            {
                unprocessed.Add(new("fail", "unknown_message", $"Message '{message.Id}' no longer exists.", CallbackBodies.Record(report.Raw)));
                continue;
            }
            relayed |= relayId is not null;
            LogApplied(logger, message.Id, report.Event, transition.Applied, relayId is not null);
            processed++;
        }
        if (relayed)
        {
            signal.Notify();
        }
        var status = unprocessed.Count == 0 ? "success" : processed == 0 ? "fail" : "partial";
        return new DlrAnswer(status, processed, unprocessed);
    }

    /// <summary>The callback URL names one message; a report in it must not name another (by ref or Kaleyra's id).</summary>
    private static bool BelongsTo(DeliveryReport report, ConnectorMessageRecord connector, MessageRecord message)
    {
        if (report.CorrelateBy == DlrCorrelation.HeraldMessageId)
        {
            // Kaleyra's "ref" is CleverTap's message_id here.
            return report.Reference == connector.ExternalId || report.Reference == message.Id
                || (report.AlternateProviderMessageId is { } id && id == message.ProviderMessageId);
        }
        return message.ProviderMessageId is null || report.Reference == message.ProviderMessageId;
    }

    /// <summary>CleverTap's event for a state (protocols.md §2, §5): no event for sent or earlier.</summary>
    public static string? CleverTapEvent(DeliveryState? state) => state switch
    {
        DeliveryState.Delivered => "delivered",
        DeliveryState.Failed or DeliveryState.Undelivered or DeliveryState.Rejected or DeliveryState.Expired => "failed",
        _ => null,
    };

    /// <summary>One record of a CleverTap event's <c>data</c>: ts (epoch seconds), meta, and code + description for failed.</summary>
    public static string Payload(string cleverTapEvent, DeliveryReport report, string meta, DateTimeOffset at)
    {
        var record = new JsonObject
        {
            ["ts"] = at.ToUnixTimeSeconds(),
            ["meta"] = meta,
        };
        if (cleverTapEvent == "failed")
        {
            record["code"] = report.Code ?? "900";
            record["description"] = report.Description ?? report.Event;
        }
        else if (report.Description is { } description)
        {
            record["description"] = description;
        }
        return record.ToJsonString(HeraldJson.Options);
    }

    private static string Note(DeliveryReport report, string? cleverTap)
    {
        var what = report.Description is null ? $"Kaleyra {report.Event}" : $"Kaleyra {report.Event} ({report.Description})";
        var relay = cleverTap is null ? "no CleverTap event for it"
            : cleverTap == "failed" ? $"CleverTap failed {report.Code ?? "900"}, relayed if it moves the message"
            : "CleverTap delivered, relayed if it moves the message";
        var at = report.OccurredAt is { } occurred ? string.Create(CultureInfo.InvariantCulture, $"; reported at {occurred:O}") : "";
        return $"{what}: {relay}{at}";
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kaleyra callback {Event} for connector message {MessageId}: applied={Applied}, relay queued={Relayed}")]
    private static partial void LogApplied(ILogger logger, string messageId, string @event, bool applied, bool relayed);
}

/// <summary>After a crash, applies connector callbacks that were stored but not yet applied.</summary>
internal sealed partial class ConnectorCallbackRecovery(IConnectorStore store, ConnectorCallbackProcessor processor, TimeProvider time,
    ILogger<ConnectorCallbackRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Only callbacks from before this start: newer ones are being applied by the request that stored them.
        var started = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var pending = (await store.PendingCallbacksAsync(500, stoppingToken)).Where(p => p.ReceivedAt < started).ToList();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying {Count} Kaleyra connector callbacks received before the last stop")]
    private static partial void LogRecovering(ILogger logger, int count);
}
