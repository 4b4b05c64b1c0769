namespace Herald.Core.Messaging;

/// <summary>The decision on one proposed state change.</summary>
/// <param name="Apply">Whether the message moves to the proposed state.</param>
/// <param name="Reason">Why it does not, for the timeline; null when applied.</param>
public readonly record struct StateDecision(bool Apply, string? Reason)
{
    /// <summary>The change is applied.</summary>
    public static StateDecision Applied { get; } = new(true, null);

    /// <summary>The change is recorded on the timeline but does not move the state.</summary>
    public static StateDecision Ignored(string reason) => new(false, reason);
}

/// <summary>
/// The rules every state change goes through (protocols.md §5): final states never move back,
/// a report older than the current state is kept in history but ignored, the same report twice
/// changes nothing, and a report may overtake the provider's own send response.
/// </summary>
public static class DeliveryStateMachine
{
    /// <summary>Decides whether a message in <paramref name="current"/> moves to <paramref name="proposed"/>.</summary>
    public static StateDecision Decide(DeliveryState current, DeliveryState proposed)
    {
        if (current == proposed)
        {
            return StateDecision.Ignored($"already {current.ToWire()}");
        }
        if (current.IsFinal())
        {
            return StateDecision.Ignored($"{current.ToWire()} is final");
        }
        if (Rank(proposed) < Rank(current))
        {
            return StateDecision.Ignored($"{proposed.ToWire()} is older than {current.ToWire()}");
        }
        return StateDecision.Applied;
    }

    /// <summary>
    /// Whether a message can go back to <see cref="DeliveryState.Queued"/> for another attempt:
    /// only a message that a worker holds and that no report has moved on yet.
    /// </summary>
    public static bool CanRequeue(DeliveryState current) => current is DeliveryState.Dispatching or DeliveryState.Queued;

    private static int Rank(DeliveryState state) => state switch
    {
        DeliveryState.Queued => 0,
        DeliveryState.Dispatching => 1,
        DeliveryState.Accepted => 2,
        DeliveryState.Sent => 3,
        _ => 4,
    };
}
