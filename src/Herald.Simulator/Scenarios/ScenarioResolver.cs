namespace Herald.Simulator.Scenarios;

/// <summary>Decides the answer and DLR for a recipient; see <see cref="SimulatorScenarios"/> for the table.</summary>
internal sealed class ScenarioResolver(SimulatorOptions options, SimulatorRandom random)
{
    private static readonly DlrOutcome[] OperatorFailures =
    [
        DlrOutcome.Failed("914", "Undelivered after retries"),
        DlrOutcome.Failed("905", "Subscriber error"),
        DlrOutcome.Failed("910", "Invalid subscriber"),
        DlrOutcome.Failed("912", "Inbox full"),
    ];

    private static readonly DlrOutcome DndFailure = DlrOutcome.Failed("901", "DND Failure");
    private static readonly DlrOutcome Expired = DlrOutcome.Failed("916", "Expired");
    private static readonly DlrOutcome TemplateBlocked = DlrOutcome.Failed("908", "Template blocked by DLT");

    /// <param name="digits">The recipient, digits only (at least 4 of them).</param>
    public ScenarioDecision Resolve(ReadOnlySpan<char> digits)
    {
        var suffix = digits.Length >= 4 ? digits[^4..] : digits;
        return suffix switch
        {
            SimulatorScenarios.DndFailure => ScenarioDecision.Accept(DndFailure),
            SimulatorScenarios.Unavailable => ScenarioDecision.Reject(SendBehaviour.Unavailable),
            SimulatorScenarios.Timeout => ScenarioDecision.Reject(SendBehaviour.Timeout),
            SimulatorScenarios.InvalidNumber => ScenarioDecision.Reject(SendBehaviour.InvalidNumber),
            SimulatorScenarios.Expired => ScenarioDecision.Accept(Expired),
            SimulatorScenarios.TemplateBlocked => ScenarioDecision.Accept(TemplateBlocked),
            SimulatorScenarios.NoDlr => ScenarioDecision.Accept(DlrOutcome.None),
            SimulatorScenarios.AlwaysDelivered => ScenarioDecision.Accept(DlrOutcome.Delivered),
            SimulatorScenarios.RateLimited => ScenarioDecision.Reject(SendBehaviour.RateLimited),
            _ => ScenarioDecision.Accept(RandomOutcome()),
        };
    }

    /// <summary>A DLR delay drawn uniformly from [50%, 150%] of <see cref="SimulatorOptions.DlrDelay"/>.</summary>
    public TimeSpan NextDlrDelay() => options.DlrDelay * (0.5 + random.NextDouble());

    private DlrOutcome RandomOutcome()
    {
        // DeliveryRate 1 must never fail and 0 must never deliver: NextDouble is in [0, 1).
        if (random.NextDouble() < options.DeliveryRate)
        {
            return DlrOutcome.Delivered;
        }

        return OperatorFailures[random.Next(OperatorFailures.Length)];
    }
}
