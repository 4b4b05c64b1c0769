using System.Diagnostics;
using System.Net;
using Herald.Simulator.Tests.Infrastructure;
using Herald.Simulator.Tests.Kaleyra;

namespace Herald.Simulator.Tests.Faults;

public sealed class FaultInjectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RateLimit_KaleyraBurstOverLimit_Some429WithRetryAfter()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.RateLimit = 3, Ct);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => sim.KaleyraSendAsync(ct: Ct)));

        try
        {
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
            Assert.NotEmpty(limited);
            Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
            foreach (var response in limited)
            {
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
                await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "E429");
            }

            Assert.Equal(limited.Length, sim.Host.Inspector.GetStats().RateLimited);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task RateLimit_ConnectorBurstOverLimit_Some429WithRetryAfter()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.RateLimit = 2, Ct);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => sim.SendAsync(ct: Ct)));

        try
        {
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
            Assert.NotEmpty(limited);
            Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.All(limited, r => Assert.Equal(TimeSpan.FromSeconds(1), r.Headers.RetryAfter?.Delta));
            Assert.Equal("rate_limited", (await limited[0].ReadJsonAsync(Ct)).GetProperty("error").GetProperty("code").GetString());
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task RateLimit_AfterTheWindow_AcceptsAgain()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.RateLimit = 1, Ct);
        using (await sim.KaleyraSendAsync(ct: Ct))
        using (await sim.KaleyraSendAsync(ct: Ct))
        {
        }

        await Task.Delay(TimeSpan.FromSeconds(1.1), TimeProvider.System, Ct);
        using var later = await sim.KaleyraSendAsync(ct: Ct);

        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task HttpErrorRateOne_BothFaces_All503WithRetryAfter()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.HttpErrorRate = 1, Ct);

        for (var i = 0; i < 5; i++)
        {
            using var kaleyra = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = sim.CallbackJson() }, Ct);
            await KaleyraSendTests.AssertErrorAsync(kaleyra, HttpStatusCode.ServiceUnavailable, "E503");
            Assert.Equal(TimeSpan.FromSeconds(1), kaleyra.Headers.RetryAfter?.Delta);

            using var connector = await sim.SendAsync(ct: Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, connector.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), connector.Headers.RetryAfter?.Delta);
        }

        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(10, stats.InjectedErrors);
        Assert.Equal(10, stats.Rejected);
        Assert.Equal(0, stats.Accepted);
        Assert.Equal(0, stats.DlrQueued);
    }

    [Fact]
    public async Task HttpErrorRateZero_NoInjectedErrors()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.HttpErrorRate = 0, Ct);

        for (var i = 0; i < 5; i++)
        {
            using var response = await sim.KaleyraSendAsync(ct: Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, sim.Host.Inspector.GetStats().InjectedErrors);
    }

    [Fact]
    public async Task Latency_BothFaces_AnswerNoSoonerThanLatency()
    {
        var latency = TimeSpan.FromMilliseconds(300);
        await using var sim = await SimulatorHarness.StartAsync(o => o.Latency = latency, Ct);

        var kaleyraWatch = Stopwatch.StartNew();
        using (var kaleyra = await sim.KaleyraSendAsync(ct: Ct))
        {
            Assert.Equal(HttpStatusCode.OK, kaleyra.StatusCode);
        }

        var kaleyraElapsed = kaleyraWatch.Elapsed;
        var connectorWatch = Stopwatch.StartNew();
        using (var connector = await sim.SendAsync(ct: Ct))
        {
            Assert.Equal(HttpStatusCode.OK, connector.StatusCode);
        }

        var connectorElapsed = connectorWatch.Elapsed;
        Assert.True(kaleyraElapsed >= latency * 0.95, $"Kaleyra answered after {kaleyraElapsed}");
        Assert.True(connectorElapsed >= latency * 0.95, $"connector answered after {connectorElapsed}");
    }

    [Fact]
    public async Task FailRateOne_Kaleyra_AllFinalCallbacksFailed()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.FailRate = 1, Ct);
        var to = string.Join(',', Enumerable.Range(0, 5).Select(i => $"+9198765{43200 + i}"));

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = to, ["callback"] = sim.CallbackJson() }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await sim.Receiver.WaitForAcceptedAsync(10, ct: Ct);
        var finals = sim.Receiver.Accepted.Select(r => r.Fields).Where(f => f["status"] != "Sent").ToArray();
        Assert.Equal(5, finals.Length);
        Assert.All(finals, f => Assert.Equal("Failed", f["status"]));
        Assert.All(finals, f => Assert.False(string.IsNullOrEmpty(f["status_details"])));
        Assert.All(finals, f => Assert.False(f.ContainsKey("delivered_at")));
    }

    [Fact]
    public async Task FailRateOne_Connector_AllDlrsFailed()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.FailRate = 1, Ct);

        for (var i = 0; i < 3; i++)
        {
            using var response = await sim.SendAsync(messageId: $"ct-fail-{i}", ct: Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var callbacks = await sim.Receiver.WaitForAcceptedAsync(3, ct: Ct);
        Assert.All(callbacks, c =>
        {
            var data = ConnectorEndpointTests.DlrData(c, out var @event);
            Assert.Equal("failed", @event);
            Assert.Equal("904", data.GetProperty("code").GetString());
        });
    }

    [Fact]
    public async Task FailRateOne_SpecialNumber0009_StillDelivered()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.FailRate = 1, Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876540009", ["callback"] = sim.CallbackJson() }, Ct);

        var received = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.Equal("Delivered", received[1].Fields["status"]);
    }
}
