using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>
/// The one source of message counts and provider figures: the API (<c>/api/v1/messages/counts</c>,
/// <c>/api/v1/providers/{id}/stats</c>), the dashboard (provider health, the providers page) and benchmarks all read
/// them here, so they cannot disagree.
/// </summary>
public interface IMessageStats
{
    /// <summary>How many of a provider's messages <see cref="WindowAsync"/> samples for the delivery latency (the newest that reached a final state).</summary>
    const int LatencySampleLimit = 20_000;

    /// <summary>How many failures a provider's figures show (<see cref="RecentFailuresAsync"/>).</summary>
    const int RecentFailureLimit = 10;

    /// <summary>Messages by current state (wire name), of all time; optionally only one provider's or one campaign's.</summary>
    Task<IReadOnlyDictionary<string, long>> CountByStatusAsync(string? providerId, string? campaignId, CancellationToken cancellationToken);

    /// <summary>
    /// A provider's figures for the messages created at or after <paramref name="since"/>: counts by state, the delivery rate and
    /// the accepted-to-final latency over the newest <see cref="LatencySampleLimit"/> of them that reached a final state.
    /// </summary>
    Task<ProviderWindow> WindowAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Every provider's counts for the messages created at or after <paramref name="since"/>, by provider id (no latency: <see cref="ProviderWindow.LatencySamples"/> is 0).</summary>
    Task<IReadOnlyDictionary<string, ProviderWindow>> WindowsByProviderAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Messages created at or after <paramref name="since"/>, counted by provider and current state; one provider or all.</summary>
    Task<IReadOnlyList<ProviderStateCount>> CountByStateAsync(string? providerId, DateTimeOffset since, CancellationToken cancellationToken);
    /// <summary>A provider's messages created at or after <paramref name="since"/>, counted by the hour they were created in and their current state; oldest hour first.</summary>
    Task<IReadOnlyList<HourlyStateCount>> HourlyAsync(string providerId, DateTimeOffset since, CancellationToken cancellationToken);
    /// <summary>
    /// For a provider's messages created at or after <paramref name="since"/> that were accepted and then reached a final
    /// state: when each was first accepted and when its final state was applied; the newest <paramref name="limit"/> messages.
    /// </summary>
    Task<IReadOnlyList<DeliveryLatency>> DeliveryLatenciesAsync(string providerId, DateTimeOffset since, int limit, CancellationToken cancellationToken);
    /// <summary>The latest failures on a provider's message timelines (failed sends, failure reports), newest first.</summary>
    Task<IReadOnlyList<MessageFailure>> RecentFailuresAsync(string providerId, int limit, CancellationToken cancellationToken);
}
