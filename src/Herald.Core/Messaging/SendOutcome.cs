namespace Herald.Core.Messaging;

/// <summary>
/// What a provider said to one send: a closed set. No send ever ignores the provider's answer.
/// </summary>
public abstract record SendOutcome
{
    private SendOutcome() { }

    /// <summary>The wire name: accepted, transient-failure or permanent-failure.</summary>
    public abstract string Kind { get; }

    /// <summary>The provider took the message.</summary>
    /// <param name="ProviderMessageId">The provider's id for it, when the answer carried one.</param>
    public sealed record Accepted(string? ProviderMessageId) : SendOutcome
    {
        /// <inheritdoc />
        public override string Kind => "accepted";
    }

    /// <summary>A failure that may pass: try again later.</summary>
    /// <param name="Reason">What went wrong, for people.</param>
    /// <param name="RetryAfter">How long the provider asked us to wait, if it said.</param>
    public sealed record Transient(string Reason, TimeSpan? RetryAfter = null) : SendOutcome
    {
        /// <inheritdoc />
        public override string Kind => "transient-failure";
    }

    /// <summary>A failure that will not pass by retrying.</summary>
    /// <param name="Reason">What went wrong, for people.</param>
    /// <param name="Code">The provider's or HTTP code, when there is one.</param>
    public sealed record Permanent(string Reason, string? Code = null) : SendOutcome
    {
        /// <inheritdoc />
        public override string Kind => "permanent-failure";
    }
}
