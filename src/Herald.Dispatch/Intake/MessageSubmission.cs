using Herald.Core.Providers;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Dispatch.Intake;

/// <summary>
/// One message offered to Herald, from any path (the API, a batch, Send Test SMS, the Kaleyra connector, later campaigns
/// and journeys). The intake checks it and turns it into a stored message; nothing else builds a message row.
/// </summary>
public sealed record MessageSubmission
{
    /// <summary>The id to give the message, when the path needs it before the message is stored (the connector puts it in its callback URL); null for a new one.</summary>
    public string? MessageId { get; init; }

    /// <summary>What the provider's reference field carries instead of Herald's id (see <see cref="OutboundMessage.Reference"/>).</summary>
    public string? Reference { get; init; }

    /// <summary>The recipient as the caller wrote it (E.164, or national with <see cref="CountryCode"/>).</summary>
    public string? To { get; init; }

    /// <summary>A calling code (<c>+91</c>) for a national <see cref="To"/>.</summary>
    public string? CountryCode { get; init; }

    /// <summary>The field the recipient came in, for errors (<c>to</c>, <c>mobile</c>).</summary>
    public string ToField { get; init; } = "to";

    /// <summary>The text.</summary>
    public string? Body { get; init; }

    /// <summary>The field the text came in, for errors (<c>body</c>, <c>message</c>).</summary>
    public string BodyField { get; init; } = "body";

    /// <summary>DLT template id.</summary>
    public string? TemplateId { get; init; }

    /// <summary>Template variables as the caller gave them.</summary>
    public string? TemplateVariables { get; init; }

    /// <summary>otp, txn, default, mkt (test for Send Test SMS); null = default.</summary>
    public string? Type { get; init; }

    /// <summary>Sender id.</summary>
    public string? Sender { get; init; }

    /// <summary>A provider id or nickname; may be left out when exactly one provider exists.</summary>
    public string? Provider { get; init; }

    /// <summary>A provider group id or name, instead of <see cref="Provider"/>.</summary>
    public string? ProviderGroup { get; init; }

    /// <summary>Custom placeholder values.</summary>
    public IReadOnlyDictionary<string, string>? DynamicFields { get; init; }

    /// <summary>How long the message is worth sending, as the caller wrote it (ISO-8601 or hh:mm:ss).</summary>
    public string? Validity { get; init; }

    /// <summary>The campaign id.</summary>
    public string? CampaignId { get; init; }

    /// <summary>Where it came from: api, test, connector, campaign...</summary>
    public string Source { get; init; } = "api";

    /// <summary>The API key that submitted it, so a send-scoped key can read its own messages back; null for other paths.</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>
    /// A provider that is not stored (the connector sends with the credentials CleverTap passed): the intake validates
    /// against this sender and records <see cref="ProviderLabel"/> as the provider's name. Only for <see cref="IntakeMode.Direct"/>.
    /// </summary>
    public ISmsSender? AdHocSender { get; init; }

    /// <summary>The provider name shown for <see cref="AdHocSender"/>.</summary>
    public string? ProviderLabel { get; init; }

    /// <summary>What the path keeps about the message beyond the message itself (JSON; e.g. the connector's callback).</summary>
    public string? Meta { get; init; }

    /// <summary>The first timeline entry's event; default <c>queued</c>.</summary>
    public string FirstEvent { get; init; } = "queued";

    /// <summary>The first timeline entry's note; default: the segments and encoding.</summary>
    public string? FirstNote { get; init; }

    /// <summary>The first timeline entry's detail (e.g. the request as received).</summary>
    public string? FirstDetail { get; init; }

    /// <summary>A campaign's own quiet hours and frequency caps for the send-path policy; null for the server's defaults.</summary>
    public PolicyOverrides? Policy { get; init; }

    /// <summary>The journey that sends it, if any (its short links' clicks name it).</summary>
    public string? JourneyId { get; init; }

    /// <summary>
    /// Whether Herald may replace the text's http(s) URLs (and <see cref="LongUrl"/>) with short links that count clicks (default);
    /// false keeps them as written. Providers that shorten links themselves opt out in their settings.
    /// </summary>
    public bool ShortenLinks { get; init; } = true;

    /// <summary>A URL to shorten and hand to the provider as the <c>LongURL</c> field (a generic provider's <c>$$LongURL</c>).</summary>
    public string? LongUrl { get; init; }
}

/// <summary>How a submitted message is sent.</summary>
public enum IntakeMode
{
    /// <summary>The dispatcher claims and sends it (the queue).</summary>
    Queue,

    /// <summary>The caller sends it now and records the answer (Send Test SMS, the connector): the dispatcher never claims it.</summary>
    Direct,
}

/// <summary>A checked message, ready to store.</summary>
/// <param name="Message">The row.</param>
/// <param name="Dispatch">Its queue fields.</param>
/// <param name="Outbound">What a provider is given.</param>
/// <param name="Provider">The stored provider it starts on (null for an ad-hoc sender).</param>
public sealed record PreparedMessage(MessageRecord Message, DispatchInfo Dispatch, OutboundMessage Outbound, ProviderRecord? Provider)
{
    /// <summary>The send-path policy's decision once <see cref="IMessageIntake.CheckPolicyAsync"/> ran (null before, and for messages it does not cover).</summary>
    public PolicyDecision? Decision { get; init; }

    /// <summary>Whether the policy has looked at it (or it is a message the policy does not cover: a test SMS, a direct send).</summary>
    public bool PolicyChecked { get; init; }

    /// <summary>The campaign's policy overrides, from the submission.</summary>
    public PolicyOverrides? PolicyOverrides { get; init; }

    /// <summary>The short links made for it, stored when the policy lets it go (<see cref="IMessageIntake.CheckPolicyAsync"/>).</summary>
    public IReadOnlyList<LinkRecord> Links { get; init; } = [];

    /// <summary>The reason code when the policy skipped it (it is stored as <c>rejected</c>).</summary>
    public string? SkipReason => Decision is PolicyDecision.Skip skip ? skip.Reason : null;

    /// <summary>When the policy deferred it, the time it may go.</summary>
    public DateTimeOffset? DeferredUntil => Decision is PolicyDecision.Defer defer ? defer.Until : null;
}

/// <summary>The intake's answer: a prepared message, or the errors by field.</summary>
public sealed record IntakeResult(PreparedMessage? Prepared, IReadOnlyDictionary<string, string[]>? Errors)
{
    /// <summary>Whether the message was refused.</summary>
    public bool Refused => Errors is not null;
}

/// <summary>Providers and groups looked up once per request (a batch names the same ones many times).</summary>
public sealed class IntakeLookups
{
    internal Dictionary<string, ProviderRecord?> ByKey { get; } = new(StringComparer.OrdinalIgnoreCase);
    internal IReadOnlyList<ProviderRecord>? All { get; set; }
    internal Dictionary<string, (ProviderGroupRecord Group, IReadOnlyList<ProviderRecord> Providers)?> Groups { get; } = new(StringComparer.OrdinalIgnoreCase);
}
