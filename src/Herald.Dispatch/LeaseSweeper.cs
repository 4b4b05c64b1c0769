using Herald.Storage;
using Herald.Storage.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Dispatch;

/// <summary>
/// The lease-expiry sweep for a node whose dispatcher is off (<see cref="DispatchOptions.Enabled"/> false): the dispatcher
/// sweeps as part of its loop, but such a node may still win the leadership, and the cluster's expired leases must not
/// wait for another node to lead. Like the dispatcher's sweep it runs on the leader only, every
/// <see cref="DispatchOptions.LeaseSweepInterval"/>; the sweep is one atomic update, so the short overlap when
/// leadership moves is harmless.
/// </summary>
internal sealed partial class LeaseSweeper(
    IDispatchQueue queue,
    IClusterLeadership leadership,
    IDispatchSignal signal,
    IOptions<DispatchOptions> options,
    TimeProvider time,
    ILogger<LeaseSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Enabled)
        {
            return; // the dispatcher sweeps
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await leadership.RunIfLeaderAsync(SweepAsync, stoppingToken);
                await Task.Delay(options.Value.LeaseSweepInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex);
                await Task.Delay(options.Value.LeaseSweepInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var recovered = await queue.RecoverExpiredLeasesAsync(options.Value.InDoubtHold, cancellationToken);
        if (recovered > 0)
        {
            LogRecovered(logger, recovered, leadership.NodeId);
            signal.Notify();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Returned {Count} messages whose lease expired to the queue (sweep by leader {NodeId}); held in doubt for delivery reports, then resent with the same id")]
    private static partial void LogRecovered(ILogger logger, int count, string nodeId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lease-expiry sweep failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
