using System.Diagnostics;
using System.Net;
using Herald.Simulator.Inspection;
using Herald.Simulator.Tests.Infrastructure;

namespace Herald.Simulator.Tests;

public sealed class DlrDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dlr_Receiver503Twice_DeliveredExactlyOnceAfterRetries()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        sim.Receiver.FailNext(2);

        using var response = await sim.SendAsync(messageId: "ct-retry", ct: Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var accepted = Assert.Single(await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct));
        Assert.Equal("ct-retry", ConnectorEndpointTests.DlrData(accepted, out _).GetProperty("meta").GetString());
        Assert.Equal([503, 503, 200], sim.Receiver.Received.Select(r => r.AnsweredStatus));
        Assert.All(sim.Receiver.Received, r => Assert.Equal(accepted.Body, r.Body));

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrDelivered == 1, ct: Ct);
        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(2, stats.DlrRetries);
        Assert.Equal(0, stats.DlrFailed);
        var callback = Assert.Single(sim.Host.Inspector.GetCallbacks());
        Assert.Equal(CallbackResult.Delivered, callback.Result);
        Assert.Equal([1, 2, 3], callback.Attempts.Select(a => a.Attempt));
        Assert.Equal([503, 503, 200], callback.Attempts.Select(a => a.Status ?? 0));
        Assert.Equal(sim.Receiver.Url.ToString(), callback.Url);
    }

    [Fact]
    public async Task Dlr_Retries_WaitExponentialBackoff()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DlrRetryBaseDelay = TimeSpan.FromMilliseconds(100), Ct);
        sim.Receiver.FailNext(2);

        using var response = await sim.SendAsync(ct: Ct);
        await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct);

        var at = sim.Receiver.Received.Select(r => r.At).ToArray();
        Assert.True(at[1] - at[0] >= TimeSpan.FromMilliseconds(90), $"first retry after {at[1] - at[0]}");
        Assert.True(at[2] - at[1] >= TimeSpan.FromMilliseconds(190), $"second retry after {at[2] - at[1]}");
    }

    [Fact]
    public async Task Dlr_ReceiverAlways503_GivesUpAfterRetryCount()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DlrRetryCount = 2, Ct);
        sim.Receiver.FailNext(int.MaxValue);

        using var response = await sim.SendAsync(ct: Ct);

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrFailed == 1, ct: Ct);
        Assert.Equal(3, sim.Receiver.Received.Count);
        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(2, stats.DlrRetries);
        Assert.Equal(0, stats.DlrDelivered);
        Assert.Equal(CallbackResult.Failed, Assert.Single(sim.Host.Inspector.GetCallbacks()).Result);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    public async Task Dlr_ReceiverPermanent4xx_NotRetriedCountedFailed(int status)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        sim.Receiver.FailNext(int.MaxValue, status);

        using var response = await sim.SendAsync(ct: Ct);

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrFailed == 1, ct: Ct);
        Assert.Single(sim.Receiver.Received);
        Assert.Equal(0, sim.Host.Inspector.GetStats().DlrRetries);
        var callback = Assert.Single(sim.Host.Inspector.GetCallbacks());
        Assert.Equal(status, Assert.Single(callback.Attempts).Status);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task Dlr_ReceiverTransientStatusOnce_Retried(int status)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        sim.Receiver.FailNext(1, status);

        using var response = await sim.SendAsync(ct: Ct);

        await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct);
        Assert.Equal([status, 200], sim.Receiver.Received.Select(r => r.AnsweredStatus));
    }

    [Fact]
    public async Task Dlr_CallbackUrlRefusesConnections_RecordsErrorAndRetries()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DlrRetryCount = 1, Ct);
        // A port that was just bound and released: nothing listens there.
        var closedPort = await FreePortAsync(Ct);
        using var request = sim.NewSend();
        request.Headers.Remove("callback_url");
        request.Headers.TryAddWithoutValidation("callback_url", $"http://127.0.0.1:{closedPort}/dlr");

        using var response = await sim.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrFailed == 1, ct: Ct);
        var callback = Assert.Single(sim.Host.Inspector.GetCallbacks());
        Assert.Equal(2, callback.Attempts.Count);
        Assert.All(callback.Attempts, a => Assert.False(string.IsNullOrEmpty(a.Error)));
        Assert.All(callback.Attempts, a => Assert.Null(a.Status));
    }

    [Fact]
    public async Task StopAsync_WithPendingDlrs_CancelsThemPromptly()
    {
        var sim = await SimulatorHarness.StartAsync(o => o.DlrDelay = TimeSpan.FromMinutes(10), Ct);
        await using (sim)
        {
            for (var i = 0; i < 5; i++)
            {
                using var response = await sim.SendAsync(ct: Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var elapsed = Stopwatch.StartNew();
            await sim.Host.StopAsync(Ct);

            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(4), $"stop took {elapsed.Elapsed}");
            Assert.All(sim.Host.Inspector.GetCallbacks(), c => Assert.Equal(CallbackResult.Cancelled, c.Result));
            Assert.Empty(sim.Receiver.Received);
        }
    }

    private static async Task<int> FreePortAsync(CancellationToken ct)
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        return port;
    }
}
