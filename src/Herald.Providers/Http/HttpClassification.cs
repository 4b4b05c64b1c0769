using System.Net;
using System.Text.Json;
using Herald.Core.Messaging;

namespace Herald.Providers.Http;

/// <summary>The status-code rule every HTTP provider starts from (DESIGN.md, protocols.md §2).</summary>
public static class HttpClassification
{
    /// <summary>2xx accepted; 408, 429 and 5xx transient (Retry-After honoured); other 4xx permanent.</summary>
    public static SendOutcome FromStatus(HttpResponseMessage response, string body, string? providerMessageId, TimeProvider time)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return new SendOutcome.Accepted(providerMessageId);
        }
        var reason = $"HTTP {status} {ReasonPhrase(response)}: {ErrorMessage(body)}".TrimEnd(' ', ':');
        if (status is 408 or 429 || status >= 500)
        {
            return new SendOutcome.Transient(reason, RetryAfter(response, time));
        }
        return new SendOutcome.Permanent(reason, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The delay a Retry-After header asks for, if any.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>The most useful error text in a provider's body: error.message, message, error, or the body itself.</summary>
    public static string ErrorMessage(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "";
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var nested) && nested.ValueKind == JsonValueKind.String)
                    {
                        return nested.GetString()!;
                    }
                    if (error.ValueKind == JsonValueKind.String)
                    {
                        return error.GetString()!;
                    }
                }
                if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                {
                    return message.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
            // not JSON: fall back to the text
        }
        var text = body.Trim();
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    /// <summary>The outcome of a send that got no answer.</summary>
    public static SendOutcome FromException(Exception exception, TimeSpan timeout) => exception switch
    {
        TaskCanceledException or OperationCanceledException => new SendOutcome.Transient($"no answer within {timeout.TotalSeconds:0.#} s (timeout)"),
        // One text for every connection failure, so answers cannot tell closed, open and filtered ports apart (the log has the detail).
        HttpRequestException => new SendOutcome.Transient(OutboundGuard.CouldNotConnect),
        IOException io => new SendOutcome.Transient($"connection lost while reading the answer: {io.Message}"),
        _ => new SendOutcome.Transient($"send failed: {exception.Message}"),
    };

    private static string ReasonPhrase(HttpResponseMessage response) =>
        response.ReasonPhrase ?? (Enum.IsDefined(response.StatusCode) ? response.StatusCode.ToString() : "");
}
