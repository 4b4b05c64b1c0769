using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Http;

namespace Herald.Providers.GenericHttp;

/// <summary>Sends through a generic provider and classifies its answer.</summary>
internal sealed class GenericHttpSender(GenericRequestTemplate template, IHttpClientFactory httpClientFactory, TimeProvider time) : ISmsSender
{
    // Kaleyra-style per-recipient ids first; an echo of Herald's own id is not the provider's id.
    private static readonly string[] DefaultIdPaths = ["data[0].message_id", "message_id", "messageId", "id", "data[0].id", "data.id", "data.message_id", "messages[0].id", "result.id"];

    public async Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var recorder = new ExchangeRecorder();
        var secrets = new List<string>();
        using var request = template.Build(message, secrets);
        secrets.ForEach(recorder.AddSecret);
        var client = httpClientFactory.CreateClient(ProviderHttp.ClientName);
        var (response, body, exchange, error) = await recorder.SendAsync(client, request, template.Timeout, cancellationToken);
        using (response)
        {
            var outcome = response is null ? HttpClassification.FromException(error!, template.Timeout) : Classify(response, body, message.MessageId);
            return new SendResult(outcome, exchange);
        }
    }

    public void Validate(OutboundMessage message)
    {
        using var request = template.Build(message, new List<string>());
    }

    private SendOutcome Classify(HttpResponseMessage response, string body, string ownId)
    {
        var rules = template.Settings.Response;
        var status = (int)response.StatusCode;
        if (rules is not null)
        {
            if (Matches(rules.PermanentFailurePattern, body))
            {
                return new SendOutcome.Permanent($"HTTP {status}: the answer matched permanentFailurePattern: {HttpClassification.ErrorMessage(body)}", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            if (Matches(rules.TransientFailurePattern, body))
            {
                return new SendOutcome.Transient($"HTTP {status}: the answer matched transientFailurePattern: {HttpClassification.ErrorMessage(body)}", HttpClassification.RetryAfter(response, time));
            }
            if (!string.IsNullOrEmpty(rules.SuccessPattern))
            {
                if (Matches(rules.SuccessPattern, body))
                {
                    return new SendOutcome.Accepted(MessageId(body, ownId));
                }
                if (status is >= 200 and < 300)
                {
                    return new SendOutcome.Permanent($"HTTP {status}: the answer did not match successPattern: {HttpClassification.ErrorMessage(body)}", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
        return HttpClassification.FromStatus(response, body, status is >= 200 and < 300 ? MessageId(body, ownId) : null, time);
    }

    private string? MessageId(string body, string ownId)
    {
        var rules = template.Settings.Response;
        if (!string.IsNullOrEmpty(rules?.MessageIdPattern))
        {
            try
            {
                // The first group that captured something: with alternatives (a(\d+)|b(\d+)) only one of them did.
                var match = Regex.Match(body, rules.MessageIdPattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
                return match.Success ? match.Groups.Cast<Group>().Skip(1).FirstOrDefault(g => g.Success && g.Length > 0)?.Value : null;
            }
            catch (RegexMatchTimeoutException)
            {
                return null;
            }
        }
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart() is not ['{' or '[', ..])
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!string.IsNullOrEmpty(rules?.MessageIdPath))
            {
                return JsonPath.Read(document.RootElement, rules.MessageIdPath);
            }
            foreach (var path in DefaultIdPaths)
            {
                if (JsonPath.Read(document.RootElement, path) is { Length: > 0 } id && id != ownId)
                {
                    return id;
                }
            }
        }
        catch (JsonException)
        {
            // a 2xx with a body that is not JSON: accepted without an id
        }
        return null;
    }

    private static bool Matches(string? pattern, string body)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return false;
        }
        try
        {
            return Regex.IsMatch(body, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (RegexMatchTimeoutException)
        {
            return false; // a pattern too slow for this body decides nothing; SendAsync must not throw
        }
    }
}
