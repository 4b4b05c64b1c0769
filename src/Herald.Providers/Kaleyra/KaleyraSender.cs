using System.Text.Encodings.Web;
using System.Text.Json;
using Herald.Core.Encoding;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Http;

namespace Herald.Providers.Kaleyra;

/// <summary>
/// Sends through Kaleyra's SMS API: one message per request with Herald's id in <c>ref</c>, or up to
/// <see cref="BatchLimit"/> recipients of the same content per request for the dispatcher.
/// </summary>
/// <remarks>
/// <c>to</c> is E.164 with <c>+</c> (Kaleyra takes numbers with the country code and answers without
/// the <c>+</c>). The DLT entity id goes in <c>entity_id</c>: Kaleyra's public docs do not name the
/// field, so Herald uses the name its DLT parameters follow (<c>template_id</c>).
/// </remarks>
internal sealed class KaleyraSender : IBatchSmsSender
{
    public const int BatchLimit = 100;

    private static readonly JsonWriterOptions CallbackJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly KaleyraSettings _settings;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;
    private readonly string _url;
    private readonly string _callback;
    private readonly TimeSpan _timeout;

    public KaleyraSender(KaleyraSettings settings, Uri callbackUrl, IHttpClientFactory httpClientFactory, TimeProvider time)
    {
        _settings = settings;
        _httpClientFactory = httpClientFactory;
        _time = time;
        _url = $"{KaleyraKind.BaseUrl(settings.Host)}/v1/{Uri.EscapeDataString(settings.Sid)}/{(settings.Endpoint == "messages" ? "messages" : "sms")}";
        _callback = Callback(callbackUrl);
        _timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds is >= 1 and <= 120 ? settings.TimeoutSeconds : 30);
    }

    public int MaxBatchSize => BatchLimit;

    public async Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var content = Render(message);
        return (await SendRequestAsync(content, [message], message.Reference ?? message.MessageId, cancellationToken))[0];
    }

    public void Validate(OutboundMessage message) => Render(message);

    public async Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new SendResult?[messages.Count];
        // Requests in the order their first message came; within a content group, first fit into a
        // request with room and without that number (one number twice in a request could not be told apart).
        var groups = new Dictionary<Content, List<List<int>>>();
        var requests = new List<(Content Content, List<int> Indexes)>();
        for (var i = 0; i < messages.Count; i++)
        {
            Content content;
            try
            {
                content = Render(messages[i]);
            }
            catch (MessageRenderException ex)
            {
                results[i] = new SendResult(new SendOutcome.Permanent(ex.Message, "invalid-message"), null);
                continue;
            }
            if (!groups.TryGetValue(content, out var chunks))
            {
                groups[content] = chunks = [];
            }
            var number = messages[i].To.E164;
            var chunk = chunks.FirstOrDefault(c => c.Count < BatchLimit && !c.Any(j => messages[j].To.E164 == number));
            if (chunk is null)
            {
                chunk = [];
                chunks.Add(chunk);
                requests.Add((content, chunk));
            }
            chunk.Add(i);
        }

        var sent = 0;
        foreach (var (content, indexes) in requests)
        {
            IReadOnlyList<SendResult> outcome;
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = indexes.Select(i => messages[i]).ToList();
                // A request of one carries Herald's id in ref, as a single send does; a request of
                // several cannot, and its reports correlate on Kaleyra's per-recipient message_id.
                outcome = await SendRequestAsync(content, batch, batch.Count == 1 ? batch[0].Reference ?? batch[0].MessageId : null, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && sent > 0)
            {
                // Some requests already went out: their results must reach the caller, so the rest
                // (possibly in flight) come back as transient rather than as an exception.
                var cancelled = new SendResult(new SendOutcome.Transient("not sent: the batch was cancelled (shutdown) before this request completed"), null);
                foreach (var (_, rest) in requests.Skip(sent))
                {
                    rest.ForEach(i => results[i] = cancelled);
                }
                break;
            }
            for (var k = 0; k < indexes.Count; k++)
            {
                results[indexes[k]] = outcome[k];
            }
            sent++;
        }
        return results.Select(r => r!).ToList();
    }

    private async Task<IReadOnlyList<SendResult>> SendRequestAsync(Content content, IReadOnlyList<OutboundMessage> messages, string? reference, CancellationToken cancellationToken)
    {
        var recipients = messages.Select(m => m.To.E164).ToList();
        var fields = new List<KeyValuePair<string, string>>
        {
            new("to", string.Join(',', recipients)),
        };
        if (content.Sender is not null)
        {
            fields.Add(new("sender", content.Sender));
        }
        if (content.Body is not null)
        {
            fields.Add(new("body", content.Body));
        }
        fields.Add(new("type", content.Type));
        if (content.TemplateId is not null)
        {
            fields.Add(new("template_id", content.TemplateId));
        }
        if (_settings.EntityId is not null)
        {
            fields.Add(new("entity_id", _settings.EntityId));
        }
        if (reference is not null)
        {
            fields.Add(new("ref", reference));
        }
        if (content.CampaignId is not null)
        {
            fields.Add(new("ref1", content.CampaignId));
        }
        fields.Add(new("callback", _callback));
        if (content.UrlData is not null)
        {
            fields.Add(new("url_data", content.UrlData));
        }
        if (content.Unicode)
        {
            fields.Add(new("unicode", "1"));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.TryAddWithoutValidation("api-key", _settings.ApiKey);
        request.Headers.Accept.ParseAdd("application/json");
        var recorder = new ExchangeRecorder();
        recorder.AddSecret(_settings.ApiKey);
        recorder.AddSecret(_settings.Sid);
        var client = _httpClientFactory.CreateClient(ProviderHttp.ClientName);
        var (response, body, exchange, error) = await recorder.SendAsync(client, request, _timeout, cancellationToken);
        using (response)
        {
            var outcomes = response is null
                ? recipients.Select(_ => HttpClassification.FromException(error!, _timeout)).ToList()
                : KaleyraClassification.Classify(response, recorder.Mask(body), recipients, _time); // reasons quote the body: never the key
            return outcomes.Select(o => new SendResult(o, exchange)).ToList();
        }
    }

    /// <summary>The request fields one message needs; messages with equal content can share a request.</summary>
    private Content Render(OutboundMessage message)
    {
        var sender = Present(message.Sender) ?? Field(message, "sender") ?? _settings.Sender;
        if (sender is null && _settings.RequireSender)
        {
            throw new MessageRenderException("sender",
                "Kaleyra needs a sender id: give the message a sender (or dynamicFields.sender), or set the provider's default sender in settings.sender.");
        }
        var body = string.IsNullOrEmpty(message.Body) ? null : message.Body;
        var templateId = Present(message.TemplateId);
        if (body is null && templateId is null)
        {
            throw new MessageRenderException("body", "Kaleyra needs the text in body, or a templateId of a template stored at Kaleyra.");
        }
        if (templateId is not null && (templateId.Length is < 12 or > 30 || !templateId.All(char.IsAsciiDigit)))
        {
            throw new MessageRenderException("templateId", $"templateId '{templateId}' is not a DLT template id: Kaleyra takes 12 to 30 digits.");
        }
        var unicode = _settings.Unicode switch
        {
            "always" => true,
            "never" => false,
            _ => body is not null && !SmsSegmenter.IsGsm7(body),
        };
        // long_url ($$LongURL): Kaleyra shortens it into the body's {URL}.
        string? urlData = null;
        if (Field(message, "long_url") is { } longUrl && body is not null)
        {
            body = body.Contains("{URL}", StringComparison.Ordinal) ? body : body + " {URL}";
            urlData = Json(writer =>
            {
                writer.WriteNumber("shorten_url", 1);
                writer.WriteString("url", longUrl);
            });
        }
        return new Content(body, sender, KaleyraType(message), templateId, Present(message.CampaignId), unicode, urlData);
    }

    private string KaleyraType(OutboundMessage message)
    {
        if (Field(message, "type") is { } requested)
        {
            var upper = requested.ToUpperInvariant();
            if (KaleyraKind.Types.Contains(upper))
            {
                return upper;
            }
            return MessageTypes.Normalize(requested) switch
            {
                MessageTypes.Otp => "OTP",
                MessageTypes.Transactional => "TXN",
                MessageTypes.Marketing => "MKT",
                MessageTypes.Test => _settings.Type,
                _ => throw new MessageRenderException("dynamicFields.type", $"type '{requested}' is not a Kaleyra type: use OTP, DEFAULT, MKT or TXN."),
            };
        }
        return MessageTypes.Normalize(message.Type) switch
        {
            MessageTypes.Otp => "OTP",
            MessageTypes.Transactional => "TXN",
            MessageTypes.Marketing => "MKT",
            _ => _settings.Type,
        };
    }

    private static string? Field(OutboundMessage message, string name) =>
        message.DynamicFields.Where(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
            .Select(f => Present(f.Value)).FirstOrDefault(v => v is not null);

    private static string? Present(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>
    /// The <c>callback</c> field: where Kaleyra posts its reports, and that it retries one that fails (protocols.md §3: count 3,
    /// 10 s apart), so a report refused while Herald restarts still arrives, and settles a send left in doubt by the crash
    /// (see <c>Herald:Dispatch:InDoubtHold</c>, longer than these retries).
    /// </summary>
    private static string Callback(Uri callbackUrl) => Json(writer =>
    {
        writer.WriteString("url", callbackUrl.AbsoluteUri);
        writer.WriteString("method", "POST");
        writer.WriteStartObject("retry");
        writer.WriteString("count", "3");
        writer.WriteStartArray("interval");
        writer.WriteStringValue("10");
        writer.WriteStringValue("10");
        writer.WriteStringValue("10");
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, CallbackJson))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private sealed record Content(string? Body, string? Sender, string Type, string? TemplateId, string? CampaignId, bool Unicode, string? UrlData);
}
