using Herald.Storage;
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
/// <param name="LastErrors">The latest failures on the provider's timelines (last 24 h).</param>
public sealed record ProviderStatsView(ProviderName Provider, IReadOnlyDictionary<string, ProviderWindowStats> Windows, IReadOnlyList<ErrorEntry> LastErrors);

/// <summary>GET /api/v1/messages/counts: messages by status.</summary>
public sealed record MessageCountsView(long Total, IReadOnlyDictionary<string, long> ByStatus);

/// <summary>GET /api/v1/providers/{id}/stats: delivery rate, report latency and the last errors over 1 h and 24 h.</summary>
internal static class ProviderStatsEndpoints
{
    private static readonly string[] FailedStates = ["failed", "undelivered", "rejected", "expired"];
    private static readonly string[] PendingStates = ["queued", "dispatching", "accepted", "sent"];

    public static RouteGroupBuilder MapProviderStats(this RouteGroupBuilder api)
    {
        api.MapGet("/providers/{id}/stats", async Task<Results<Ok<ProviderStatsView>, NotFoundProblem>> (string id, IProviderStore providers, IMessageCounts counts, TimeProvider time, CancellationToken ct) =>
        {
            var provider = await providers.FindAsync(id, ct);
            if (provider is null)
            {
                return Problems.NotFound($"No provider has the id or nickname '{id}'.");
            }
            var now = time.GetUtcNow();
            var hour = await counts.ProviderFiguresAsync(provider.Id, now - TimeSpan.FromHours(1), ct);
            var day = await counts.ProviderFiguresAsync(provider.Id, now - TimeSpan.FromHours(24), ct);
            return TypedResults.Ok(new ProviderStatsView(new ProviderName(provider.Id, provider.Nickname),
                new Dictionary<string, ProviderWindowStats> { ["1h"] = Window(hour), ["24h"] = Window(day) }, day.LastErrors));
        }).WithTags("Providers").WithSummary("A provider's delivery rate, report latency and last errors over 1 h and 24 h");
        api.MapGet("/messages/counts", async Task<Ok<MessageCountsView>> (string? provider, string? campaign, IProviderStore providers, IMessageCounts counts, CancellationToken ct) =>
        {
            var providerId = provider is null ? null : (await providers.FindAsync(provider, ct))?.Id ?? provider;
            var byStatus = await counts.CountByStatusAsync(providerId, campaign, ct);
            return TypedResults.Ok(new MessageCountsView(byStatus.Values.Sum(), byStatus));
        }).WithTags("Messages").WithSummary("Count messages by status");
        return api;
    }

    internal static ProviderWindowStats Window(ProviderFigures figures)
    {
        long Sum(IEnumerable<string> states) => states.Sum(s => figures.ByStatus.GetValueOrDefault(s));
        var delivered = figures.ByStatus.GetValueOrDefault("delivered");
        var failed = Sum(FailedStates);
        var sorted = figures.DlrLatenciesMs.Order().ToList();
        long? Percentile(double p) => sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        return new ProviderWindowStats(
            figures.ByStatus.Values.Sum(), figures.ByStatus, delivered, failed, Sum(PendingStates),
            delivered + failed == 0 ? null : Math.Round((double)delivered / (delivered + failed), 4),
            new LatencyStats(sorted.Count, Percentile(0.50), Percentile(0.95)));
    }
}
