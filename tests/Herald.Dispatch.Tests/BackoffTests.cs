namespace Herald.Dispatch.Tests;

/// <summary>The retry schedule after transient failures.</summary>
public sealed class BackoffTests
{
    private static DispatchOptions Options(double jitter = 0) => new() { RetryJitter = jitter }; // 5 s base, 10 min cap

    [Fact]
    public void WithoutJitter_DoublesFromTheBase_UpToTheCap()
    {
        var options = Options();
        var schedule = Enumerable.Range(0, 11).Select(attempt => Backoff.Delay(attempt, null, options, 0.7).TotalSeconds);

        // attempt 0 and 1 (the first send) wait the base; then 10, 20, ... until 600 s (10 min).
        Assert.Equal([5, 5, 10, 20, 40, 80, 160, 320, 600, 600, 600], schedule);
        Assert.Equal(options.RetryMaxDelay, Backoff.Delay(int.MaxValue, null, options, 0));
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(3, 20)]
    [InlineData(7, 320)]
    public void Jitter_AddsUpToItsShare_NeverLess(int attempt, double baseSeconds)
    {
        var options = Options(jitter: 0.2);

        Assert.Equal(TimeSpan.FromSeconds(baseSeconds), Backoff.Delay(attempt, null, options, 0));
        Assert.Equal(TimeSpan.FromSeconds(baseSeconds * 1.1), Backoff.Delay(attempt, null, options, 0.5));
        foreach (var random in Enumerable.Range(0, 100).Select(i => i / 100.0))
        {
            Assert.InRange(Backoff.Delay(attempt, null, options, random), TimeSpan.FromSeconds(baseSeconds), TimeSpan.FromSeconds(baseSeconds * 1.2));
        }
    }

    [Fact]
    public void Jitter_NeverTakesTheDelayPastTheCap()
    {
        var options = Options(jitter: 0.2);

        Assert.Equal(TimeSpan.FromMinutes(10), Backoff.Delay(9, null, options, 0.99));
        Assert.Equal(TimeSpan.FromSeconds(384), Backoff.Delay(7, null, options, 1)); // 320 s + 20 %, under the cap
        Assert.Equal(TimeSpan.FromMinutes(10), Backoff.Delay(8, null, options, 0.99)); // 640 s before jitter
    }

    [Fact]
    public void RetryAfter_WinsWhenLonger_EvenPastTheCap()
    {
        var options = Options();

        Assert.Equal(TimeSpan.FromSeconds(30), Backoff.Delay(1, TimeSpan.FromSeconds(30), options, 0));
        Assert.Equal(TimeSpan.FromSeconds(20), Backoff.Delay(3, TimeSpan.FromSeconds(2), options, 0));
        Assert.Equal(TimeSpan.FromMinutes(30), Backoff.Delay(12, TimeSpan.FromMinutes(30), options, 0));
        Assert.Equal(TimeSpan.FromSeconds(5), Backoff.Delay(1, TimeSpan.Zero, options, 0));
    }
}
