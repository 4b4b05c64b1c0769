using Microsoft.Extensions.Hosting;

namespace Herald.Simulator.Hosting;

/// <summary>
/// Replaces the console lifetime so an embedded simulator neither grabs Ctrl+C/SIGTERM nor prints
/// "Press Ctrl+C"; its owner stops it through <see cref="SimulatorHost.StopAsync"/>.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
