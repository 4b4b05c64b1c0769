using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>A dead letter: a message that ended <c>failed</c> or <c>expired</c>, with why.</summary>
/// <param name="Message">The message (its attempts, provider and final state).</param>
/// <param name="Reason">The note of the timeline event that made it final, e.g. the provider's error.</param>
public sealed record DeadLetter(MessageRecord Message, string? Reason);

/// <summary>Filters for dead letters; newest first, paged by id.</summary>
public sealed record DeadLetterQuery
{
    /// <summary>Only this provider id.</summary>
    public string? ProviderId { get; init; }
    /// <summary>Only messages that became final at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only <c>failed</c> or only <c>expired</c>; null for both.</summary>
    public Core.Messaging.DeliveryState? Status { get; init; }
    /// <summary>Page size, 1 to 1000.</summary>
    public int Limit { get; init; } = 50;
    /// <summary>The id after which to continue (exclusive), from the previous page.</summary>
    public string? After { get; init; }
}

/// <summary>How a dead letter goes back to the queue: when, with what validity, and what the timeline says.</summary>
/// <param name="Now">Now: the new attempt is due at once.</param>
/// <param name="OtpValidUntil">The fresh validity of an OTP.</param>
/// <param name="ValidUntil">The fresh validity of any other message.</param>
/// <param name="Source">Who asked (api, dashboard), for the timeline.</param>
public sealed record Requeue(DateTimeOffset Now, DateTimeOffset OtpValidUntil, DateTimeOffset ValidUntil, string Source);

/// <summary>Messages that ended failed or expired, and putting them back in the queue.</summary>
public interface IDeadLetterStore
{
    /// <summary>Dead letters, newest first, filtered and paged.</summary>
    Task<Page<DeadLetter>> ListDeadLettersAsync(DeadLetterQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Puts those of <paramref name="messageIds"/> that are still failed or expired back in the queue under the same id, as a new
    /// attempt (attempts count from zero again, provider message id cleared, fresh validity), with a <c>requeued</c> timeline
    /// event, in one transaction; returns the ids it requeued. Messages in any other state are left alone.
    /// </summary>
    Task<IReadOnlyList<string>> RequeueAsync(IReadOnlyList<string> messageIds, Requeue requeue, CancellationToken cancellationToken);
}
