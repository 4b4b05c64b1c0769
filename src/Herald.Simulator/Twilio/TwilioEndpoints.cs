using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Simulator.Connector;
using Herald.Simulator.Faults;
using Herald.Simulator.Http;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Herald.Simulator.Twilio;

/// <summary>
/// The Twilio Programmable Messaging face: <c>POST /2010-04-01/Accounts/{AccountSid}/Messages.json</c> with Basic auth
/// <see cref="SimulatorOptions.TwilioAccountSid"/>:<see cref="SimulatorOptions.TwilioAuthToken"/> (401, Twilio error 20003,
/// when missing or wrong; 404, 20404, for another account in the path) and form fields <c>To</c>, <c>From</c> or
/// <c>MessagingServiceSid</c>, <c>Body</c>, <c>StatusCallback</c> (400 with Twilio's codes 21604, 21603, 21602, 21211, 21609
/// naming what is wrong). Then the special numbers (<see cref="SimulatorScenarios"/>: 21610 for 0001, 21211 for 0004, 503
/// error 20503 for 0002, 429 error 20429 for 0429), then 201 with the Message resource (<c>sid</c> <c>SM…</c>, <c>status</c>
/// <c>queued</c>, or <c>accepted</c> through a Messaging Service) and signed status callbacks
/// (<see cref="TwilioCallbackScheduler"/>). The injected trouble of <see cref="FaultInjector"/> comes before every check.
/// Errors are Twilio's <c>{"code","message","more_info","status"}</c>.
/// </summary>
internal sealed class TwilioEndpoints(
    SimulatorOptions options,
    ScenarioResolver scenarios,
    TwilioCallbackScheduler callbacks,
    FaultInjector faults,
    RequestLog requestLog,
    SimulatorCounters counters,
    IHostApplicationLifetime lifetime,
    TimeProvider time)
{
    public const string MessagesPath = "/2010-04-01/Accounts/{accountSid}/Messages.json";


    private readonly byte[] _credentials = Encoding.UTF8.GetBytes($"{options.TwilioAccountSid}:{options.TwilioAuthToken}");

    public async Task HandleSendAsync(HttpContext context)
    {
        counters.Received();
        var receivedAt = time.GetUtcNow();
        var aborted = context.RequestAborted;
        string body;
        Reply reply;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(aborted);
            reply = await DecideAsync(context, body, aborted);
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            counters.Rejected();
            requestLog.Record(context, receivedAt, "", ConnectorEndpoint.ClientClosedRequest, "");
            return;
        }

        if (reply.Status != StatusCodes.Status201Created)
        {
            counters.Rejected();
        }

        requestLog.Record(context, receivedAt, body, reply.Status, reply.Json);
        await JsonReplyWriter.WriteAsync(context.Response, reply.Status, reply.Json, reply.RetryAfterSeconds, aborted);
    }

    private async Task<Reply> DecideAsync(HttpContext context, string body, CancellationToken aborted)
    {
        switch (await faults.ApplyAsync(aborted))
        {
            case InjectedFault.RateLimited:
                return Reply.Error(429, 20429, "Too Many Requests (over the simulated rate limit)", FaultInjector.RetryAfterSeconds);
            case InjectedFault.Unavailable:
                return Reply.Error(503, 20503, "Service Unavailable (simulated error rate)", FaultInjector.RetryAfterSeconds);
        }

        if (!Authorized(context))
        {
            return Reply.Error(401, 20003, "Authenticate", null);
        }

        var account = context.GetRouteValue("accountSid") as string;
        if (!string.Equals(account, options.TwilioAccountSid, StringComparison.Ordinal))
        {
            return Reply.Error(404, 20404, $"The requested resource /2010-04-01/Accounts/{account}/Messages.json was not found", null);
        }

        if (!RequestFieldReader.TryRead(context.Request, body, includeQuery: false, out var values, out var readError))
        {
            return Reply.Error(400, 21602, readError!, null);
        }

        var to = RequestFieldReader.Get(values, "To");
        var from = RequestFieldReader.Get(values, "From");
        var service = RequestFieldReader.Get(values, "MessagingServiceSid");
        var text = RequestFieldReader.Get(values, "Body");
        var callback = RequestFieldReader.Get(values, "StatusCallback");
        if (to is null)
        {
            return Reply.Error(400, 21604, "A 'To' phone number is required.", null);
        }

        if (from is null && service is null)
        {
            return Reply.Error(400, 21603, "A 'From' phone number is required.", null);
        }

        if (text is null)
        {
            return Reply.Error(400, 21602, "Message body is required.", null);
        }

        if (!to.StartsWith('+') || !PhoneDigits.TryGet(to, out var digits))
        {
            return Reply.Error(400, 21211, $"Invalid 'To' Phone Number: {to}", null);
        }

        Uri? statusCallback = null;
        if (callback is not null && (!Uri.TryCreate(callback, UriKind.Absolute, out statusCallback) || statusCallback.Scheme is not ("http" or "https")))
        {
            return Reply.Error(400, 21609, $"Invalid StatusCallback URL: {callback}", null);
        }

        var decision = scenarios.ResolveTwilio(digits);
        switch (decision.Behaviour)
        {
            case SendBehaviour.Unavailable:
                return Reply.Error(503, 20503, "Service Unavailable (simulated)", 1);
            case SendBehaviour.RateLimited:
                return Reply.Error(429, 20429, "Too Many Requests (simulated)", 2);
            case SendBehaviour.InvalidNumber when decision.RejectCode == "21610":
                return Reply.Error(400, 21610, "Attempt to send to unsubscribed recipient", null);
            case SendBehaviour.InvalidNumber:
                return Reply.Error(400, 21211, $"Invalid 'To' Phone Number: {to} (simulated)", null);
            case SendBehaviour.Timeout:
                await HangAsync(aborted);
                return Reply.Error(504, 20504, "Gateway Timeout (simulated)", null);
        }

        var now = time.GetUtcNow();
        var sid = "SM" + Guid.NewGuid().ToString("N");
        counters.Accepted(sid);
        callbacks.Schedule(new TwilioSend(sid, to, from, service, statusCallback), decision.Outcome, now);
        var created = now.ToString("r", CultureInfo.InvariantCulture);
        var message = new TwilioMessage(
            options.TwilioAccountSid, "2010-04-01", text, created, null, created, "outbound-api", null, null, from, service, "0",
            Segments(text), null, "USD", sid, from is null ? "accepted" : "queued", to,
            $"/2010-04-01/Accounts/{options.TwilioAccountSid}/Messages/{sid}.json");
        return new Reply(201, JsonSerializer.Serialize(message, TwilioJsonContext.Default.TwilioMessage), null);
    }

    private bool Authorized(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            return CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(header[6..].Trim()), _credentials);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Segments(string text) =>
        (text.Length <= 160 ? 1 : (text.Length + 152) / 153).ToString(CultureInfo.InvariantCulture);

    private async Task HangAsync(CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(options.TimeoutHang, time, linked.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            // cut short by shutdown
        }
    }

    private readonly record struct Reply(int Status, string Json, int? RetryAfterSeconds)
    {
        public static Reply Error(int status, int code, string message, int? retryAfterSeconds) => new(status,
            JsonSerializer.Serialize(new TwilioError(code, message, $"https://www.twilio.com/docs/errors/{code}", status), TwilioJsonContext.Default.TwilioError),
            retryAfterSeconds);
    }
}

/// <summary>Twilio's Message resource, as the 201 answer carries it.</summary>
internal sealed record TwilioMessage(
    [property: JsonPropertyName("account_sid")] string AccountSid,
    [property: JsonPropertyName("api_version")] string ApiVersion,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("date_created")] string DateCreated,
    [property: JsonPropertyName("date_sent")] string? DateSent,
    [property: JsonPropertyName("date_updated")] string DateUpdated,
    [property: JsonPropertyName("direction")] string Direction,
    [property: JsonPropertyName("error_code")] int? ErrorCode,
    [property: JsonPropertyName("error_message")] string? ErrorMessage,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("messaging_service_sid")] string? MessagingServiceSid,
    [property: JsonPropertyName("num_media")] string NumMedia,
    [property: JsonPropertyName("num_segments")] string NumSegments,
    [property: JsonPropertyName("price")] string? Price,
    [property: JsonPropertyName("price_unit")] string PriceUnit,
    [property: JsonPropertyName("sid")] string Sid,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("uri")] string Uri);

/// <summary>Twilio's error answer.</summary>
internal sealed record TwilioError(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("more_info")] string MoreInfo,
    [property: JsonPropertyName("status")] int Status);

/// <summary>Twilio writes every field, null ones included.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TwilioMessage))]
[JsonSerializable(typeof(TwilioError))]
internal sealed partial class TwilioJsonContext : JsonSerializerContext;
