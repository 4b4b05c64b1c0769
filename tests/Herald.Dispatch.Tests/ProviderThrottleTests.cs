using Microsoft.Extensions.Time.Testing;

namespace Herald.Dispatch.Tests;

/// <summary>The provider throttle on a fake clock: exact counts, no sleeps.</summary>
public sealed class ProviderThrottleTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProviderThrottle Throttle(FakeTimeProvider time, int rate, int inFlight = 0) =>
        new(new ResolvedProvider(new NullSender(), rate, inFlight, Start), time);

    /// <summary>
    /// A sender that takes everything as fast as the bucket lets it: when each message went. It looks again every
    /// <paramref name="step"/>, or, without one, exactly when the bucket said to (as the dispatcher's sends do).
    /// </summary>
    private static List<TimeSpan> Greedy(ProviderThrottle.RateBucket bucket, FakeTimeProvider time, TimeSpan duration, TimeSpan? step, int permits = 1)
    {
        var sent = new List<TimeSpan>();
        for (var at = TimeSpan.Zero; at <= duration;)
        {
            time.SetUtcNow(Start + at);
            TimeSpan wait;
            while (bucket.TryTake(permits, out wait))
            {
                sent.AddRange(Enumerable.Repeat(at, permits));
            }
            at += step ?? wait;
        }
        return sent;
    }

    [Theory]
    [InlineData(100)]
    [InlineData(15)]
    [InlineData(3)]
    [InlineData(1000)]
    public void TenSimulatedSeconds_AdmitTheRateWithinFivePercent(int rate)
    {
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, rate);
        var bucket = throttle.Rate!;

        var sent = Greedy(bucket, time, TimeSpan.FromSeconds(10), step: null);

        // By the end of the 10 s: exactly rate × 10 s, plus the bucket that was full at the start.
        Assert.Equal((rate * 10) + bucket.Capacity, sent.Count);
        Assert.InRange(sent.Count, rate * 10 * 0.95, rate * 10 * 1.05 + 1);

        // A sender that looks only every millisecond loses what the bucket cannot hold while it is late
        // (at most one token's worth of lateness a message below 20 a second), still within 5 %.
        var late = new FakeTimeProvider(Start);
        var polled = Throttle(late, rate);
        Assert.InRange(Greedy(polled.Rate!, late, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1)).Count, rate * 10 * 0.95, sent.Count);
    }

    [Fact]
    public void At100PerSecond_NoWindowHoldsMoreThanTheBucketAllows()
    {
        const int rate = 100;
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, rate);
        var bucket = throttle.Rate!;
        Assert.Equal(5, bucket.Capacity); // 1/20 s

        var sent = Greedy(bucket, time, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1));

        // Every window [t, t + w): at most rate × w + capacity; a one-second window at most 105.
        foreach (var window in new[] { 10, 50, 100, 250, 1000, 3000 }.Select(ms => TimeSpan.FromMilliseconds(ms)))
        {
            var allowed = (rate * window.TotalSeconds) + bucket.Capacity;
            for (int i = 0, j = 0; i < sent.Count; i++)
            {
                while (j < sent.Count && sent[j] < sent[i] + window)
                {
                    j++;
                }
                Assert.True(j - i <= allowed, $"{j - i} messages in the {window.TotalMilliseconds} ms from {sent[i]}; at most {allowed}");
            }
        }
        // Steady state: one message every 10 ms, every second exactly 100.
        for (var second = 1; second < 10; second++)
        {
            Assert.Equal(rate, sent.Count(s => s >= TimeSpan.FromSeconds(second) && s < TimeSpan.FromSeconds(second + 1)));
        }
    }

    [Fact]
    public void BatchesLargerThanTheBucket_DoNotRaiseTheRate()
    {
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, 20); // capacity 1; Kaleyra-style batches of 100

        var sent = Greedy(throttle.Rate!, time, TimeSpan.FromSeconds(20) - TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(10), permits: 100);

        // The first batch goes at once and leaves the bucket 99 in debt: the next ones every 5 s.
        Assert.Equal([0, 5, 10, 15], sent.Distinct().Select(s => s.TotalSeconds));
        Assert.Equal(400, sent.Count);
    }

    [Fact]
    public void QuietSpell_RefillsOnlyUpToTheBucket()
    {
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, 100);
        var bucket = throttle.Rate!;
        for (var i = 0; i < 5; i++)
        {
            Assert.True(bucket.TryTake(1, out _));
        }
        Assert.False(bucket.TryTake(1, out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(10), wait);

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(5, Enumerable.Range(0, 10).Count(i => bucket.TryTake(1, out _)));
    }

    [Fact]
    public async Task AcquireAsync_WaitsOnTheFakeClock_UntilTheNextToken()
    {
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, 100);
        for (var i = 0; i < 5; i++)
        {
            (await throttle.AcquireAsync(1, Ct)).Dispose();
        }

        var next = throttle.AcquireAsync(1, Ct).AsTask();
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(10) - TimeSpan.FromTicks(1));
        Assert.False(next.IsCompleted); // its timer is not due yet
        time.Advance(TimeSpan.FromTicks(1));
        (await next.WaitAsync(TimeSpan.FromSeconds(30), Ct)).Dispose();
    }

    [Fact]
    public async Task AcquireAsync_ServesWaitersInOrder_OnePerToken()
    {
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, 100);
        for (var i = 0; i < 5; i++)
        {
            (await throttle.AcquireAsync(1, Ct)).Dispose();
        }
        var order = new List<int>();
        var waiters = Enumerable.Range(0, 3).Select(async i =>
        {
            (await throttle.AcquireAsync(1, Ct)).Dispose();
            lock (order)
            {
                order.Add(i);
            }
        }).ToList();

        for (var served = 1; served <= 3; served++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Eventually(() => Count(order) == served);
            Assert.Equal(served, Count(order)); // one token, one waiter
        }
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal([0, 1, 2], order);
    }

    [Fact]
    public async Task AcquireAsync_Cancelled_TakesNoToken()
    {
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, 100);
        for (var i = 0; i < 5; i++)
        {
            (await throttle.AcquireAsync(1, Ct)).Dispose();
        }
        using var cancel = new CancellationTokenSource();
        var abandoned = throttle.AcquireAsync(1, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(TimeSpan.FromSeconds(30), Ct));

        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.True(throttle.Rate!.TryTake(1, out _));
    }

    [Fact]
    public async Task InFlightCap_HoldsTheThirdRequestUntilOneEnds()
    {
        var time = new FakeTimeProvider(Start);
        var throttle = Throttle(time, rate: 0, inFlight: 2);
        Assert.Null(throttle.Rate);

        var first = await throttle.AcquireAsync(1, Ct);
        var second = await throttle.AcquireAsync(1, Ct);
        var third = throttle.AcquireAsync(1, Ct).AsTask();
        Assert.False(third.IsCompleted);

        first.Dispose();
        first.Dispose(); // a lease releases once
        var lease = await third.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var fourth = throttle.AcquireAsync(1, Ct).AsTask();
        Assert.False(fourth.IsCompleted);
        second.Dispose();
        (await fourth.WaitAsync(TimeSpan.FromSeconds(30), Ct)).Dispose();
        lease.Dispose();
    }

    private static int Count(List<int> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }
    }

    private sealed class NullSender : Herald.Core.Providers.ISmsSender
    {
        public Task<Herald.Core.Providers.SendResult> SendAsync(Herald.Core.Providers.OutboundMessage message, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public void Validate(Herald.Core.Providers.OutboundMessage message)
        {
        }
    }
}
