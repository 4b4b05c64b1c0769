namespace Herald.Core.Messaging;

/// <summary>Herald's canonical delivery states (protocols.md §5).</summary>
public enum DeliveryState
{
    /// <summary>Stored, waiting for dispatch.</summary>
    Queued,
    /// <summary>A worker holds it and is talking to the provider.</summary>
    Dispatching,
    /// <summary>The provider answered 2xx.</summary>
    Accepted,
    /// <summary>Handed to the operator.</summary>
    Sent,
    /// <summary>On the handset (final).</summary>
    Delivered,
    /// <summary>The operator could not deliver it (final).</summary>
    Undelivered,
    /// <summary>Provider or dispatch failure (final).</summary>
    Failed,
    /// <summary>Validity passed (final).</summary>
    Expired,
    /// <summary>Refused before sending: DLT, DND, opt-out, invalid number (final).</summary>
    Rejected,
}

/// <summary>Wire names and properties of <see cref="DeliveryState"/>.</summary>
public static class DeliveryStates
{
    /// <summary>Whether the state can never change again.</summary>
    public static bool IsFinal(this DeliveryState state) => state >= DeliveryState.Delivered;

    /// <summary>The lower-case name used in the API and the database.</summary>
    public static string ToWire(this DeliveryState state) => state switch
    {
        DeliveryState.Queued => "queued",
        DeliveryState.Dispatching => "dispatching",
        DeliveryState.Accepted => "accepted",
        DeliveryState.Sent => "sent",
        DeliveryState.Delivered => "delivered",
        DeliveryState.Undelivered => "undelivered",
        DeliveryState.Failed => "failed",
        DeliveryState.Expired => "expired",
        DeliveryState.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>Parses a wire name (case-insensitive).</summary>
    public static bool TryParse(string? value, out DeliveryState state)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToWire(), value, StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }
        state = default;
        return false;
    }

    /// <summary>Parses a wire name, throwing on anything else.</summary>
    public static DeliveryState Parse(string value) =>
        TryParse(value, out var state) ? state : throw new FormatException($"'{value}' is not a delivery state.");

    /// <summary>Every state in lifecycle order.</summary>
    public static IReadOnlyList<DeliveryState> All { get; } = Enum.GetValues<DeliveryState>();
}
