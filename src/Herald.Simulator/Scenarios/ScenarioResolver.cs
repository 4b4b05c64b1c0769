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
    private static readonly DlrOutcome Undelivered = DlrOutcome.Failed("914", "Undelivered after retries");
    private static readonly DlrOutcome SystemError = DlrOutcome.Failed("904", "System error");

    private static readonly KaleyraOutcome[] KaleyraOperatorFailures =
    [
        KaleyraOutcome.Undelivered("MOB-OFF"),
        KaleyraOutcome.Undelivered("INVALID-SUB"),
        KaleyraOutcome.Failed("BLACKLIST"),
        KaleyraOutcome.Failed("OPT-OUT"),
    ];

    private static readonly KaleyraOutcome KaleyraDnd = KaleyraOutcome.Failed("CON-DND");
    private static readonly KaleyraOutcome KaleyraExpired = KaleyraOutcome.Failed("EXPIRED");
    private static readonly KaleyraOutcome KaleyraTemplateNotFound = KaleyraOutcome.Failed("TEMPLATE-NOT-FOUND");
    private static readonly KaleyraOutcome KaleyraUndelivered = KaleyraOutcome.Undelivered("MOB-OFF");
    private static readonly KaleyraOutcome KaleyraInjectedFailure = KaleyraOutcome.Failed("NO-CREDITS");

    /// <summary>Connector face.</summary>
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
            SimulatorScenarios.Undelivered => ScenarioDecision.Accept(Undelivered),
            SimulatorScenarios.AlwaysDelivered => ScenarioDecision.Accept(DlrOutcome.Delivered),
            SimulatorScenarios.RateLimited => ScenarioDecision.Reject(SendBehaviour.RateLimited),
            _ => ScenarioDecision.Accept(RandomOutcome()),
        };
    }

    /// <summary>Kaleyra face: the same special numbers with Kaleyra statuses and trace codes.</summary>
    /// <param name="digits">The recipient, digits only (at least 4 of them).</param>
    public KaleyraDecision ResolveKaleyra(ReadOnlySpan<char> digits)
    {
        var suffix = digits.Length >= 4 ? digits[^4..] : digits;
        return suffix switch
        {
            SimulatorScenarios.DndFailure => Accept(KaleyraDnd),
            SimulatorScenarios.Unavailable => Reject(SendBehaviour.Unavailable),
            SimulatorScenarios.Timeout => Reject(SendBehaviour.Timeout),
            SimulatorScenarios.InvalidNumber => Reject(SendBehaviour.InvalidNumber),
            SimulatorScenarios.Expired => Accept(KaleyraExpired),
            SimulatorScenarios.TemplateBlocked => Accept(KaleyraTemplateNotFound),
            SimulatorScenarios.NoDlr => Accept(KaleyraOutcome.None),
            SimulatorScenarios.Undelivered => Accept(KaleyraUndelivered),
            SimulatorScenarios.AlwaysDelivered => Accept(KaleyraOutcome.Delivered),
            SimulatorScenarios.RateLimited => Reject(SendBehaviour.RateLimited),
            _ => Accept(RandomKaleyraOutcome()),
        };

        static KaleyraDecision Accept(KaleyraOutcome outcome) => new(SendBehaviour.Accept, outcome);

        static KaleyraDecision Reject(SendBehaviour behaviour) => new(behaviour, KaleyraOutcome.None);
    }

    private static readonly TwilioOutcome[] TwilioOperatorFailures =
    [
        TwilioOutcome.Undelivered("30003"),
        TwilioOutcome.Undelivered("30005"),
        TwilioOutcome.Failed("30006"),
        TwilioOutcome.Undelivered("30008"),
    ];

    /// <summary>
    /// Twilio face: the same special numbers with Twilio's answers and error codes. Twilio refuses a recipient who replied
    /// STOP when the message is sent, so DND/opt-out (0001) is a 400 with error 21610 there rather than a failed callback.
    /// </summary>
    /// <param name="digits">The recipient, digits only (at least 4 of them).</param>
    public TwilioDecision ResolveTwilio(ReadOnlySpan<char> digits)
    {
        var suffix = digits.Length >= 4 ? digits[^4..] : digits;
        return suffix switch
        {
            SimulatorScenarios.DndFailure => new(SendBehaviour.InvalidNumber, TwilioOutcome.None, "21610"),
            SimulatorScenarios.Unavailable => new(SendBehaviour.Unavailable, TwilioOutcome.None),
            SimulatorScenarios.Timeout => new(SendBehaviour.Timeout, TwilioOutcome.None),
            SimulatorScenarios.InvalidNumber => new(SendBehaviour.InvalidNumber, TwilioOutcome.None, "21211"),
            SimulatorScenarios.Expired => Accept(TwilioOutcome.Failed("30001")),
            SimulatorScenarios.TemplateBlocked => Accept(TwilioOutcome.Undelivered("30007")),
            SimulatorScenarios.NoDlr => Accept(TwilioOutcome.None),
            SimulatorScenarios.Undelivered => Accept(TwilioOutcome.Undelivered("30003")),
            SimulatorScenarios.AlwaysDelivered => Accept(TwilioOutcome.Delivered),
            SimulatorScenarios.RateLimited => new(SendBehaviour.RateLimited, TwilioOutcome.None),
            _ => Accept(RandomTwilioOutcome()),
        };

        static TwilioDecision Accept(TwilioOutcome outcome) => new(SendBehaviour.Accept, outcome);
    }

    /// <summary>The request-level behaviour of a recipient alone (no random draw), for a quick pre-scan.</summary>
    public static SendBehaviour BehaviourOf(ReadOnlySpan<char> digits)
    {
        var suffix = digits.Length >= 4 ? digits[^4..] : digits;
        return suffix switch
        {
            SimulatorScenarios.Unavailable => SendBehaviour.Unavailable,
            SimulatorScenarios.Timeout => SendBehaviour.Timeout,
            SimulatorScenarios.InvalidNumber => SendBehaviour.InvalidNumber,
            SimulatorScenarios.RateLimited => SendBehaviour.RateLimited,
            _ => SendBehaviour.Accept,
        };
    }

    /// <summary>A DLR delay drawn uniformly from [50%, 150%] of <see cref="SimulatorOptions.DlrDelay"/>.</summary>
    public TimeSpan NextDlrDelay() => options.DlrDelay * (0.5 + random.NextDouble());

    /// <summary>True with probability <see cref="SimulatorOptions.HttpErrorRate"/>; draws nothing when it is 0.</summary>
    public bool NextInjectedError() => options.HttpErrorRate > 0 && random.NextDouble() < options.HttpErrorRate;

    private bool NextInjectedFailure() => options.FailRate > 0 && random.NextDouble() < options.FailRate;

    private DlrOutcome RandomOutcome()
    {
        // FailRate 0 draws nothing, so seeded runs see the same sequence as before it existed.
        if (NextInjectedFailure())
        {
            return SystemError;
        }

        // DeliveryRate 1 must never fail and 0 must never deliver: NextDouble is in [0, 1).
        if (random.NextDouble() < options.DeliveryRate)
        {
            return DlrOutcome.Delivered;
        }

        return OperatorFailures[random.Next(OperatorFailures.Length)];
    }

    private TwilioOutcome RandomTwilioOutcome()
    {
        if (NextInjectedFailure())
        {
            return TwilioOutcome.Failed("30002");
        }

        if (random.NextDouble() < options.DeliveryRate)
        {
            return TwilioOutcome.Delivered;
        }

        return TwilioOperatorFailures[random.Next(TwilioOperatorFailures.Length)];
    }

    private KaleyraOutcome RandomKaleyraOutcome()
    {
        if (NextInjectedFailure())
        {
            return KaleyraInjectedFailure;
        }

        if (random.NextDouble() < options.DeliveryRate)
        {
            return KaleyraOutcome.Delivered;
        }

        return KaleyraOperatorFailures[random.Next(KaleyraOperatorFailures.Length)];
    }
}
