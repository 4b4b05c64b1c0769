using Herald.Storage.Records;

namespace Herald.Dispatch.Intake;

/// <summary>
/// The one send-path policy (issue 12 §6): every message that is not a test SMS passes it at submission (the intake) and
/// again when the dispatcher claims a message that waited (a deferral, a backoff), so a STOP that arrives in between is
/// honoured. Dispatch holds only this contract and an allow-all default; <c>Herald.Engagement</c> registers the real one.
/// </summary>
public interface ISendPolicy
{
    /// <summary>
    /// Decides each message, in order: earlier messages of the list count against later ones (frequency caps), so a batch is
    /// decided as if its messages had been submitted one after another. Answers one decision per message, in the same order.
    /// </summary>
    Task<IReadOnlyList<PolicyDecision>> CheckAsync(IReadOnlyList<PolicyCheck> messages, PolicyStage stage, CancellationToken cancellationToken);
}

/// <summary>Where the policy runs.</summary>
public enum PolicyStage
{
    /// <summary>At submission, before the message is stored.</summary>
    Intake,

    /// <summary>When the dispatcher claims a stored message, just before a provider sees it.</summary>
    Dispatch,
}

/// <summary>One message to decide.</summary>
/// <param name="Message">The message (at intake: the row about to be stored).</param>
/// <param name="Overrides">A campaign's own quiet hours and caps; null for the server's defaults.</param>
public sealed record PolicyCheck(MessageRecord Message, PolicyOverrides? Overrides = null);

/// <summary>What a campaign (later a journey) sets for its own messages instead of the server's defaults.</summary>
public sealed record PolicyOverrides
{
    /// <summary>Rolling caps on promotional messages (every cap must hold); null = the server's caps, empty = none.</summary>
    public IReadOnlyList<(int Count, TimeSpan Window)>? FrequencyCaps { get; init; }

    /// <summary>Quiet hours in the recipient's time zone (from <c>Start</c> to <c>End</c>, may wrap midnight); null = the server's setting.</summary>
    public (TimeOnly Start, TimeOnly End)? QuietHours { get; init; }

    /// <summary>Whether a message in quiet hours is dropped (skipped with <c>quiet-hours</c>) instead of deferred to their end; null = the server's setting.</summary>
    public bool? DropInQuietHours { get; init; }
}

/// <summary>The policy's answer for one message.</summary>
public abstract record PolicyDecision
{
    private PolicyDecision()
    {
    }

    /// <summary>Send it.</summary>
    /// <param name="Fields">Values to add to the message's dynamic fields (the DLT entity id and header for <c>$$EntityId</c> and <c>$$Header</c>); null for none.</param>
    /// <param name="Sender">The sender to use when the message names none (the DLT template's registered header).</param>
    public sealed record Allow(IReadOnlyDictionary<string, string>? Fields = null, string? Sender = null) : PolicyDecision;

    /// <summary>Do not send it: the message ends <c>rejected</c> with <paramref name="Reason"/> on its timeline.</summary>
    /// <param name="Reason">The reason code: suppressed, no-consent, dlt-mismatch, quiet-hours, frequency-cap.</param>
    /// <param name="Note">What exactly stood in the way, for a person.</param>
    public sealed record Skip(string Reason, string Note) : PolicyDecision;

    /// <summary>Not now: the message waits in the queue until <paramref name="Until"/> and is checked again then.</summary>
    /// <param name="Until">The next allowed minute.</param>
    /// <param name="Reason">The reason code: legal-window, quiet-hours.</param>
    /// <param name="Note">Why, for a person.</param>
    public sealed record Defer(DateTimeOffset Until, string Reason, string Note) : PolicyDecision;

    /// <summary>The shared allow-everything answer.</summary>
    public static PolicyDecision Allowed { get; } = new Allow();
}

/// <summary>The policy when no engagement engine is registered: everything goes.</summary>
internal sealed class AllowAllPolicy : ISendPolicy
{
    public Task<IReadOnlyList<PolicyDecision>> CheckAsync(IReadOnlyList<PolicyCheck> messages, PolicyStage stage, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PolicyDecision>>(messages.Select(_ => PolicyDecision.Allowed).ToList());
}
