namespace Herald.Storage;

/// <summary>One provider's figures over a window.</summary>
/// <param name="ByStatus">Messages created in the window, by current state.</param>
/// <param name="DlrLatenciesMs">Accepted-to-final delays of the messages that reached a final state through a report, in milliseconds.</param>
/// <param name="LastErrors">The latest failures on the timelines.</param>
public sealed record ProviderFigures(IReadOnlyDictionary<string, long> ByStatus, IReadOnlyList<long> DlrLatenciesMs, IReadOnlyList<ErrorEntry> LastErrors);

/// <summary>A failure on a message's timeline.</summary>
public sealed record ErrorEntry(DateTimeOffset At, string MessageId, string Event, string? Note);

/// <summary>Counts for dashboards, stats endpoints and benchmarks.</summary>
public interface IMessageCounts
{
    /// <summary>Messages by current state, optionally for one provider or campaign.</summary>
    Task<IReadOnlyDictionary<string, long>> CountByStatusAsync(string? providerId, string? campaignId, CancellationToken cancellationToken);

    /// <summary>A provider's figures for messages created since <paramref name="since"/>.</summary>
    Task<ProviderFigures> ProviderFiguresAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken);
}
