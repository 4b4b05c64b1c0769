using System.Text.Json;
using Herald.Core;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Storage.Records;

namespace Herald.Dispatch.Outcomes;

/// <summary>
/// The one outcome path: turns a provider's answer into the message's next state and its timeline entry. The dispatcher,
/// Send Test SMS and the connector all record answers through it, so a provider's answer reads the same wherever it came from.
/// </summary>
public static class SendOutcomes
{
    /// <summary>The exchange as stored on the timeline (secrets were masked by the sender).</summary>
    public static string? Detail(SendResult result) =>
        result.Exchange is null ? null : JsonSerializer.Serialize(result.Exchange, HeraldJson.Options);

    /// <summary>
    /// The timeline entry for <paramref name="result"/>: accepted → accepted (with the provider's id), permanent → failed, and a
    /// transient failure → <paramref name="transientState"/> with <paramref name="transientNote"/> (the caller decides whether
    /// it is retried: queued with a retry time, expired, or failed for a path that does not retry).
    /// </summary>
    public static StateChange Change(SendResult result, string? detail, DeliveryState transientState, string? transientNote = null) => result.Outcome switch
    {
        SendOutcome.Accepted accepted => new StateChange
        {
            Proposed = DeliveryState.Accepted, Source = "provider-response", Event = "accepted", Detail = detail,
            ProviderMessageId = accepted.ProviderMessageId,
            Note = accepted.ProviderMessageId is null ? "accepted (the answer carried no message id)" : $"provider message id {accepted.ProviderMessageId}",
        },
        SendOutcome.Permanent permanent => new StateChange
        {
            Proposed = DeliveryState.Failed, Source = "provider-response", Event = "permanent-failure", Detail = detail, Note = permanent.Reason,
        },
        SendOutcome.Transient transient => new StateChange
        {
            Proposed = transientState, Source = "provider-response", Event = "transient-failure", Detail = detail, Note = transientNote ?? transient.Reason,
        },
        _ => throw new InvalidOperationException("Unknown outcome."),
    };

    /// <summary>The reason a failed answer gives, or null when it was accepted.</summary>
    public static string? Reason(SendOutcome outcome) => outcome switch
    {
        SendOutcome.Transient t => t.Reason,
        SendOutcome.Permanent p => p.Reason,
        _ => null,
    };
}
