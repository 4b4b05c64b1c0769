using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Herald.Simulator.Callbacks;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Kaleyra;

/// <summary>
/// Records an accepted Kaleyra send in <see cref="KaleyraMessageStore"/> and, when it has a <c>callback</c>,
/// queues per recipient a <c>Sent</c> callback after one DLR delay, chained to the final status
/// (<c>Delivered</c>, <c>Failed</c> or <c>Undelivered</c>) one DLR delay later (both delays jittered; counted
/// from <c>time</c> for a scheduled send). Callback fields: <c>id</c> (the recipient's message_id),
/// <c>mobile</c> (digits), <c>status</c>, <c>status_details</c>, <c>ref</c>/<c>ref1</c>/<c>ref2</c> (when
/// given), <c>delivered_at</c> (<c>yyyy-MM-dd HH:mm:ss</c>, UTC, Delivered only), <c>sender</c> (when given)
/// and <c>type</c>; as a GET query string, a POST form, or a POST JSON object when <c>callback.header</c>
/// says <c>Content-Type: application/json</c>.
/// </summary>
internal sealed partial class KaleyraCallbackScheduler(
    DlrQueue queue,
    CallbackLog callbacks,
    SimulatorCounters counters,
    ScenarioResolver scenarios,
    KaleyraMessageStore store,
    ILogger<KaleyraCallbackScheduler> logger)
{
    public const string DateTimeFormat = "yyyy-MM-dd HH:mm:ss";

    public void Schedule(KaleyraSend send, string id, string[] messageIds, KaleyraOutcome[] outcomes, DateTimeOffset now)
    {
        var start = send.ScheduledAt is { } at && at > now ? at : now;
        var count = send.Recipients.Length;
        var sentAt = new DateTimeOffset[count];
        var finalAt = new DateTimeOffset[count];
        for (var i = 0; i < count; i++)
        {
            sentAt[i] = start + scenarios.NextDlrDelay();
            finalAt[i] = sentAt[i] + scenarios.NextDlrDelay();
        }

        store.Add(new KaleyraBatch(id, send.Recipients, sentAt, finalAt, outcomes));
        if (send.Callback is not { } spec)
        {
            return;
        }

        for (var i = 0; i < count; i++)
        {
            var outcome = outcomes[i];
            if (outcome.Status is null)
            {
                continue;
            }

            var messageId = messageIds[i];
            var recipient = send.Recipients[i];
            var sentRequest = BuildRequest(spec, send, messageId, recipient, KaleyraOutcome.SentStatus, KaleyraOutcome.SentDetails, null);
            var deliveredAt = outcome.IsDelivered ? finalAt[i] : (DateTimeOffset?)null;
            var finalRequest = BuildRequest(spec, send, messageId, recipient, outcome.Status, outcome.Details, deliveredAt);

            var sentEntry = callbacks.Start(CallbackLog.KaleyraFace, messageId, KaleyraOutcome.SentStatus, sentRequest, now, sentAt[i]);
            var finalEntry = callbacks.Start(CallbackLog.KaleyraFace, messageId, outcome.Status, finalRequest, now, finalAt[i]);
            var job = new DlrJob(
                sentEntry, sentRequest, sentAt[i], spec.RetryDelays, new DlrJob(finalEntry, finalRequest, finalAt[i], spec.RetryDelays));
            if (queue.TryEnqueue(job))
            {
                counters.DlrQueued(2);
                continue;
            }

            job.FinishChain(CallbackResult.Dropped);
            counters.DlrFailed(2);
            LogQueueFull(messageId, DlrQueue.Capacity);
        }
    }

    internal static CallbackRequest BuildRequest(
        KaleyraCallbackSpec spec, KaleyraSend send, string messageId, string recipient, string status, string details, DateTimeOffset? deliveredAt)
    {
        Span<KeyValuePair<string, string?>> fields =
        [
            new("id", messageId),
            new("mobile", recipient),
            new("status", status),
            new("status_details", details),
            new("ref", send.Ref),
            new("ref1", send.Ref1),
            new("ref2", send.Ref2),
            new("delivered_at", deliveredAt?.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture)),
            new("sender", send.Sender),
            new("type", send.Type),
        ];

        if (spec.UseGet)
        {
            var url = spec.Url.GetLeftPart(UriPartial.Query);
            var query = FormEncoding.Encode(fields);
            var separator = spec.Url.Query.Length > 1 ? "&" : url.EndsWith('?') ? "" : "?";
            return new CallbackRequest(HttpMethod.Get, new Uri(url + separator + query), null, null, spec.Headers);
        }

        var body = spec.IsJson ? EncodeJson(fields) : Encoding.UTF8.GetBytes(FormEncoding.Encode(fields));
        return new CallbackRequest(HttpMethod.Post, spec.Url, body, spec.ContentType, spec.Headers);
    }

    private static byte[] EncodeJson(ReadOnlySpan<KeyValuePair<string, string?>> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                if (value is not null)
                {
                    writer.WriteString(name, value);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kaleyra callbacks for message {MessageId} dropped: the delivery queue is full ({Capacity} pending)")]
    private partial void LogQueueFull(string messageId, int capacity);
}
