using Herald.Storage;
using Herald.Storage.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Dispatch;

/// <summary>
/// Returns messages whose lease expired (a node crashed between claim and answer) to the queue, every
/// <see cref="DispatchOptions.LeaseSweepInterval"/>, on the cluster leader only: one sweep for the whole cluster,
/// wherever the crashed claim came from. It runs on every node (also one whose dispatcher is off) so that a leader
/// always sweeps; the others only wait for their turn. The sweep is one atomic update, so the short overlap when
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
        var recovered = await queue.RecoverExpiredLeasesAsync(cancellationToken);
        if (recovered > 0)
        {
            LogRecovered(logger, recovered, leadership.NodeId);
            signal.Notify();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Returned {Count} messages whose lease expired to the queue (sweep by leader {NodeId}); they will be resent with the same id")]
    private static partial void LogRecovered(ILogger logger, int count, string nodeId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lease-expiry sweep failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
