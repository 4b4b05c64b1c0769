using Herald.Shared;
using Herald.Core;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Dispatch.Direct;
using Herald.Dispatch.Intake;
using Herald.Dispatch.Outcomes;
using Herald.Hosting;
using Herald.Providers.Abstractions;
using Herald.Providers.Http;
using Herald.Providers.Kaleyra;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.Connect;

/// <summary>CleverTap's answer when Kaleyra accepted the message.</summary>
/// <param name="Status">Always <c>accepted</c>.</param>
/// <param name="MessageId">CleverTap's <c>message_id</c>, unchanged.</param>
/// <param name="KaleyraId">Kaleyra's <c>data[0].message_id</c>.</param>
/// <param name="HeraldId">Herald's message id (GET /api/v1/messages/{id}).</param>
/// <param name="Duplicate">True when this message_id was already accepted and nothing was sent again.</param>
public sealed record ConnectorAccepted(
    [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
    [property: System.Text.Json.Serialization.JsonPropertyName("message_id")] string MessageId,
    [property: System.Text.Json.Serialization.JsonPropertyName("kaleyra_id")] string? KaleyraId,
    [property: System.Text.Json.Serialization.JsonPropertyName("herald_id")] string HeraldId,
    [property: System.Text.Json.Serialization.JsonPropertyName("duplicate")] bool? Duplicate = null);

/// <summary>
/// <c>POST /connect/kaleyra</c>: takes CleverTap's "Other (Generic)" request configured as in the seed, stores it as a
/// Herald message (source <c>connector</c>), forwards it to Kaleyra and answers with Kaleyra's outcome.
/// </summary>
internal sealed partial class KaleyraConnector(
    ConnectorSettings settings,
    IMessageIntake intake,
    IDirectSend direct,
    IMessageStore messages,
    IHttpClientFactory httpClients,
    IPublicUrls urls,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<KaleyraConnector> logger)
{
    public const string ConnectorName = "kaleyra";
    public const string Nickname = "connector:kaleyra";
    public const string Source = "connector";
    private const int MaxReference = 150; // Kaleyra's ref/ref1 limit

    private static readonly string[] RequiredHeaders = ["api-key", "sid", "kaleyra-host", "callback_url"];

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!settings.BasicAuthMatches(request.Headers.Authorization.ToString()))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Herald Kaleyra connector\", charset=\"UTF-8\"";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "This connector needs Basic authentication: in CleverTap's provider form choose Basic Authentication and enter "
                    + "the user name and password set in Herald:Connector:Kaleyra:Username and Password.");
        }

        var headers = RequiredHeaders.ToDictionary(h => h, h => request.Headers[h].ToString().Trim());
        var missing = headers.Where(h => h.Value.Length == 0).Select(h => h.Key).ToList();
        if (missing.Count > 0)
        {
            return Problems.Invalid(missing.ToDictionary(h => h, h => new[]
            {
                $"The header '{h}' is missing: add it under Headers in CleverTap's provider form ({Describe(h)}).",
            }));
        }
        var apiKey = headers["api-key"];
        var sid = headers["sid"];
        if (!SidPattern().IsMatch(sid))
        {
            return Problems.BadRequest("sid", "The header 'sid' must be the Kaleyra account SID (letters, digits, '-' or '_', at most 64).");
        }
        var kaleyraBase = settings.CheckKaleyraHost(headers["kaleyra-host"], out var hostRefusal);
        if (hostRefusal is not null)
        {
            return Refuse("kaleyra-host", hostRefusal);
        }
        var callbackUrl = settings.CheckCallbackUrl(headers["callback_url"], out var callbackRefusal);
        if (callbackRefusal is not null)
        {
            return Refuse("callback_url", callbackRefusal);
        }

        if (!request.HasFormContentType)
        {
            return Problems.BadRequest("body", "Send the parameters as x-www-form-urlencoded (CleverTap: Parameters, Type x-www-form-urlencoded).");
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException ex)
        {
            // Kestrel's form limits (FormOptions: 1,024 fields, 4 MiB per value, …) or a malformed multipart body.
            return Problems.BadRequest("body", $"The form could not be read: {ex.Message} CleverTap sends the eight parameters of the seed; send only those.");
        }
        catch (BadHttpRequestException ex)
        {
            return Results.Problem(statusCode: ex.StatusCode, title: "The request body could not be read", detail: ex.Message);
        }
        if (form.FirstOrDefault(f => f.Value.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true)) is { Key: not null } withNul)
        {
            return Problems.BadRequest(withNul.Key.Length <= 64 ? withNul.Key : "body",
                $"The parameter '{LogValue.Escape(withNul.Key.Length <= 64 ? withNul.Key : withNul.Key[..64])}' contains a NUL character (%00): send text only.");
        }
        string? Field(string name) => form[name].ToString() is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        var to = Field("to");
        var externalId = Field("message_id");
        var body = form["body"].ToString() is { Length: > 0 } b && !string.IsNullOrWhiteSpace(b) ? b : null;
        var templateId = Field("template_id");
        var campaignId = Field("campaign_id");
        var senderId = Field("sender");
        var type = Field("type");
        var longUrl = Field("long_url");
        var errors = new Dictionary<string, string[]>();
        if (to is null)
        {
            errors["to"] = ["The parameter 'to' ($$To) is missing: the recipient's number with country code."];
        }
        if (externalId is null)
        {
            errors["message_id"] = ["The parameter 'message_id' ($$MessageID) is missing: CleverTap needs it back in every delivery report."];
        }
        else if (externalId.Length > MaxReference)
        {
            errors["message_id"] = [$"The parameter 'message_id' is longer than Kaleyra's {MaxReference}-character ref field."];
        }
        if (body is null && templateId is null)
        {
            errors["body"] = ["The parameter 'body' ($$Body) is missing: a message needs a body or a template_id."];
        }
        if (campaignId is { Length: > MaxReference })
        {
            errors["campaign_id"] = [$"The parameter 'campaign_id' is longer than Kaleyra's {MaxReference}-character ref1 field."];
        }
        PhoneNumber? phone = null;
        if (to is not null)
        {
            if (to.Contains(',', StringComparison.Ordinal))
            {
                errors["to"] = ["The parameter 'to' has several numbers: the connector takes one recipient per request, as CleverTap sends them."];
            }
            else if (!PhoneNumber.TryParseInternational(to, out phone, out var phoneError))
            {
                errors["to"] = [phoneError!];
            }
        }
        if (longUrl is not null && (!Uri.TryCreate(longUrl, UriKind.Absolute, out var parsedLong) || (parsedLong.Scheme != Uri.UriSchemeHttps && parsedLong.Scheme != Uri.UriSchemeHttp)))
        {
            errors["long_url"] = ["The parameter 'long_url' must be an absolute http(s) URL."];
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        // CleverTap may send the same message again (its own retry): never send an accepted message twice. The key is unique in
        // the database, so two identical requests at once cannot both send; a failed earlier attempt chains to a new key.
        var ct = lifetime.ApplicationStopping;
        var baseKey = $"connector:{ConnectorName}:{externalId} {callbackUrl!.AbsoluteUri}";
        for (var round = 0; ; round++)
        {
            var (key, earlier) = await EarlierAsync(baseKey, context.RequestAborted);
            if (earlier is not null)
            {
                if (earlier.Status is DeliveryState.Queued or DeliveryState.Dispatching)
                {
                    // A send lasts at most Kaleyra's timeout. One still unanswered long after that was cut off by a crash
                    // (kill -9 while Kaleyra was being asked): it is marked failed, and this request chains to a new attempt.
                    if (time.GetUtcNow() - earlier.UpdatedAt > settings.Options.KaleyraTimeout + AbandonedAfter)
                    {
                        await messages.TransitionAsync(earlier.Id, new StateChange
                        {
                            Proposed = DeliveryState.Failed, Source = Source, Event = "abandoned",
                            Note = "Herald stopped while Kaleyra was being asked and never recorded an answer; CleverTap sent the message again, so it is sent as a new attempt",
                        }, context.RequestAborted);
                        continue;
                    }
                    context.Response.Headers.RetryAfter = "5";
                    return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Already being sent",
                        detail: $"message_id '{externalId}' is being sent right now (Herald message {earlier.Id}); send it again in a few seconds for that answer.");
                }
                LogDuplicate(logger, LogValue.Escape(externalId)!, earlier.Id);
                return Results.Json(new ConnectorAccepted("accepted", externalId!, earlier.ProviderMessageId, earlier.Id, true));
            }

            // From here on the work finishes even if CleverTap hangs up: the outcome must be recorded either way.
            var messageId = Ids.NewMessageId(time);
            var meta = new ConnectorMeta(ConnectorName, externalId!, callbackUrl.AbsoluteUri, Ids.NewToken(), kaleyraBase!.Authority, sid);
            var sender = KaleyraSenders.Create(new KaleyraSettings
            {
                ApiKey = apiKey, Sid = sid, Host = kaleyraBase.ToString(), Endpoint = settings.EndpointPath,
                TimeoutSeconds = (int)Math.Clamp(Math.Ceiling(settings.Options.KaleyraTimeout.TotalSeconds), 1, 120), RequireSender = false,
            }, new Uri(CallbackUrl(messageId, meta.CallbackToken)), httpClients, time);
            var dynamicFields = new Dictionary<string, string>();
            if (type is not null)
            {
                dynamicFields["type"] = type;
            }
            if (longUrl is not null)
            {
                dynamicFields["long_url"] = longUrl;
            }
            var prepared = await intake.PrepareAsync(new MessageSubmission
            {
                MessageId = messageId, To = phone!.E164, Body = body, TemplateId = templateId, CampaignId = campaignId, Sender = senderId,
                Type = MessageTypes.Normalize(type) is { } known && known != MessageTypes.Test ? known : MessageTypes.Default, DynamicFields = dynamicFields,
                Reference = externalId, Source = Source, AdHocSender = sender, ProviderLabel = Nickname, Meta = meta.ToJson(),
                FirstEvent = "received", FirstNote = $"from CleverTap: message_id {externalId}, to {phone.E164}, delivery reports to {callbackUrl.Host}",
                FirstDetail = DescribeIncoming(request, form),
            }, IntakeMode.Direct, new IntakeLookups(), ct);
            if (prepared.Errors is { } refused)
            {
                return Problems.Invalid(refused.ToDictionary());
            }
            try
            {
                await intake.SubmitAsync([prepared.Prepared!], new IdempotencyRecord(key, "", messageId, time.GetUtcNow()), ct);
            }
            catch (System.Data.Common.DbException) when (round < 3)
            {
                continue; // an identical request got the key first: answer as for it
            }
            var (result, _) = await direct.SendAsync(prepared.Prepared!, sender, $"Kaleyra at {kaleyraBase.Authority}", null, ct);
            return Answer(context, result, externalId!, messageId, kaleyraBase.Authority);
        }
    }

    /// <summary>The earlier message for this CleverTap message_id and callback URL that was not a failure, and the key a new attempt takes.</summary>
    /// <summary>How long after Kaleyra's timeout an unanswered connector message counts as cut off by a crash.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromSeconds(5);

    private async Task<(string Key, MessageRecord? Earlier)> EarlierAsync(string baseKey, CancellationToken cancellationToken)
    {
        var key = baseKey;
        for (var hop = 0; hop < 50; hop++)
        {
            if (await intake.FindIdempotencyAsync(key, DateTimeOffset.MinValue, cancellationToken) is not { } used)
            {
                return (key, null);
            }
            var earlier = await messages.GetAsync(used.MessageId, cancellationToken);
            if (earlier is not null && earlier.Status != DeliveryState.Failed)
            {
                return (key, earlier);
            }
            key = $"{baseKey} {used.MessageId}";
        }
        return (key, null);
    }

    /// <summary>CleverTap's answer for Kaleyra's: the ids when accepted, else a problem that says what Kaleyra said.</summary>
    private IResult Answer(HttpContext context, SendResult result, string externalId, string messageId, string authority)
    {
        if (result.Outcome is SendOutcome.Accepted accepted)
        {
            LogAccepted(logger, messageId, LogValue.Escape(externalId)!, LogValue.Escape(accepted.ProviderMessageId));
            return Results.Json(new ConnectorAccepted("accepted", externalId, accepted.ProviderMessageId, messageId));
        }
        var reason = SendOutcomes.Reason(result.Outcome) ?? "no answer";
        if (result.Exchange?.Response is not { } response)
        {
            var timedOut = reason.EndsWith("(timeout)", StringComparison.Ordinal);
            LogForwardFailed(logger, messageId, LogValue.Escape(externalId)!, LogValue.Escape(reason)!);
            return Results.Problem(statusCode: timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                title: timedOut ? "Kaleyra did not answer in time" : "Kaleyra could not be reached",
                detail: timedOut
                    ? $"Kaleyra at {authority} did not answer within {settings.Options.KaleyraTimeout.TotalSeconds:0.#} s; the message may or may not have been sent (Herald message {messageId})."
                    : $"Could not reach Kaleyra at {authority}: {result.Exchange?.Error ?? reason}. Nothing was sent; try again.",
                extensions: Extensions(externalId, messageId, null, null));
        }
        var status = response.Status;
        var kaleyraMessage = HttpClassification.ErrorMessage(response.Body);
        LogRefused(logger, messageId, LogValue.Escape(externalId)!, status);
        if (status >= 500)
        {
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Kaleyra failed",
                detail: $"Kaleyra answered HTTP {status}{(kaleyraMessage.Length == 0 ? "" : ": " + kaleyraMessage)}. Nothing was sent; try again later.",
                extensions: Extensions(externalId, messageId, status, KaleyraError(response.Body)));
        }
        if (result.Outcome is SendOutcome.Transient { RetryAfter: { } retryAfter } && status == StatusCodes.Status429TooManyRequests)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        return Results.Problem(statusCode: status is >= 400 and < 500 ? status : StatusCodes.Status502BadGateway, title: "Kaleyra refused the message",
            detail: kaleyraMessage.Length == 0 ? $"Kaleyra answered HTTP {status}: {reason}" : kaleyraMessage,
            extensions: Extensions(externalId, messageId, status, KaleyraError(response.Body)));
    }

    /// <summary>Herald's callback URL for one connector message: <c>{base}/connect/kaleyra/callback/{messageId}.{token}</c>.</summary>
    public string CallbackUrl(string messageId, string token) =>
        $"{urls.BaseUrl.ToString().TrimEnd('/')}/connect/kaleyra/callback/{messageId}.{token}";

    private static IResult Refuse(string field, HostRefusal refusal) => refusal.Forbidden
        ? Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: $"{field} is not allowed", detail: refusal.Message)
        : Problems.BadRequest(field, refusal.Message);

    private static Dictionary<string, object?> Extensions(string externalId, string messageId, int? kaleyraStatus, JsonNode? kaleyraError) => new()
    {
        ["message_id"] = externalId,
        ["herald_id"] = messageId,
        ["kaleyra_status"] = kaleyraStatus,
        ["kaleyra_error"] = kaleyraError,
    };

    private static string Describe(string header) => header switch
    {
        "api-key" => "the API key from Kaleyra",
        "sid" => "the SID from Kaleyra",
        "kaleyra-host" => "the API domain from Kaleyra, e.g. api.in.kaleyra.io",
        _ => "the CleverTap callback URL shown for the provider",
    };

    private static JsonNode? KaleyraError(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["error"];
        }
        catch (JsonException)
        {
            return body.Length == 0 ? null : JsonValue.Create(body.Length > 1000 ? body[..1000] : body);
        }
    }

    /// <summary>CleverTap's request as the timeline shows it: the api-key, sid and credentials masked.</summary>
    private static string DescribeIncoming(HttpRequest request, IFormCollection form)
    {
        var headers = new JsonObject();
        foreach (var name in RequiredHeaders.Append("Authorization"))
        {
            if (request.Headers[name].ToString() is { Length: > 0 } value)
            {
                headers[name] = Secrets.IsSecretKey(name) ? Secrets.Mask : value;
            }
        }
        var fields = new JsonObject();
        foreach (var (key, value) in form)
        {
            fields[key] = value.ToString();
        }
        return new JsonObject
        {
            ["method"] = request.Method,
            ["path"] = request.Path.Value,
            ["headers"] = headers,
            ["form"] = fields,
        }.ToJsonString(HeraldJson.Options);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SidPattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Connector message {MessageId} (CleverTap {ExternalId}) accepted by Kaleyra as {KaleyraId}")]
    private static partial void LogAccepted(ILogger logger, string messageId, string externalId, string? kaleyraId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connector message {MessageId} (CleverTap {ExternalId}) refused by Kaleyra with HTTP {Status}")]
    private static partial void LogRefused(ILogger logger, string messageId, string externalId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connector message {MessageId} (CleverTap {ExternalId}) not forwarded: {Reason}")]
    private static partial void LogForwardFailed(ILogger logger, string messageId, string externalId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "CleverTap message_id {ExternalId} was already accepted as {MessageId}: not sent again")]
    private static partial void LogDuplicate(ILogger logger, string externalId, string messageId);
}
