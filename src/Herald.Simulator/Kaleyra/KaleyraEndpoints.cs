using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Simulator.Connector;
using Herald.Simulator.Faults;
using Herald.Simulator.Http;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Kaleyra;

/// <summary>
/// The Kaleyra SMS API face (protocols.md §3):
/// <list type="bullet">
///   <item><c>POST /v1/{sid}/messages</c> and <c>POST /v1/{sid}/sms</c>: header <c>api-key</c> (401
///   <c>E401</c> when missing or wrong), <c>{sid}</c> = <see cref="SimulatorOptions.Sid"/> (404 <c>E404</c>),
///   form or JSON fields validated by <see cref="KaleyraRequestParser"/> (400 <c>E400</c> naming the field),
///   then the special numbers (<see cref="SimulatorScenarios"/>), then 200 in Kaleyra's documented shape and
///   per-recipient status callbacks (<see cref="KaleyraCallbackScheduler"/>). The injected trouble of
///   <see cref="FaultInjector"/> comes before every check.</item>
///   <item><c>GET /v1/{sid}/messages/status?message_ids=&lt;id&gt;:1,&lt;id&gt;:2</c> (at most 100 ids):
///   <c>{"data":[{"message_id","recipient","status","status_details"}],"error":{}}</c>; an unknown id is listed
///   with status <c>NotFound</c> and status_details <c>NOT-FOUND</c> (and no recipient), in request order.
///   No injected faults; recorded in the request log but not counted as a send.</item>
/// </list>
/// Errors are <c>{"error":{"code":"E400","field":"to","message":".."}}</c> (<c>field</c> only for validation errors).
/// </summary>
internal sealed partial class KaleyraEndpoints(
    SimulatorOptions options,
    ScenarioResolver scenarios,
    KaleyraCallbackScheduler callbacks,
    KaleyraMessageStore store,
    FaultInjector faults,
    RequestLog requestLog,
    SimulatorCounters counters,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<KaleyraEndpoints> logger)
{
    public const string MessagesPath = "/v1/{sid}/messages";
    public const string SmsPath = "/v1/{sid}/sms";
    public const string StatusPath = "/v1/{sid}/messages/status";
    public const int MaxStatusIds = 100;


    private readonly byte[] _apiKey = Encoding.UTF8.GetBytes(options.ApiKey);

    public async Task HandleSendAsync(HttpContext context)
    {
        counters.KaleyraReceived();
        var receivedAt = time.GetUtcNow();
        var aborted = context.RequestAborted;

        string body;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(aborted);
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            counters.Rejected();
            requestLog.Record(context, receivedAt, "", ConnectorEndpoint.ClientClosedRequest, "");
            return;
        }

        Reply reply;
        try
        {
            reply = await DecideSendAsync(context, body, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            counters.Rejected();
            requestLog.Record(context, receivedAt, body, ConnectorEndpoint.ClientClosedRequest, "");
            return;
        }

        if (reply.Status != StatusCodes.Status200OK)
        {
            counters.Rejected();
        }

        requestLog.Record(context, receivedAt, body, reply.Status, reply.Json);
        await WriteAsync(context, reply, aborted);
    }

    public async Task HandleStatusAsync(HttpContext context)
    {
        var receivedAt = time.GetUtcNow();
        var reply = DecideStatus(context);
        requestLog.Record(context, receivedAt, "", reply.Status, reply.Json);
        await WriteAsync(context, reply, context.RequestAborted);
    }

    private async Task<Reply> DecideSendAsync(HttpContext context, string body, CancellationToken aborted)
    {
        switch (await faults.ApplyAsync(aborted))
        {
            case InjectedFault.RateLimited:
                return Reply.Error(429, "E429", "Too many requests: over the simulated rate limit; retry after 1 second.", FaultInjector.RetryAfterSeconds);
            case InjectedFault.Unavailable:
                return Reply.Error(503, "E503", "The service is temporarily unavailable; retry later (simulated error rate).", FaultInjector.RetryAfterSeconds);
        }

        if (CheckAccess(context) is { } denied)
        {
            return denied;
        }

        if (!RequestFieldReader.TryRead(
            context.Request, body, includeQuery: false, out var values, out var readError, "The JSON body must be an object with the fields to, body, sender, ..."))
        {
            return Reply.Invalid(null, readError!);
        }

        var now = time.GetUtcNow();
        if (KaleyraRequestParser.Validate(values, now, options.KaleyraRetryIntervalScale, out var parsed) is { } invalid)
        {
            return Reply.Invalid(invalid.Field, invalid.Message);
        }

        var send = parsed!;
        var recipients = send.Recipients;

        // Request-level special numbers: the first recipient with one decides for the whole request.
        foreach (var recipient in recipients)
        {
            switch (ScenarioResolver.BehaviourOf(recipient))
            {
                case SendBehaviour.Unavailable:
                    return Reply.Error(503, "E503", "The service is temporarily unavailable; retry later (simulated).", 1);
                case SendBehaviour.RateLimited:
                    return Reply.Error(429, "E429", "Too many requests; retry after 2 seconds (simulated).", 2);
                case SendBehaviour.InvalidNumber:
                    return Reply.Invalid("to", $"Invalid number '{recipient}' in 'to': not a valid subscriber number (simulated permanent rejection).");
                case SendBehaviour.Timeout:
                    await HangAsync(aborted);
                    return Reply.Error(504, "E504", "The upstream operator did not answer in time (simulated).", null);
            }
        }

        var id = Guid.NewGuid().ToString("N");
        var outcomes = new KaleyraOutcome[recipients.Length];
        var messageIds = new string[recipients.Length];
        var data = new KaleyraRecipientId[recipients.Length];
        for (var i = 0; i < recipients.Length; i++)
        {
            outcomes[i] = scenarios.ResolveKaleyra(recipients[i]).Outcome;
            messageIds[i] = string.Create(CultureInfo.InvariantCulture, $"{id}:{i + 1}");
            data[i] = new KaleyraRecipientId(messageIds[i], recipients[i]);
        }

        counters.KaleyraAccepted(send.Ref, recipients);
        callbacks.Schedule(send, id, messageIds, outcomes, now);

        var accepted = new KaleyraSendAccepted(
            id,
            send.Sender,
            send.Type,
            send.Body,
            FormatCreated(now),
            recipients.Length,
            data,
            null,
            KaleyraNoError.Instance);
        return new Reply(200, JsonSerializer.Serialize(accepted, SimulatorJsonContext.Default.KaleyraSendAccepted), null);
    }

    private Reply DecideStatus(HttpContext context)
    {
        if (CheckAccess(context) is { } denied)
        {
            return denied;
        }

        var raw = context.Request.Query["message_ids"].ToString();
        if (string.IsNullOrWhiteSpace(raw))
        {
            return Reply.Invalid("message_ids", "The query parameter 'message_ids' is required: comma-separated message ids (<id>:<n>).");
        }

        var ids = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length > MaxStatusIds)
        {
            return Reply.Invalid("message_ids", $"The query parameter 'message_ids' has {ids.Length} ids; at most {MaxStatusIds} are allowed.");
        }

        var now = time.GetUtcNow();
        var items = new KaleyraStatusItem[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            items[i] = store.TryFind(ids[i], out var batch, out var index)
                ? StatusOf(ids[i], batch, index, now)
                : new KaleyraStatusItem(ids[i], null, "NotFound", "NOT-FOUND");
        }

        return new Reply(
            200,
            JsonSerializer.Serialize(new KaleyraStatusResponse(items, KaleyraNoError.Instance), SimulatorJsonContext.Default.KaleyraStatusResponse),
            null);
    }

    private static KaleyraStatusItem StatusOf(string messageId, KaleyraBatch batch, int index, DateTimeOffset now)
    {
        var recipient = batch.Recipients[index];
        var outcome = batch.Outcomes[index];
        if (now < batch.SentAt[index])
        {
            return new(messageId, recipient, KaleyraOutcome.SubmittedStatus, KaleyraOutcome.SubmittedDetails);
        }

        return outcome.Status is null || now < batch.FinalAt[index]
            ? new(messageId, recipient, KaleyraOutcome.SentStatus, KaleyraOutcome.SentDetails)
            : new(messageId, recipient, outcome.Status, outcome.Details);
    }

    /// <summary>401 for a missing or wrong <c>api-key</c>, then 404 for an unknown <c>{sid}</c>.</summary>
    private Reply? CheckAccess(HttpContext context)
    {
        var key = context.Request.Headers["api-key"].ToString();
        if (key.Length == 0)
        {
            return Reply.Error(401, "E401", "The api-key header is missing.", null);
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), _apiKey))
        {
            return Reply.Error(401, "E401", "The api-key header does not match: invalid API key.", null);
        }

        var sid = context.GetRouteValue("sid") as string;
        return string.Equals(sid, options.Sid, StringComparison.Ordinal)
            ? null
            : Reply.Error(404, "E404", $"Unknown account SID '{sid}'.", null);
    }

    private static string FormatCreated(DateTimeOffset now) =>
        now.UtcDateTime.ToString(KaleyraCallbackScheduler.DateTimeFormat, CultureInfo.InvariantCulture) + "+00:00";

    private static Task WriteAsync(HttpContext context, Reply reply, CancellationToken aborted) =>
        JsonReplyWriter.WriteAsync(context.Response, reply.Status, reply.Json, reply.RetryAfterSeconds, aborted);

    /// <summary>Waits <see cref="SimulatorOptions.TimeoutHang"/>; cut short by the caller aborting (throws) or by shutdown (returns).</summary>
    private async Task HangAsync(CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(options.TimeoutHang, time, linked.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            LogHangCutShort();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A simulated Kaleyra timeout was cut short by shutdown")]
    private partial void LogHangCutShort();

    private readonly record struct Reply(int Status, string Json, int? RetryAfterSeconds)
    {
        public static Reply Error(int status, string code, string message, int? retryAfterSeconds) =>
            new(status, Serialize(new ErrorBody(code, null, message)), retryAfterSeconds);

        public static Reply Invalid(string? field, string message) =>
            new(400, Serialize(new ErrorBody("E400", field, message)), null);

        private static string Serialize(ErrorBody error) =>
            JsonSerializer.Serialize(new ErrorEnvelope(error), SimulatorJsonContext.Default.ErrorEnvelope);
    }
}
