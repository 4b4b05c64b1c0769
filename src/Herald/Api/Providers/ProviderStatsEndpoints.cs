using Herald.Core.Messaging;
using Herald.Storage;

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

/// <summary>GET /api/v1/providers/{id}/stats: delivery rate, report latency and the last errors over 1 h and 24 h.</summary>
internal static class ProviderStatsEndpoints
{
    public static RouteGroupBuilder MapProviderStats(this RouteGroupBuilder api)
    {
        api.MapGet("/providers/{id}/stats", async (string id, IProviderStore providers, IMessageStats stats, TimeProvider time, CancellationToken ct) =>
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
            return Results.Ok(new
            {
                provider = new { provider.Id, provider.Nickname },
                windows = new Dictionary<string, ProviderWindowStats> { ["1h"] = Window(hour), ["24h"] = Window(day) },
                lastErrors = lastErrors.Select(e => new { e.At, e.MessageId, e.Event, e.Note, e.Source }),
            });
        });
        api.MapGet("/messages/counts", async (string? provider, string? campaign, IProviderStore providers, IMessageStats stats, CancellationToken ct) =>
        {
            var providerId = provider is null ? null : (await providers.FindAsync(provider, ct))?.Id ?? provider;
            var byStatus = await stats.CountByStatusAsync(providerId, campaign, ct);
            return Results.Ok(new { total = byStatus.Values.Sum(), byStatus });
        });
        return api;
    }

    /// <summary>The API's view of a window: the same figures the dashboard shows, with the latency in milliseconds.</summary>
    internal static ProviderWindowStats Window(ProviderWindow window) => new(
        window.Total, window.ByState.ToDictionary(s => s.Key.ToWire(), s => s.Value), window.Delivered, window.Failed, window.Pending,
        window.DeliveryRate is { } rate ? Math.Round(rate, 4) : null,
        new LatencyStats(window.LatencySamples, Milliseconds(window.LatencyP50), Milliseconds(window.LatencyP95)));

    private static long? Milliseconds(TimeSpan? latency) => latency is { } l ? (long)l.TotalMilliseconds : null;
}
