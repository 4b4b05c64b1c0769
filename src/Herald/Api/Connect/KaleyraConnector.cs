using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Hosting;
using Herald.Providers;
using Herald.Providers.Abstractions;
using Herald.Providers.Http;
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
    IConnectorStore connectorStore,
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
        var form = await request.ReadFormAsync(context.RequestAborted);
        string? Field(string name) => form[name].ToString() is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        var to = Field("to");
        var externalId = Field("message_id");
        var body = form["body"].ToString() is { Length: > 0 } b && !string.IsNullOrWhiteSpace(b) ? b : null;
        var templateId = Field("template_id");
        var campaignId = Field("campaign_id");
        var sender = Field("sender");
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

        // CleverTap may send the same message again (its own retry): never send an accepted message twice.
        if (await connectorStore.FindByExternalIdAsync(ConnectorName, externalId!, callbackUrl!.AbsoluteUri, context.RequestAborted) is { } earlier
            && await messages.GetAsync(earlier.MessageId, context.RequestAborted) is { } earlierMessage
            && earlierMessage.Status != DeliveryState.Failed)
        {
            if (earlierMessage.Status is DeliveryState.Queued or DeliveryState.Dispatching)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already being sent",
                    detail: $"message_id '{externalId}' is being sent right now (Herald message {earlierMessage.Id}); wait for that answer.");
            }
            LogDuplicate(logger, externalId!, earlierMessage.Id);
            return Results.Json(new ConnectorAccepted("accepted", externalId!, earlierMessage.ProviderMessageId, earlierMessage.Id, true));
        }

        // From here on the work finishes even if CleverTap hangs up: the outcome must be recorded either way.
        var ct = lifetime.ApplicationStopping;
        var messageId = Ids.NewMessageId(time);
        var token = Ids.NewToken();
        var now = time.GetUtcNow();
        var messageType = MessageTypes.Normalize(type) is { } known && known != MessageTypes.Test ? known : MessageTypes.Default;
        await connectorStore.InsertMessageAsync(new MessageRecord
        {
            Id = messageId,
            ProviderNickname = Nickname,
            To = phone!.E164,
            Body = body,
            TemplateId = templateId,
            CampaignId = campaignId,
            Sender = sender,
            Type = messageType,
            Source = Source,
            DynamicFields = longUrl is null && type is null ? null
                : JsonSerializer.Serialize(new Dictionary<string, string?> { ["type"] = type, ["long_url"] = longUrl }.Where(p => p.Value is not null)
                    .ToDictionary(p => p.Key, p => p.Value), HeraldJson.Options),
            Status = DeliveryState.Queued,
            CreatedAt = now,
            UpdatedAt = now,
        }, new MessageEventRecord
        {
            MessageId = messageId,
            At = now,
            Source = Source,
            Event = "received",
            State = DeliveryState.Queued,
            Applied = true,
            Note = $"from CleverTap: message_id {externalId}, to {phone.E164}, delivery reports to {callbackUrl.Host}",
            Detail = DescribeIncoming(request, form),
        }, new ConnectorMessageRecord
        {
            MessageId = messageId,
            Connector = ConnectorName,
            ExternalId = externalId!,
            CallbackUrl = callbackUrl.AbsoluteUri,
            CallbackToken = token,
            Host = kaleyraBase!.Authority,
            Sid = sid,
            CreatedAt = now,
        }, ct);

        await messages.TransitionAsync(messageId, new StateChange
        {
            Proposed = DeliveryState.Dispatching,
            Source = "dispatch",
            Event = "dispatching",
            Note = $"forwarding to Kaleyra at {kaleyraBase.Authority}",
            CountsAttempt = true,
        }, ct);

        var fields = new List<KeyValuePair<string, string>> { new("to", phone.E164) };
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                fields.Add(new(name, value));
            }
        }
        var note = (string?)null;
        var outgoingBody = body;
        string? urlData = null;
        if (longUrl is not null)
        {
            if (body is null)
            {
                note = "long_url not forwarded: there is no body to place {URL} in";
            }
            else
            {
                outgoingBody = body.Contains("{URL}", StringComparison.Ordinal) ? body : body + " {URL}";
                urlData = new JsonObject { ["shorten_url"] = 1, ["url"] = longUrl }.ToJsonString(HeraldJson.Options);
            }
        }
        Add("sender", sender);
        Add("body", outgoingBody);
        Add("type", KaleyraType(type));
        Add("template_id", templateId);
        Add("ref", externalId);
        Add("ref1", campaignId);
        Add("callback", new JsonObject { ["url"] = CallbackUrl(messageId, token), ["method"] = "POST" }.ToJsonString(HeraldJson.Options));
        Add("url_data", urlData);

        var target = new Uri(kaleyraBase, $"/v1/{Uri.EscapeDataString(sid)}/{settings.EndpointPath}");
        using var outgoing = new HttpRequestMessage(HttpMethod.Post, target) { Content = new FormUrlEncodedContent(fields) };
        outgoing.Headers.TryAddWithoutValidation("api-key", apiKey);
        outgoing.Headers.Accept.ParseAdd("application/json");
        var recorder = new ExchangeRecorder();
        recorder.AddSecret(apiKey);
        recorder.AddSecret(sid);
        var timeout = settings.Options.KaleyraTimeout;
        var (response, responseBody, exchange, error) = await recorder.SendAsync(httpClients.CreateClient(ProviderHttp.ClientName), outgoing, timeout, ct);
        using (response)
        {
            var detail = JsonSerializer.Serialize(exchange, HeraldJson.Options);
            if (response is null)
            {
                var timedOut = error is OperationCanceledException;
                var reason = exchange.Error ?? "no answer";
                await RecordFailureAsync(messageId, timedOut ? "timeout" : "connection-failed", $"Kaleyra at {kaleyraBase.Authority}: {reason}", detail, note);
                LogForwardFailed(logger, messageId, externalId!, reason);
                return Results.Problem(statusCode: timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                    title: timedOut ? "Kaleyra did not answer in time" : "Kaleyra could not be reached",
                    detail: timedOut
                        ? $"Kaleyra at {kaleyraBase.Authority} did not answer within {timeout.TotalSeconds:0.#} s; the message may or may not have been sent (Herald message {messageId})."
                        : $"Could not reach Kaleyra at {kaleyraBase.Authority}: {reason}. Nothing was sent; try again.",
                    extensions: Extensions(externalId!, messageId, null, null));
            }

            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                var kaleyraId = KaleyraMessageId(responseBody);
                await messages.TransitionAsync(messageId, new StateChange
                {
                    Proposed = DeliveryState.Accepted,
                    Source = "provider-response",
                    Event = "accepted",
                    ProviderMessageId = kaleyraId,
                    Note = Join(kaleyraId is null ? "accepted (the answer carried no message id)" : $"Kaleyra message id {kaleyraId}", note),
                    Detail = detail,
                }, ct);
                LogAccepted(logger, messageId, externalId!, kaleyraId);
                return Results.Json(new ConnectorAccepted("accepted", externalId!, kaleyraId, messageId));
            }

            var kaleyraMessage = HttpClassification.ErrorMessage(responseBody);
            var outcome = HttpClassification.FromStatus(response, responseBody, null, time);
            await RecordFailureAsync(messageId, status is 408 or 429 || status >= 500 ? "transient-failure" : "permanent-failure",
                outcome is SendOutcome.Permanent p ? p.Reason : ((SendOutcome.Transient)outcome).Reason, detail, note);
            LogRefused(logger, messageId, externalId!, status);
            if (status >= 500)
            {
                return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Kaleyra failed",
                    detail: $"Kaleyra answered HTTP {status}{(kaleyraMessage.Length == 0 ? "" : ": " + kaleyraMessage)}. Nothing was sent; try again later.",
                    extensions: Extensions(externalId!, messageId, status, KaleyraError(responseBody)));
            }
            if (status == StatusCodes.Status429TooManyRequests && HttpClassification.RetryAfter(response, time) is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }
            return Results.Problem(statusCode: status is >= 400 and < 500 ? status : StatusCodes.Status502BadGateway, title: "Kaleyra refused the message",
                detail: kaleyraMessage.Length == 0 ? $"Kaleyra answered HTTP {status}." : kaleyraMessage,
                extensions: Extensions(externalId!, messageId, status, KaleyraError(responseBody)));
        }
    }

    /// <summary>Herald's callback URL for one connector message: <c>{base}/connect/kaleyra/callback/{messageId}.{token}</c>.</summary>
    public string CallbackUrl(string messageId, string token) =>
        $"{urls.BaseUrl.ToString().TrimEnd('/')}/connect/kaleyra/callback/{messageId}.{token}";

    private Task<TransitionResult> RecordFailureAsync(string messageId, string @event, string reason, string detail, string? note) =>
        messages.TransitionAsync(messageId, new StateChange
        {
            Proposed = DeliveryState.Failed,
            Source = "provider-response",
            Event = @event,
            Note = Join(reason, note),
            Detail = detail,
        }, lifetime.ApplicationStopping);

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

    /// <summary>Kaleyra's types are upper case (OTP, DEFAULT, MKT, TXN); anything else goes as given for Kaleyra to judge.</summary>
    private static string? KaleyraType(string? type) =>
        type is null ? null : MessageTypes.Normalize(type) is { } known && known != MessageTypes.Test ? known.ToUpperInvariant() : type;

    private static string? KaleyraMessageId(string body)
    {
        try
        {
            var root = JsonNode.Parse(body);
            return root?["data"] is JsonArray { Count: > 0 } data && data[0]?["message_id"] is JsonValue id ? id.ToString()
                : root?["id"] is JsonValue whole ? whole.ToString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

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

    private static string? Join(string? a, string? b) => a is null ? b : b is null ? a : $"{a}; {b}";

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
