using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Simulator.Callbacks;
using Herald.Simulator.Faults;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Connector;

/// <summary>
/// <c>POST /connector/sms</c> (GET also accepted): the "HTTP Endpoint received from Kaleyra team" that
/// CleverTap's "Other (Generic)" SMS provider posts to. Checks the <c>api-key</c>, <c>sid</c> and
/// <c>callback_url</c> headers, reads <c>to, sender, body, template_id, message_id, campaign_id, type,
/// long_url</c>, answers per <see cref="SimulatorScenarios"/>, and queues a CleverTap-format DLR to
/// <c>callback_url</c>. Basic auth and <c>kaleyra-host</c> are accepted and only recorded. The injected
/// trouble of <see cref="FaultInjector"/> (rate limit, HTTP error rate, latency) comes before every check.
/// </summary>
internal sealed partial class ConnectorEndpoint(
    SimulatorOptions options,
    ScenarioResolver scenarios,
    DlrScheduler dlrs,
    FaultInjector faults,
    RequestLog requestLog,
    SimulatorCounters counters,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ConnectorEndpoint> logger)
{
    public const string Path = "/connector/sms";

    /// <summary>Status recorded when the caller went away before the answer (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private readonly byte[] _apiKey = Encoding.UTF8.GetBytes(options.ApiKey);
    private readonly byte[] _sid = Encoding.UTF8.GetBytes(options.Sid);

    public async Task HandleAsync(HttpContext context)
    {
        counters.Received();
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
            requestLog.Record(context, receivedAt, "", ClientClosedRequest, "");
            return;
        }

        Reply reply;
        try
        {
            reply = await DecideAsync(context, body, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            counters.Rejected();
            requestLog.Record(context, receivedAt, body, ClientClosedRequest, "");
            return;
        }

        var json = reply.Accepted is { } accepted
            ? JsonSerializer.Serialize(accepted, SimulatorJsonContext.Default.ConnectorAccepted)
            : JsonSerializer.Serialize(new ErrorEnvelope(reply.Error!), SimulatorJsonContext.Default.ErrorEnvelope);
        requestLog.Record(context, receivedAt, body, reply.Status, json);

        var response = context.Response;
        response.StatusCode = reply.Status;
        response.ContentType = "application/json; charset=utf-8";
        if (reply.RetryAfterSeconds is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        try
        {
            await response.WriteAsync(json, aborted);
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The caller left; the outcome (and any DLR) stands, as with a real provider.
        }
    }

    private async Task<Reply> DecideAsync(HttpContext context, string body, CancellationToken aborted)
    {
        switch (await faults.ApplyAsync(aborted))
        {
            case InjectedFault.RateLimited:
                return Reject(new Reply(429, null, new ErrorBody("rate_limited", null, "Too many requests: over the simulated rate limit; retry after 1 second."), FaultInjector.RetryAfterSeconds));
            case InjectedFault.Unavailable:
                return Reject(new Reply(503, null, new ErrorBody("unavailable", null, "The service is temporarily unavailable; retry later (simulated error rate)."), FaultInjector.RetryAfterSeconds));
        }

        var headers = context.Request.Headers;

        if (CheckSecret(headers["api-key"].ToString(), _apiKey, "api-key") is { } badKey)
        {
            return Reject(badKey);
        }

        if (CheckSecret(headers["sid"].ToString(), _sid, "sid") is { } badSid)
        {
            return Reject(badSid);
        }

        var callbackHeader = headers["callback_url"].ToString();
        if (string.IsNullOrWhiteSpace(callbackHeader))
        {
            return Reject(Reply.Error400("missing_header", "callback_url", "The callback_url header is missing: the DLR would have nowhere to go."));
        }

        if (!Uri.TryCreate(callbackHeader.Trim(), UriKind.Absolute, out var callbackUrl)
            || (callbackUrl.Scheme != Uri.UriSchemeHttp && callbackUrl.Scheme != Uri.UriSchemeHttps))
        {
            return Reject(Reply.Error400("invalid_header", "callback_url", $"The callback_url header '{callbackHeader}' is not an absolute http(s) URL."));
        }

        if (!ConnectorRequestParser.TryParse(context.Request, body, out var fields, out var parseError))
        {
            return Reject(Reply.Error400("invalid_body", null, parseError!));
        }

        if (fields.To is null)
        {
            return Reject(MissingField("to"));
        }

        if (fields.Body is null && fields.TemplateId is null)
        {
            return Reject(Reply.Error400("missing_field", "body", "The field body is required unless template_id is given."));
        }

        if (fields.MessageId is null)
        {
            return Reject(MissingField("message_id"));
        }

        if (!TryGetDigits(fields.To, out var digits))
        {
            return Reject(Reply.Error400("invalid_number", "to", $"The field to ('{fields.To}') is not a plausible phone number: expected an optional + and 8 to 15 digits."));
        }

        var decision = scenarios.Resolve(digits);
        switch (decision.Behaviour)
        {
            case SendBehaviour.Unavailable:
                return Reject(new Reply(503, null, new ErrorBody("unavailable", null, "The service is temporarily unavailable; retry later (simulated)."), 1));
            case SendBehaviour.RateLimited:
                return Reject(new Reply(429, null, new ErrorBody("rate_limited", null, "Too many requests; retry after 2 seconds (simulated)."), 2));
            case SendBehaviour.InvalidNumber:
                return Reject(Reply.Error400("invalid_number", "to", $"The number '{fields.To}' is not a valid subscriber number (simulated permanent rejection)."));
            case SendBehaviour.Timeout:
                await HangAsync(aborted);
                return Reject(new Reply(504, null, new ErrorBody("timeout", null, "The upstream operator did not answer in time (simulated)."), null));
        }

        counters.Accepted(fields.MessageId);
        dlrs.Schedule(fields.MessageId, callbackUrl, decision.Dlr);
        return new Reply(200, new ConnectorAccepted($"{Guid.NewGuid():D}:1", fields.MessageId, "accepted"), null, null);
    }

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

    private Reply Reject(Reply reply)
    {
        counters.Rejected();
        return reply;
    }

    private static Reply? CheckSecret(string value, byte[] expected, string header)
    {
        if (string.IsNullOrEmpty(value))
        {
            return new Reply(401, null, new ErrorBody("unauthorized", null, $"The {header} header is missing."), null);
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(value), expected)
            ? null
            : new Reply(401, null, new ErrorBody("unauthorized", null, $"The {header} header does not match."), null);
    }

    private static Reply MissingField(string field) =>
        Reply.Error400("missing_field", field, $"The field {field} is required.");

    /// <summary>
    /// Accepts an optional leading <c>+</c> then 8 to 15 digits; spaces, dots, dashes and parentheses
    /// between digits are tolerated. Returns the digits only.
    /// </summary>
    internal static bool TryGetDigits(string to, out string digits) => PhoneDigits.TryGet(to, out digits);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A simulated timeout was cut short by shutdown")]
    private partial void LogHangCutShort();

    private readonly record struct Reply(int Status, ConnectorAccepted? Accepted, ErrorBody? Error, int? RetryAfterSeconds)
    {
        public static Reply Error400(string code, string? field, string message) =>
            new(400, null, new ErrorBody(code, field, message), null);
    }
}
