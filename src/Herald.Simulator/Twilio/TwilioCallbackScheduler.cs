using System.Text;
using Herald.Simulator.Callbacks;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Twilio;

/// <summary>An accepted Twilio send: what its status callbacks carry.</summary>
internal sealed record TwilioSend(string Sid, string To, string? From, string? MessagingServiceSid, Uri? StatusCallback);

/// <summary>
/// Queues the status callbacks of an accepted Twilio send, as Twilio posts them to its <c>StatusCallback</c>: <c>queued</c>
/// at once, <c>sent</c> one DLR delay later, then the final status (<c>delivered</c>, <c>undelivered</c> or <c>failed</c> with
/// <c>ErrorCode</c>) one more DLR delay later (both delays jittered), each chained after the one before. Each is a form POST
/// with <c>AccountSid</c>, <c>ApiVersion</c>, <c>From</c>, <c>MessageSid</c>, <c>MessageStatus</c>, <c>MessagingServiceSid</c>
/// (when used), <c>SmsSid</c>, <c>SmsStatus</c>, <c>To</c> and <c>ErrorCode</c> (failures), signed with
/// <c>X-Twilio-Signature</c> by the face's auth token over the StatusCallback URL and the fields.
/// </summary>
internal sealed partial class TwilioCallbackScheduler(
    SimulatorOptions options,
    DlrQueue queue,
    CallbackLog callbacks,
    SimulatorCounters counters,
    ScenarioResolver scenarios,
    ILogger<TwilioCallbackScheduler> logger)
{
    public void Schedule(TwilioSend send, TwilioOutcome outcome, DateTimeOffset now)
    {
        if (send.StatusCallback is not { } url || outcome.Status is null)
        {
            return;
        }

        var sentAt = now + scenarios.NextDlrDelay();
        var finalAt = sentAt + scenarios.NextDlrDelay();
        var final = Job(send, url, outcome.Status, outcome.ErrorCode, now, finalAt, null);
        var sent = Job(send, url, TwilioOutcome.SentStatus, null, now, sentAt, final);
        var queued = Job(send, url, TwilioOutcome.QueuedStatus, null, now, now, sent);
        if (queue.TryEnqueue(queued))
        {
            counters.DlrQueued(3);
            return;
        }

        queued.FinishChain(CallbackResult.Dropped);
        counters.DlrFailed(3);
        LogQueueFull(send.Sid, DlrQueue.Capacity);
    }

    private DlrJob Job(TwilioSend send, Uri url, string status, string? errorCode, DateTimeOffset now, DateTimeOffset dueAt, DlrJob? then)
    {
        var request = BuildRequest(send, url, status, errorCode, options.TwilioAccountSid, options.TwilioAuthToken);
        return new DlrJob(callbacks.Start(CallbackLog.TwilioFace, send.Sid, status, request, now, dueAt), request, dueAt, null, then);
    }

    /// <summary>A signed status callback, as Twilio sends it.</summary>
    internal static CallbackRequest BuildRequest(TwilioSend send, Uri url, string status, string? errorCode, string accountSid, string authToken)
    {
        KeyValuePair<string, string?>[] fields =
        [
            new("AccountSid", accountSid),
            new("ApiVersion", "2010-04-01"),
            new("ErrorCode", errorCode),
            new("From", send.From),
            new("MessageSid", send.Sid),
            new("MessageStatus", status),
            new("MessagingServiceSid", send.MessagingServiceSid),
            new("SmsSid", send.Sid),
            new("SmsStatus", status),
            new("To", send.To),
        ];
        var present = fields.Where(f => f.Value is not null).Select(f => new KeyValuePair<string, string>(f.Key, f.Value!)).ToList();
        var signature = TwilioSigner.Sign(authToken, url.OriginalString, present);
        return new CallbackRequest(HttpMethod.Post, url, Encoding.UTF8.GetBytes(FormEncoding.Encode(fields)), CallbackRequest.Form,
            [new(TwilioSigner.Header, signature)]);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio status callbacks for message {MessageSid} dropped: the delivery queue is full ({Capacity} pending)")]
    private partial void LogQueueFull(string messageSid, int capacity);
}
