using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Infrastructure;

/// <summary>HTTP clients for tests, from IHttpClientFactory like everything else.</summary>
internal static class TestHttp
{
    private static readonly IHttpClientFactory Factory = new ServiceCollection().AddHttpClient()
        .AddHttpClient("no-redirect").ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = false }).Services
        .BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    /// <summary>A client that shows a redirect as it is (a browser's first step on a short link) instead of following it.</summary>
    public static HttpClient CreateNoRedirect() => Factory.CreateClient("no-redirect");

    public static HttpClient Create(Uri baseAddress, string? apiKey = null)
    {
        var client = Factory.CreateClient();
        client.BaseAddress = baseAddress;
        client.Timeout = TimeSpan.FromSeconds(60);
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        return client;
    }

    /// <summary>
    /// Polls like <see cref="EventuallyAsync{T}(Func{Task{T}}, string, TimeSpan?)"/> while the fake clock moves on 100 ms before
    /// each probe, as a real one would: a loop that went idle just after the test moved the clock (its poll timer set past the
    /// jump) wakes at its next poll instead of never.
    /// </summary>
    public static Task<T> EventuallyAsync<T>(FakeTimeProvider clock, Func<Task<T?>> probe, string what, TimeSpan? timeout = null) =>
        EventuallyAsync(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            return probe();
        }, what, timeout);

    /// <summary>Polls <paramref name="probe"/> until it returns a value or the deadline passes.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)((timeout ?? TimeSpan.FromSeconds(15)).TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
