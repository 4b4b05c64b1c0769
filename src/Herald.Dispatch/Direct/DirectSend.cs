using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Dispatch.Intake;
using Herald.Dispatch.Outcomes;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Dispatch.Direct;

/// <summary>What a direct send did.</summary>
/// <param name="Result">The provider's answer.</param>
/// <param name="Transition">What it did to the message.</param>
public sealed record DirectSendResult(SendResult Result, TransitionResult Transition);

/// <summary>
/// Sends a message that the intake stored for a direct send (<see cref="IntakeMode.Direct"/>: Send Test SMS, the connector)
/// right away and records the answer through the one outcome path. A transient failure is final here: the caller (a person
/// at the form, CleverTap's own retry) decides whether to try again.
/// </summary>
public interface IDirectSend
{
    /// <summary>Marks the message dispatching, sends it through <paramref name="sender"/> and records the answer.</summary>
    Task<DirectSendResult> SendAsync(PreparedMessage message, ISmsSender sender, string through, string? notRetriedNote, CancellationToken cancellationToken);
}

internal sealed class DirectSend(IMessageStore messages, ProviderAnswers answers) : IDirectSend
{
    public async Task<DirectSendResult> SendAsync(PreparedMessage message, ISmsSender sender, string through, string? notRetriedNote,
        CancellationToken cancellationToken)
    {
        var id = message.Message.Id;
        await messages.TransitionAsync(id, new StateChange
        {
            Proposed = DeliveryState.Dispatching, Source = "dispatch", Event = "dispatching", Note = $"sending through {through}", CountsAttempt = true,
        }, cancellationToken);
        var result = await sender.SendAsync(message.Outbound, cancellationToken);
        var note = result.Outcome is SendOutcome.Transient transient && notRetriedNote is not null ? $"{transient.Reason} ({notRetriedNote})" : null;
        var transition = await messages.TransitionAsync(id, SendOutcomes.Change(result, SendOutcomes.Detail(result), DeliveryState.Failed, note),
            cancellationToken);
        if (message.Provider is { } provider)
        {
            await answers.ObserveAsync(provider.Id, provider.CredentialsFailedAt is not null, [result.Outcome], cancellationToken);
        }
        return new DirectSendResult(result, transition);
    }
}
