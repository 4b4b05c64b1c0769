using System.Diagnostics;

namespace Herald.Simulator.Tests.Infrastructure;

/// <summary>Polling with a deadline instead of fixed sleeps.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    public static async Task TrueAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null, CancellationToken ct = default)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > (timeout ?? DefaultTimeout))
            {
                Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s waiting for {what ?? "the condition"}.");
            }

            await Task.Delay(PollInterval, TimeProvider.System, ct);
        }
    }
}
