using Microsoft.Extensions.Hosting;

namespace Herald.Engagement.Shared;

/// <summary>
/// A background loop of passes until the host stops: a pass that found work is followed at once by the next, an idle one by
/// <see cref="IdleAsync"/>; a pass that fails is logged and the loop goes on (the work it claimed comes back when its lease ends).
/// The campaign runner and the journey runner are both this loop around their own pass.
/// </summary>
internal abstract class PollingLoop : BackgroundService
{
    /// <summary>Whether this node runs the loop at all.</summary>
    protected abstract bool Enabled { get; }

    /// <summary>One pass; whether it found work (then the next pass starts at once).</summary>
    protected abstract Task<bool> PassAsync(CancellationToken cancellationToken);

    /// <summary>The wait after an idle pass (a poll interval, or until something signals work).</summary>
    protected abstract Task IdleAsync(CancellationToken cancellationToken);

    /// <summary>Logs a pass that failed.</summary>
    protected abstract void PassFailed(Exception exception);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                worked = await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                PassFailed(e);
            }
            if (!worked)
            {
                await IdleAsync(stoppingToken);
            }
        }
    }
}
