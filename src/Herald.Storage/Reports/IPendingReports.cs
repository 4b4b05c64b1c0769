namespace Herald.Storage;

/// <summary>A delivery report that names a provider message id Herald has not recorded yet (it overtook the send's answer).</summary>
public sealed record PendingReport
{
    /// <summary>Sequence id.</summary>
    public long Id { get; init; }
    /// <summary>The provider whose callback URL received it.</summary>
    public required string ProviderId { get; init; }
    /// <summary>The provider's message id it names.</summary>
    public required string ProviderMessageId { get; init; }
    /// <summary>The parsed report as JSON (event, state, code, description, raw).</summary>
    public required string Report { get; init; }
    /// <summary>When it arrived.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>Reports waiting for their message's provider id to be recorded (they are parked by <see cref="IDlrBatch.ParkAsync"/>).</summary>
public interface IPendingReports
{
    /// <summary>Parked reports whose provider message id is now known (marked with their message), with the message each belongs to.</summary>
    Task<IReadOnlyList<(PendingReport Report, string MessageId)>> MatchedAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Marks reports parked since <paramref name="since"/> whose message got its provider id while they were being parked (two
    /// transactions at once on PostgreSQL): the send marks reports already parked, the park marks reports whose message is
    /// known, and this catches the rest. Returns how many it marked.
    /// </summary>
    Task<int> MarkLateMatchesAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Removes reports (applied, or given up on).</summary>
    Task RemoveAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken);

    /// <summary>Reports parked before <paramref name="before"/> that still match nothing.</summary>
    Task<IReadOnlyList<PendingReport>> StaleAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
}
