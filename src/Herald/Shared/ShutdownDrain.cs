using Herald.Hosting;
using Microsoft.Extensions.Options;

namespace Herald.Shared;

/// <summary>
/// Whether the host is stopping. From <see cref="IHostApplicationLifetime.ApplicationStopping"/> on, <c>/readyz</c>
/// answers 503 "draining", the dispatcher claims nothing new, sends already on the wire finish, and claimed
/// messages not yet sent go back to the queue. <see cref="SendAbort"/> cuts the sends still running shortly before
/// <see cref="HeraldOptions.ShutdownTimeout"/> ends, so their messages are released rather than left leased.
/// </summary>
internal interface IDrainState
{
    /// <summary>True once the host began stopping.</summary>
    bool Draining { get; }

    /// <summary>Cancelled when sends still in flight must give up (the shutdown timeout is nearly over).</summary>
    CancellationToken SendAbort { get; }
}

/// <summary>Watches the host's lifetime; a hosted service so it subscribes before anything can stop.</summary>
internal sealed class ShutdownDrain(IHostApplicationLifetime lifetime, IOptions<HeraldOptions> options, TimeProvider time)
    : IDrainState, IHostedService, IDisposable
{
    private readonly CancellationTokenSource _abort = new();
    private CancellationTokenRegistration _registration;
    private ITimer? _timer;
    // Read from the token itself: it says "requested" before any ApplicationStopping callback runs, so a send the
    // dispatcher cancels from its own callback is already seen as draining (and allowed to finish).
    public bool Draining => lifetime.ApplicationStopping.IsCancellationRequested;

    public CancellationToken SendAbort => _abort.Token;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(BeginDrain);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>How long sends may keep running once stopping began: the shutdown timeout less a margin to record their answers.</summary>
    internal static TimeSpan SendGrace(TimeSpan shutdownTimeout) =>
        shutdownTimeout - TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, shutdownTimeout.Ticks / 5));

    private void BeginDrain()
    {
        _timer = time.CreateTimer(_ => Abort(), null, SendGrace(options.Value.ShutdownTimeout), Timeout.InfiniteTimeSpan);
    }

    private void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // stopped already
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        _timer?.Dispose();
        _abort.Dispose();
    }
}
