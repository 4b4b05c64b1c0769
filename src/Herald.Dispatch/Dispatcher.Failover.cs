using Herald.Core.Messaging;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Dispatch;

/// <summary>
/// Failover inside a provider group: a message moves to the next provider of its group, in group order and
/// wrapping around past the last, skipping providers whose circuit is open or that asked to wait. It stays on its provider when no
/// other provider of the group can take it.
/// </summary>
internal sealed partial class Dispatcher
{
    /// <summary>The provider of the message's group after its current one that would take it now (circuit not open, not paused), or null.</summary>
    private GroupMember? NextInGroup(ClaimedMessage claimed, DateTimeOffset now)
    {
        if (claimed.Group is not { Providers.Count: > 0 } group)
        {
            return null;
        }
        var members = group.Providers;
        var current = claimed.Message.ProviderId;
        var start = members.ToList().FindIndex(m => m.Id == current);
        for (var step = 1; step <= members.Count; step++)
        {
            var candidate = members[(start + step + members.Count) % members.Count];
            if (candidate.Id != current && !Refusing(candidate.Id, now))
            {
                return candidate;
            }
        }
        return null;
    }

    // Paused providers are skipped as well as open circuits: two paused providers would otherwise pass a message back and forth.
    private bool Refusing(string providerId, DateTimeOffset now) =>
        _gates.TryGetValue(providerId, out var gate) && gate.Refusing(now);

    /// <summary>Moves a message its provider cannot take now to the next provider of its group, to be sent right away.</summary>
    private DispatchCompletion? FailoverNow(ClaimedMessage claimed, string reason)
    {
        var now = time.GetUtcNow();
        if (NextInGroup(claimed, now) is not { } next)
        {
            return null;
        }
        return new DispatchCompletion(claimed.Message.Id, new StateChange
        {
            Proposed = DeliveryState.Queued, Source = "dispatch", Event = "failover",
            Note = $"moved from {From(claimed)} to {Name(next)}: {reason}",
        }, now, new ProviderSwitch(next.Id, next.Nickname));
    }

    /// <summary>
    /// After the group's number of transient failures on one provider, the retry goes to the next provider right away;
    /// null while the message should stay where it is.
    /// </summary>
    private DispatchCompletion? FailoverAfterTransient(ClaimedMessage claimed, SendOutcome.Transient transient, string? detail)
    {
        var message = claimed.Message;
        if (claimed.Group is not { } group || message.ProviderAttempts < group.FailoverAfterAttempts)
        {
            return null;
        }
        var now = time.GetUtcNow();
        if (NextInGroup(claimed, now) is not { } next || claimed.ValidUntil is { } until && now >= until)
        {
            return null;
        }
        return new DispatchCompletion(message.Id, new StateChange
        {
            Proposed = DeliveryState.Queued, Source = "provider-response", Event = "transient-failure", Detail = detail,
            Note = TimelineNotes.Then(transient.Reason, $"attempt {message.Attempts + 1} goes through {Name(next)} now"),
        }, now, new ProviderSwitch(next.Id, next.Nickname,
            $"moved from {From(claimed)} to {Name(next)}: {message.ProviderAttempts} transient failure(s) in a row on {message.ProviderNickname} (group {group.Name} fails over after {group.FailoverAfterAttempts})"));
    }

    private static string From(ClaimedMessage claimed) => $"{claimed.Message.ProviderNickname} ({claimed.Message.ProviderId})";

    private static string Name(GroupMember member) => $"{member.Nickname} ({member.Id})";
}
