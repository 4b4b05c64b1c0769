using System.Data.Common;
using Herald.Storage.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Storage.Retention;

/// <summary>
/// The one background loop that applies every retention setting (<see cref="IRetentionStep"/>): each step when it is due,
/// in batches of a bounded size, each its own short transaction, with <see cref="RetentionOptions.BatchPause"/> between two
/// so sending and callbacks take their turns at the writer.
/// </summary>
/// <remarks>A cluster-wide job: with several nodes it runs on the leader only (<see cref="IClusterLeadership"/>), when one is registered.</remarks>
internal sealed partial class RetentionLoop(IEnumerable<IRetentionStep> steps, IOptions<RetentionOptions> options, TimeProvider time,
    ILogger<RetentionLoop> logger, IClusterLeadership? leadership = null) : BackgroundService
{
    private readonly IRetentionStep[] _steps = [.. steps];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var due = _steps.Where(s => s.Interval is not null).ToDictionary(s => s, _ => time.GetUtcNow());
        if (due.Count == 0)
        {
            return;
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var step in due.Keys.ToList())
                {
                    if (due[step] > time.GetUtcNow())
                    {
                        continue;
                    }
                    try
                    {
                        if (leadership is null)
                        {
                            await RunAsync(step, stoppingToken);
                        }
                        else
                        {
                            await leadership.RunIfLeaderAsync(ct => RunAsync(step, ct), stoppingToken);
                        }
                    }
                    catch (DbException ex)
                    {
                        LogFailed(step.Name, ex);
                    }
                    due[step] = time.GetUtcNow() + step.Interval!.Value;
                }
                var wait = due.Values.Min() - time.GetUtcNow();
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Runs one step until it has nothing left past retention; answers how many rows it handled.</summary>
    internal async Task<long> RunAsync(IRetentionStep step, CancellationToken cancellationToken)
    {
        var pause = options.Value.BatchPause;
        var now = time.GetUtcNow();
        long handled = 0;
        int batch;
        while (true)
        {
            batch = await step.RunBatchAsync(now, cancellationToken);
            handled += batch;
            if (batch < step.BatchSize)
            {
                break;
            }
            // Let other writers take their turn between batches.
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, time, cancellationToken);
            }
            else
            {
                await Task.Yield();
            }
        }
        if (handled > 0)
        {
            LogDone(handled, step.Name, now);
        }
        return handled;
    }

    /// <summary>Runs every step whose retention is on, once (tests, and <c>herald</c> commands that want it now).</summary>
    internal async Task<long> RunAllAsync(CancellationToken cancellationToken)
    {
        long handled = 0;
        foreach (var step in _steps.Where(s => s.Interval is not null))
        {
            handled += await RunAsync(step, cancellationToken);
        }
        return handled;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: handled {Count} rows of {Step} past retention at {Now}")]
    private partial void LogDone(long count, string step, DateTimeOffset now);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention of {Step} failed; it is tried again at the next interval")]
    private partial void LogFailed(string step, Exception exception);
}
