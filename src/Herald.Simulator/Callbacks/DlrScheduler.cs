using System.Text.Json;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Callbacks;

/// <summary>Turns a decided <see cref="DlrOutcome"/> into a queued CleverTap-format DLR callback.</summary>
internal sealed partial class DlrScheduler(
    DlrQueue queue,
    CallbackLog callbacks,
    SimulatorCounters counters,
    ScenarioResolver scenarios,
    TimeProvider time,
    ILogger<DlrScheduler> logger)
{
    public void Schedule(string messageId, Uri callbackUrl, DlrOutcome outcome)
    {
        if (outcome.Kind == DlrKind.None)
        {
            return;
        }

        var now = time.GetUtcNow();
        var dueAt = now + scenarios.NextDlrDelay();
        var @event = outcome.Kind == DlrKind.Delivered ? "delivered" : "failed";
        CleverTapDlrGroup[] payload =
        [
            new(@event, [new CleverTapDlrEvent(dueAt.ToUnixTimeSeconds(), messageId, outcome.Code, outcome.Description)]),
        ];
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, SimulatorJsonContext.Default.CleverTapDlrGroupArray);

        var entry = callbacks.Start(messageId, @event, callbackUrl, body, now, dueAt);
        if (queue.TryEnqueue(new DlrJob(entry, CallbackRequest.PostJson(callbackUrl, body), dueAt)))
        {
            counters.DlrQueued();
            return;
        }

        entry.Finish(CallbackResult.Dropped);
        counters.DlrFailed();
        LogQueueFull(messageId, DlrQueue.Capacity);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "DLR for message {MessageId} dropped: the delivery queue is full ({Capacity} pending)")]
    private partial void LogQueueFull(string messageId, int capacity);
}
