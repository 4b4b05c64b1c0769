using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Security;

/// <summary>Issue 14, "/metrics is anonymous": a separate listener (Herald:Metrics:Urls) that serves /metrics and nothing else.</summary>
public sealed class MetricsListenerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MetricsUrls_Set_MetricsOnlyOnItsListenerAndNothingElseThere()
    {
        var port = HeraldProcess.FreePort();
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?> { ["Herald:Metrics:Urls"] = $"http://127.0.0.1:{port}" });
        using var metrics = TestHttp.Create(new Uri($"http://127.0.0.1:{port}"), HeraldInstance.ApiKey);

        using var scraped = await metrics.GetAsync("/metrics", Ct);
        using var onMain = await herald.Anonymous.GetAsync("/metrics", Ct);
        // The Host header is the client's to choose: the main port must not serve /metrics for a request that claims the other one.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Host = $"127.0.0.1:{port}" } };
        using var spoofedAnswer = await herald.Anonymous.SendAsync(spoofed, Ct);
        using var apiOnMetrics = await metrics.GetAsync("/api/v1/providers", Ct);
        using var healthOnMetrics = await metrics.GetAsync("/healthz", Ct);

        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("# TYPE", await scraped.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, onMain.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, spoofedAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, apiOnMetrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, healthOnMetrics.StatusCode);
        // The API on the main port is untouched.
        Assert.Equal(HttpStatusCode.OK, (await herald.Api.GetAsync("/api/v1/providers", Ct)).StatusCode);
    }

    [Fact]
    public async Task MetricsUrls_WithoutAPort_RefusedAtStartSayingWhy()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await HeraldInstance.StartAsync(extra: new Dictionary<string, string?> { ["Herald:Metrics:Urls"] = "http://127.0.0.1:0" }));

        Assert.Contains("Herald:Metrics:Urls", error.Message, StringComparison.Ordinal);
    }
}
