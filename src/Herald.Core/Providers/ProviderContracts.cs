using Herald.Core.Messaging;
using Herald.Core.Phones;

namespace Herald.Core.Providers;

/// <summary>Everything a provider needs to send one message.</summary>
public sealed record OutboundMessage
{
    /// <summary>Herald's message id (the <c>$$MessageID</c>).</summary>
    public required string MessageId { get; init; }

    /// <summary>The recipient.</summary>
    public required PhoneNumber To { get; init; }

    /// <summary>The text.</summary>
    public string? Body { get; init; }

    /// <summary>The message type (otp, txn, default, mkt, test).</summary>
    public string Type { get; init; } = MessageTypes.Default;

    /// <summary>The sender id, if the caller chose one.</summary>
    public string? Sender { get; init; }

    /// <summary>The DLT template id.</summary>
    public string? TemplateId { get; init; }

    /// <summary>The template variables, as the caller gave them.</summary>
    public string? TemplateVariables { get; init; }

    /// <summary>The campaign id.</summary>
    public string? CampaignId { get; init; }

    /// <summary>
    /// What goes in the provider's reference field instead of <see cref="MessageId"/> (the connector passes CleverTap's
    /// <c>message_id</c> through); null for Herald's id.
    /// </summary>
    public string? Reference { get; init; }

    /// <summary>Custom placeholder values, by name or by parameter key.</summary>
    public IReadOnlyDictionary<string, string> DynamicFields { get; init; } = new Dictionary<string, string>();
}

/// <summary>An HTTP exchange with a provider, as shown to people: secrets masked, bodies truncated.</summary>
public sealed record HttpExchange(ExchangeRequest Request, ExchangeResponse? Response, long ElapsedMs, string? Error);

/// <summary>
/// The request as sent (secrets masked). The headers and body can be described lazily: most successful sends keep only the
/// method and URL (see <c>KeepSuccessBodiesOneIn</c>), so masking the rest is done when, and only if, it is read.
/// </summary>
public sealed record ExchangeRequest
{
    private readonly Lazy<(IReadOnlyList<KeyValuePair<string, string>> Headers, string? Body)> _content;

    /// <summary>A request described in full.</summary>
    [System.Text.Json.Serialization.JsonConstructor]
    public ExchangeRequest(string method, string url, IReadOnlyList<KeyValuePair<string, string>> headers, string? body)
    {
        Method = method;
        Url = url;
        _content = new((headers, body));
    }

    /// <summary>A request whose headers and body are described on first read, once.</summary>
    public ExchangeRequest(string method, string url, Func<(IReadOnlyList<KeyValuePair<string, string>> Headers, string? Body)> describe)
    {
        Method = method;
        Url = url;
        _content = new(describe, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The HTTP method.</summary>
    public string Method { get; }

    /// <summary>The URL as sent, masked.</summary>
    public string Url { get; }

    /// <summary>The headers, masked.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _content.Value.Headers;

    /// <summary>The body, masked; null without one.</summary>
    public string? Body => _content.Value.Body;
}

/// <summary>The provider's answer (body truncated at 64 KiB). Headers and body can be described lazily, like <see cref="ExchangeRequest"/>'s.</summary>
public sealed record ExchangeResponse
{
    private readonly Lazy<(IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)> _content;

    /// <summary>An answer described in full.</summary>
    [System.Text.Json.Serialization.JsonConstructor]
    public ExchangeResponse(int status, IReadOnlyList<KeyValuePair<string, string>> headers, string body, bool truncated)
    {
        Status = status;
        Truncated = truncated;
        _content = new((headers, body));
    }

    /// <summary>An answer whose headers and body are described on first read, once.</summary>
    public ExchangeResponse(int status, bool truncated, Func<(IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)> describe)
    {
        Status = status;
        Truncated = truncated;
        _content = new(describe, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>The headers, masked.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _content.Value.Headers;

    /// <summary>The body, masked and cut at 64 KiB.</summary>
    public string Body => _content.Value.Body;

    /// <summary>Whether the body was cut.</summary>
    public bool Truncated { get; }
}

/// <summary>The result of one send: the outcome and, for HTTP providers, the exchange.</summary>
public sealed record SendResult(SendOutcome Outcome, HttpExchange? Exchange);

/// <summary>A configured provider that can send.</summary>
public interface ISmsSender
{
    /// <summary>Sends one message and classifies the answer; never throws for a provider failure.</summary>
    Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>Checks, without sending, that the message can be sent as configured; throws <see cref="MessageRenderException"/> naming what is missing.</summary>
    void Validate(OutboundMessage message);
}

/// <summary>
/// A sender that can carry several messages in one provider request (Kaleyra: up to 100
/// recipients of the same text). The dispatcher hands it a claimed batch and records one result
/// per message.
/// </summary>
public interface IBatchSmsSender : ISmsSender
{
    /// <summary>The most messages one provider request carries; larger batches are split.</summary>
    int MaxBatchSize { get; }

    /// <summary>
    /// Sends <paramref name="messages"/> in as few requests as the provider allows and returns one
    /// result per message, in the order given. Messages whose content differs (body, sender, type,
    /// template) go in separate requests; a request that fails as a whole gives its failure to every
    /// message in it. A message that cannot be sent as configured gets a
    /// <see cref="Messaging.SendOutcome.Permanent"/> result (what <see cref="ISmsSender.Validate"/> would
    /// have thrown) instead of failing the batch. Never throws for a provider failure. A cancellation
    /// before the first request completed throws <see cref="OperationCanceledException"/>; one after
    /// some requests completed returns their results and <see cref="Messaging.SendOutcome.Transient"/>
    /// for the other messages (including a request that was in flight), so no answer is lost.
    /// </summary>
    Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken cancellationToken);
}

/// <summary>A message cannot be sent as configured (a mandatory placeholder has no value, etc.).</summary>
public sealed class MessageRenderException(string field, string message) : Exception(message)
{
    /// <summary>The input that needs fixing, e.g. <c>dynamicFields.Sender</c>.</summary>
    public string Field { get; } = field;
}
