using System.Net.Http.Headers;
using System.Text;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;
using Herald.Providers.Http;

namespace Herald.Providers.Twilio;

/// <summary>
/// Sends one message per request through Twilio's Programmable Messaging API: form fields <c>To</c> (E.164), <c>From</c>
/// (the message's sender, else the provider's) or <c>MessagingServiceSid</c>, <c>Body</c> and <c>StatusCallback</c> (the
/// provider's callback URL with Herald's message id as <c>ref</c>), Basic auth <c>accountSid:authToken</c>.
/// </summary>
internal sealed class TwilioSender : ISmsSender
{
    private readonly TwilioSettings _settings;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;
    private readonly string _url;
    private readonly string _callback;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly TimeSpan _timeout;

    public TwilioSender(TwilioSettings settings, Uri callbackUrl, IHttpClientFactory httpClientFactory, TimeProvider time)
    {
        _settings = settings;
        _httpClientFactory = httpClientFactory;
        _time = time;
        _url = $"{ApiHosts.BaseUrl(settings.Host)}/2010-04-01/Accounts/{Uri.EscapeDataString(settings.AccountSid)}/Messages.json";
        _callback = callbackUrl.AbsoluteUri + (callbackUrl.Query.Length > 1 ? "&" : "?") + TwilioReportFormat.ReferenceField + "=";
        _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}")));
        _timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds is >= 1 and <= 120 ? settings.TimeoutSeconds : 30);
    }

    public void Validate(OutboundMessage message) => Render(message);

    public async Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, string>> fields;
        try
        {
            fields = Render(message);
        }
        catch (MessageRenderException ex)
        {
            return new SendResult(new SendOutcome.Permanent(ex.Message, "invalid-message"), null);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.ParseAdd("application/json");
        var recorder = new ExchangeRecorder();
        recorder.AddSecret(_settings.AuthToken);
        recorder.AddSecret(_settings.AccountSid);
        var client = _httpClientFactory.CreateClient(ProviderHttp.ClientName);
        var (response, body, exchange, error) = await recorder.SendAsync(client, request, _timeout, cancellationToken);
        using (response)
        {
            var outcome = response is null
                ? HttpClassification.FromException(error!, _timeout)
                : TwilioClassification.Classify(response, recorder.Mask(body), _time); // reasons quote the body: never the token
            return new SendResult(outcome, exchange);
        }
    }

    private List<KeyValuePair<string, string>> Render(OutboundMessage message)
    {
        if (string.IsNullOrEmpty(message.Body))
        {
            throw new MessageRenderException("body", "Twilio needs the text in body (Twilio does not take a templateId).");
        }
        var fields = new List<KeyValuePair<string, string>> { new("To", message.To.E164) };
        var from = Present(message.Sender) ?? Field(message, "from") ?? Field(message, "sender") ?? _settings.From;
        if (from is not null)
        {
            fields.Add(new("From", from));
        }
        else if (_settings.MessagingServiceSid is { } service)
        {
            fields.Add(new("MessagingServiceSid", service));
        }
        else
        {
            throw new MessageRenderException("sender",
                "Twilio needs a sender: give the message a sender, or set the provider's from (a Twilio number) or messagingServiceSid.");
        }
        fields.Add(new("Body", message.Body));
        fields.Add(new("StatusCallback", _callback + Uri.EscapeDataString(message.MessageId)));
        return fields;
    }

    private static string? Field(OutboundMessage message, string name) =>
        message.DynamicFields.Where(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
            .Select(f => Present(f.Value)).FirstOrDefault(v => v is not null);

    private static string? Present(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
