namespace Herald.Simulator.Scenarios;

/// <summary>How a face answers the send request itself.</summary>
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

/// <summary>The CleverTap-format DLR the connector face will report for an accepted message.</summary>
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

/// <summary>
/// The final status the Kaleyra face reports for an accepted recipient: <see cref="Status"/> is
/// <c>Delivered</c>, <c>Failed</c> or <c>Undelivered</c> with a trace code in <see cref="Details"/>
/// (e.g. <c>DELIVERED</c>, <c>CON-DND</c>), or null for "no callback ever" (the recipient stays <c>Sent</c>).
/// </summary>
internal sealed record KaleyraOutcome(string? Status, string Details)
{
    public const string SentStatus = "Sent";
    public const string SentDetails = "SENT";
    public const string SubmittedStatus = "Submitted";
    public const string SubmittedDetails = "SUBMITTED";

    public static KaleyraOutcome None { get; } = new(null, "");

    public static KaleyraOutcome Delivered { get; } = new("Delivered", "DELIVERED");

    public static KaleyraOutcome Failed(string details) => new("Failed", details);

    public static KaleyraOutcome Undelivered(string details) => new("Undelivered", details);

    public bool IsDelivered => ReferenceEquals(this, Delivered);
}

internal readonly record struct KaleyraDecision(SendBehaviour Behaviour, KaleyraOutcome Outcome);

/// <summary>
/// The final status the Twilio face reports for an accepted message: <see cref="Status"/> is <c>delivered</c>,
/// <c>undelivered</c> or <c>failed</c> with Twilio's <see cref="ErrorCode"/> for the failures (e.g. <c>30003</c>), or null
/// for "no callback ever" (the message stays <c>accepted</c>).
/// </summary>
internal sealed record TwilioOutcome(string? Status, string? ErrorCode)
{
    public const string QueuedStatus = "queued";
    public const string SentStatus = "sent";

    public static TwilioOutcome None { get; } = new(null, null);

    public static TwilioOutcome Delivered { get; } = new("delivered", null);

    public static TwilioOutcome Failed(string errorCode) => new("failed", errorCode);

    public static TwilioOutcome Undelivered(string errorCode) => new("undelivered", errorCode);
}

/// <summary>How the Twilio face answers a send (<see cref="Behaviour"/>, or 400 with <see cref="RejectCode"/>) and what it reports after.</summary>
internal readonly record struct TwilioDecision(SendBehaviour Behaviour, TwilioOutcome Outcome, string? RejectCode = null);
