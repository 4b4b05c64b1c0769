using Herald.Core.Messaging;
using Herald.Storage;

namespace Herald.Api.PublicLimits;

/// <summary>
/// After a restart, the reports still to come for messages sent before it are expected again: every message a provider
/// accepted in the last <see cref="LookBack"/> and still waiting for its final report (accepted or sent) counts, so the
/// callbacks held back while Herald was down do not meet its flood guard as a burst from nobody in particular.
/// </summary>
internal sealed partial class ExpectedReportsAtStart(IMessageStats stats, PublicEndpointLimiter limiter, TimeProvider time,
    ILogger<ExpectedReportsAtStart> logger) : BackgroundService
{
    /// <summary>How far back a message may still have reports to come (providers report within their validity, usually hours).</summary>
    internal static readonly TimeSpan LookBack = TimeSpan.FromDays(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var counts = await stats.CountByStateAsync(null, time.GetUtcNow() - LookBack, stoppingToken);
            foreach (var count in counts)
            {
                if (count is { ProviderId: { } providerId, State: DeliveryState.Accepted or DeliveryState.Sent, Count: > 0 })
                {
                    limiter.Accepted(providerId, (int)Math.Min(count.Count, int.MaxValue));
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Only the guard's head start is lost: reports are still taken within its limits.
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting the messages still waiting for reports failed; the callback limits apply to them as to any callback")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
