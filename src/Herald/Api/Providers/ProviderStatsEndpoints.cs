using Herald.Security;
using Herald.Core.Messaging;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Providers;

/// <summary>A provider's figures over one window.</summary>
public sealed record ProviderWindowStats(
    long Total,
    IReadOnlyDictionary<string, long> ByStatus,
    long Delivered,
    long Failed,
    long Pending,
    double? DeliveryRate,
    LatencyStats DlrLatencyMs);

/// <summary>Accepted-to-final delays, in milliseconds.</summary>
public sealed record LatencyStats(long Count, long? P50, long? P95);

/// <summary>A provider as named in other answers.</summary>
public sealed record ProviderName(string Id, string Nickname);

/// <summary>GET /api/v1/providers/{id}/stats: the figures over the last hour and day, and the latest errors.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="Windows">The figures by window: 1h and 24h.</param>
/// <param name="LastErrors">The latest failures on the provider's timelines.</param>
public sealed record ProviderStatsView(ProviderName Provider, IReadOnlyDictionary<string, ProviderWindowStats> Windows, IReadOnlyList<MessageFailure> LastErrors);

/// <summary>GET /api/v1/messages/counts: messages by status.</summary>
public sealed record MessageCountsView(long Total, IReadOnlyDictionary<string, long> ByStatus);

/// <summary>GET /api/v1/providers/{id}/stats: delivery rate, report latency and the last errors over 1 h and 24 h.</summary>
internal static class ProviderStatsEndpoints
{
    public static RouteGroupBuilder MapProviderStats(this RouteGroupBuilder api)
    {
        api.MapGet("/providers/{id}/stats", async Task<Results<Ok<ProviderStatsView>, NotFoundProblem>> (string id, IProviderStore providers, IMessageStats stats, TimeProvider time, CancellationToken ct) =>
        {
            var provider = await providers.FindAsync(id, ct);
            if (provider is null)
            {
                return Problems.NotFound($"No provider has the id or nickname '{id}'.");
            }
            var now = time.GetUtcNow();
            var hour = await stats.WindowAsync(provider.Id, now - TimeSpan.FromHours(1), ct);
            var day = await stats.WindowAsync(provider.Id, now - TimeSpan.FromHours(24), ct);
            var lastErrors = await stats.RecentFailuresAsync(provider.Id, IMessageStats.RecentFailureLimit, ct);
            return TypedResults.Ok(new ProviderStatsView(new ProviderName(provider.Id, provider.Nickname),
                new Dictionary<string, ProviderWindowStats> { ["1h"] = Window(hour), ["24h"] = Window(day) }, lastErrors));
        }).RequireScope(ApiAccess.Read).WithTags("Providers").WithSummary("A provider's delivery rate, report latency and last errors over 1 h and 24 h");
        api.MapGet("/messages/counts", async Task<Ok<MessageCountsView>> (string? provider, string? campaign, IProviderStore providers, IMessageStats stats, CancellationToken ct) =>
        {
            var providerId = provider is null ? null : (await providers.FindAsync(provider, ct))?.Id ?? provider;
            var byStatus = await stats.CountByStatusAsync(providerId, campaign, ct);
            return TypedResults.Ok(new MessageCountsView(byStatus.Values.Sum(), byStatus));
        }).RequireScope(ApiAccess.Read).WithTags("Messages").WithSummary("Count messages by status");
        return api;
    }

    /// <summary>The API's view of a window: the same figures the dashboard shows, with the latency in milliseconds.</summary>
    internal static ProviderWindowStats Window(ProviderWindow window) => new(
        window.Total, window.ByState.ToDictionary(s => s.Key.ToWire(), s => s.Value), window.Delivered, window.Failed, window.Pending,
        window.DeliveryRate is { } rate ? Math.Round(rate, 4) : null,
        new LatencyStats(window.LatencySamples, Milliseconds(window.LatencyP50), Milliseconds(window.LatencyP95)));

    private static long? Milliseconds(TimeSpan? latency) => latency is { } l ? (long)l.TotalMilliseconds : null;
}
