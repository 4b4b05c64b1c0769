using Herald.Dashboard.Shared;
using System.Globalization;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Dashboard;

/// <summary>Counts and delivery rate of one provider over one window: <see cref="ProviderWindow"/>, the figures the API gives too, with a label.</summary>
/// <param name="DeliveryRate">Delivered among the messages that reached a final state; null when none did.</param>
internal sealed record WindowStats(string Label, long Total, long Delivered, long Failed, long Pending, double? DeliveryRate, TimeSpan? LatencyP50,
    TimeSpan? LatencyP95, int LatencySamples)
{
    /// <summary>The window's figures under a label.</summary>
    public static WindowStats From(string label, ProviderWindow window) =>
        new(label, window.Total, window.Delivered, window.Failed, window.Pending, window.DeliveryRate, window.LatencyP50, window.LatencyP95,
            window.LatencySamples);
}

/// <summary>Everything the health page shows.</summary>
internal sealed record ProviderHealth(WindowStats LastHour, WindowStats LastDay, IReadOnlyList<MessageFailure> LastErrors, string ChartSvg,
    IReadOnlyList<(DateTimeOffset Hour, long Delivered, long Failed, long Pending)> Hours);

/// <summary>Provider health for the dashboard: counts, delivery rate, DLR latency and the hourly chart, from <see cref="IMessageStats"/> like the API's stats.</summary>
internal sealed class ProviderHealthService(IMessageStats stats, TimeProvider time)
{
    public async Task<ProviderHealth> GetAsync(string providerId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lastHour = WindowStats.From("Last hour", await stats.WindowAsync(providerId, now.AddHours(-1), cancellationToken));
        var lastDay = WindowStats.From("Last 24 hours", await stats.WindowAsync(providerId, now.AddHours(-24), cancellationToken));
        var errors = await stats.RecentFailuresAsync(providerId, IMessageStats.RecentFailureLimit, cancellationToken);
        var firstHour = TruncateToHour(now).AddHours(-23);
        var hourly = await stats.HourlyAsync(providerId, firstHour, cancellationToken);
        var hours = Enumerable.Range(0, 24).Select(i =>
        {
            var hour = firstHour.AddHours(i);
            var inHour = ProviderWindow.From(hourly.Where(h => h.Hour == hour).Select(h => (h.State, h.Count)), []);
            return (hour, inHour.Delivered, inHour.Failed, inHour.Pending);
        }).ToList();
        return new ProviderHealth(lastHour, lastDay, errors, Chart(hours), hours);
    }

    /// <summary>The 24 h delivery rate of every provider, by provider id.</summary>
    public async Task<IReadOnlyDictionary<string, WindowStats>> LastDayByProviderAsync(CancellationToken cancellationToken)
    {
        var windows = await stats.WindowsByProviderAsync(time.GetUtcNow().AddHours(-24), cancellationToken);
        return windows.ToDictionary(w => w.Key, w => WindowStats.From("Last 24 hours", w.Value));
    }

    private static DateTimeOffset TruncateToHour(DateTimeOffset t) => new(t.UtcDateTime.Year, t.UtcDateTime.Month, t.UtcDateTime.Day, t.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);

    /// <summary>A stacked bar per hour (delivered, failed, pending) over the last 24 hours.</summary>
    internal static string Chart(IReadOnlyList<(DateTimeOffset Hour, long Delivered, long Failed, long Pending)> hours) =>
        StackedBars.Render(hours, h => h.ToString("HH", CultureInfo.InvariantCulture) + ":00",
            $"Messages per hour over the last 24 hours: {hours.Sum(h => h.Delivered + h.Failed + h.Pending)} in all", "UTC", labelEvery: 6);
}
