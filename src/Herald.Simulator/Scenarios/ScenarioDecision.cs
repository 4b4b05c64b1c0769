namespace Herald.Simulator.Scenarios;

/// <summary>How the connector answers the send request itself.</summary>
internal enum SendBehaviour
{
    Accept,
    Unavailable,
    Timeout,
    InvalidNumber,
    RateLimited,
}

internal enum DlrKind
{
    None,
    Delivered,
    Failed,
}

/// <summary>The DLR the simulator will report for an accepted message.</summary>
internal sealed record DlrOutcome(DlrKind Kind, string? Code, string Description)
{
    public static DlrOutcome None { get; } = new(DlrKind.None, null, "");

    public static DlrOutcome Delivered { get; } = new(DlrKind.Delivered, null, "Delivered to handset");

    public static DlrOutcome Failed(string code, string description) => new(DlrKind.Failed, code, description);
}

internal readonly record struct ScenarioDecision(SendBehaviour Behaviour, DlrOutcome Dlr)
{
    public static ScenarioDecision Reject(SendBehaviour behaviour) => new(behaviour, DlrOutcome.None);

    public static ScenarioDecision Accept(DlrOutcome dlr) => new(SendBehaviour.Accept, dlr);
}
