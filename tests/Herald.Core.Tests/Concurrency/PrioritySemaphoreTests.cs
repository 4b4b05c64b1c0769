using Herald.Core.Concurrency;

namespace Herald.Core.Tests.Concurrency;

public class PrioritySemaphoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WaitAsync_PermitFree_TakesItAtOnce()
    {
        var semaphore = new PrioritySemaphore(2, 2);

        await semaphore.WaitAsync(false, Ct);
        await semaphore.WaitAsync(true, Ct);

        Assert.Equal(0, semaphore.CurrentCount);
        Assert.False(semaphore.TryWait());
    }

    [Fact]
    public async Task Release_UrgentAndNormalWaiting_UrgentGetsTheNextPermit()
    {
        var semaphore = new PrioritySemaphore(1, 1);
        await semaphore.WaitAsync(false, Ct); // the turn in progress
        var order = new List<string>();
        _ = Track(semaphore.WaitAsync(false, Ct), "bulk1", order);
        _ = Track(semaphore.WaitAsync(false, Ct), "bulk2", order);
        _ = Track(semaphore.WaitAsync(true, Ct), "otp", order);

        for (var i = 0; i < 3; i++)
        {
            semaphore.Release();
            await WaitForCountAsync(order, i + 1);
        }

        Assert.Equal(["otp", "bulk1", "bulk2"], order);
    }

    [Fact]
    public async Task Release_SameLine_FirstComeFirstServed()
    {
        var semaphore = new PrioritySemaphore(1, 1);
        await semaphore.WaitAsync(true, Ct);
        var order = new List<string>();
        var waiters = Enumerable.Range(1, 4).Select(n => Track(semaphore.WaitAsync(true, Ct), $"otp{n}", order)).ToList();

        for (var i = 0; i < waiters.Count; i++)
        {
            semaphore.Release();
            await WaitForCountAsync(order, i + 1);
        }

        Assert.Equal(["otp1", "otp2", "otp3", "otp4"], order);
    }

    [Fact]
    public async Task Release_ManyUrgentWhileNormalWaits_NormalServedAfterMaxOvertakes()
    {
        var semaphore = new PrioritySemaphore(1, 1, maxOvertakes: 2);
        await semaphore.WaitAsync(false, Ct);
        var order = new List<string>();
        var waiters = new List<Task> { Track(semaphore.WaitAsync(false, Ct), "bulk", order) };
        waiters.AddRange(Enumerable.Range(1, 4).Select(n => Track(semaphore.WaitAsync(true, Ct), $"otp{n}", order)));

        for (var i = 0; i < waiters.Count; i++)
        {
            semaphore.Release();
            await WaitForCountAsync(order, i + 1);
        }

        Assert.Equal(["otp1", "otp2", "bulk", "otp3", "otp4"], order);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_LeavesTheLineAndThePermitGoesToTheNext()
    {
        var semaphore = new PrioritySemaphore(1, 1);
        await semaphore.WaitAsync(false, Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var gaveUp = semaphore.WaitAsync(true, cancel.Token);
        var next = semaphore.WaitAsync(false, Ct);

        await cancel.CancelAsync();
        semaphore.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        await next.WaitAsync(Ct);
        Assert.Equal(0, semaphore.CurrentCount);
    }

    [Fact]
    public async Task Release_NobodyWaiting_KeepsThePermitsUpToTheMaximum()
    {
        var semaphore = new PrioritySemaphore(0, 2);

        semaphore.Release(2);

        Assert.Equal(2, semaphore.CurrentCount);
        Assert.Throws<SemaphoreFullException>(() => semaphore.Release());
        await semaphore.WaitAsync(false, Ct);
        Assert.True(semaphore.TryWait());
        Assert.False(semaphore.TryWait());
    }

    private static async Task Track(Task wait, string name, List<string> order)
    {
        await wait;
        lock (order)
        {
            order.Add(name);
        }
    }

    /// <summary>Waiters resume asynchronously: wait (without a time bound) until the one just served has said so.</summary>
    private static async Task WaitForCountAsync(List<string> order, int count)
    {
        while (true)
        {
            Ct.ThrowIfCancellationRequested();
            lock (order)
            {
                if (order.Count >= count)
                {
                    return;
                }
            }
            await Task.Yield();
        }
    }
}
