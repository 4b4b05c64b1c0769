using System.Text.Json;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Sending;

/// <summary>Puts what a provider answered on the message's timeline and moves its state.</summary>
internal sealed class OutcomeRecorder(IMessageStore messages)
{
    /// <summary>Marks the message as held by a worker (one more attempt).</summary>
    public Task<TransitionResult> DispatchingAsync(string messageId, string providerNickname, CancellationToken cancellationToken) =>
        messages.TransitionAsync(messageId, new StateChange
        {
            Proposed = DeliveryState.Dispatching,
            Source = "dispatch",
            Event = "dispatching",
            Note = $"sending through {providerNickname}",
            CountsAttempt = true,
        }, cancellationToken);

    /// <summary>
    /// Records the provider's answer. Accepted moves to accepted; a permanent failure to failed; a
    /// transient failure to failed when <paramref name="retryable"/> is false (test messages are not retried).
    /// </summary>
    public Task<TransitionResult> RecordAsync(string messageId, SendResult result, bool retryable, CancellationToken cancellationToken)
    {
        var detail = result.Exchange is null ? null : JsonSerializer.Serialize(result.Exchange, HeraldJson.Options);
        var change = result.Outcome switch
        {
            SendOutcome.Accepted accepted => new StateChange
            {
                Proposed = DeliveryState.Accepted,
                Source = "provider-response",
                Event = "accepted",
                ProviderMessageId = accepted.ProviderMessageId,
                Note = accepted.ProviderMessageId is null ? "accepted (the answer carried no message id)" : $"provider message id {accepted.ProviderMessageId}",
                Detail = detail,
            },
            SendOutcome.Permanent permanent => new StateChange
            {
                Proposed = DeliveryState.Failed,
                Source = "provider-response",
                Event = "permanent-failure",
                Note = permanent.Reason,
                Detail = detail,
            },
            SendOutcome.Transient transient => new StateChange
            {
                Proposed = retryable ? DeliveryState.Queued : DeliveryState.Failed,
                Source = "provider-response",
                Event = "transient-failure",
                Note = retryable ? transient.Reason : $"{transient.Reason} (test messages are not retried)",
                Detail = detail,
            },
            _ => throw new InvalidOperationException("Unknown outcome."),
        };
        return messages.TransitionAsync(messageId, change, cancellationToken);
    }
}
