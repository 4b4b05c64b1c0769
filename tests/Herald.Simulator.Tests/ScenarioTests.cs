using System.Diagnostics;
using System.Net;
using Herald.Simulator.Inspection;
using Herald.Simulator.Scenarios;
using Herald.Simulator.Tests.Infrastructure;

namespace Herald.Simulator.Tests;

public sealed class ScenarioTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("+919876540001", "901", "DND Failure")]
    [InlineData("+919876540005", "916", "Expired")]
    [InlineData("+919876540006", "908", "Template blocked by DLT")]
    [InlineData("+919876540008", "914", "Undelivered after retries")]
    [InlineData("+1 555 000 0001", "901", "DND Failure")]
    public async Task Send_FailingDlrNumber_AcceptedThenFailedDlrWithCode(string to, string code, string description)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.SendAsync(to, "ct-special", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var callback = Assert.Single(await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct));
        var data = ConnectorEndpointTests.DlrData(callback, out var @event);
        Assert.Equal("failed", @event);
        Assert.Equal("ct-special", data.GetProperty("meta").GetString());
        Assert.Equal(code, data.GetProperty("code").GetString());
        Assert.Equal(description, data.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Send_Number0002_Returns503WithRetryAfter1()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.SendAsync("+919876540002", ct: Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.Equal("unavailable", (await response.ReadJsonAsync(Ct)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, sim.Host.Inspector.GetStats().DlrQueued);
    }

    [Fact]
    public async Task Send_Number0003_HangsThenReturns504()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.TimeoutHang = TimeSpan.FromMilliseconds(300), Ct);
        var elapsed = Stopwatch.StartNew();

        using var response = await sim.SendAsync("+919876540003", ct: Ct);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {elapsed.Elapsed}");
        Assert.Equal("timeout", (await response.ReadJsonAsync(Ct)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Send_Number0003CallerGivesUp_RecordedAs499()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.TimeoutHang = TimeSpan.FromMinutes(5), Ct);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var send = sim.SendAsync("+919876540003", ct: caller.Token);
        // The caller gives up once its request is in (a fixed 200 ms could end it before it reached a busy simulator).
        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().Received == 1, what: "the request to reach the simulator", ct: Ct);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetRequests().Count == 1, what: "the aborted request to be recorded", ct: Ct);
        Assert.Equal(499, sim.Host.Inspector.GetRequests()[0].Response.Status);
        Assert.Equal(1, sim.Host.Inspector.GetStats().Rejected);
    }

    [Fact]
    public async Task StopAsync_DuringNumber0003Hang_AnswersAndStopsPromptly()
    {
        var sim = await SimulatorHarness.StartAsync(o => o.TimeoutHang = TimeSpan.FromMinutes(5), Ct);
        await using (sim)
        {
            var pending = sim.SendAsync("+919876540003", ct: Ct);
            await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().Received == 1, ct: Ct);
            var elapsed = Stopwatch.StartNew();

            await sim.Host.StopAsync(Ct);

            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(4), $"stop took {elapsed.Elapsed}");
            using var response = await pending;
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        }
    }

    [Fact]
    public async Task Send_Number0004_Returns400InvalidNumber()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.SendAsync("+919876540004", ct: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync(Ct)).GetProperty("error");
        Assert.Equal("invalid_number", error.GetProperty("code").GetString());
        Assert.Equal("to", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Send_Number0007_AcceptedAndNoDlrEver()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var silent = await sim.SendAsync("+919876540007", "ct-silent", Ct);
        using var marker = await sim.SendAsync("+919876540009", "ct-marker", Ct);

        Assert.Equal(HttpStatusCode.OK, silent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, marker.StatusCode);
        // The marker's DLR is queued after the silent send was fully handled; once it arrived, no DLR
        // for the silent one is pending anywhere.
        await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct);
        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(2, stats.Accepted);
        Assert.Equal(1, stats.DlrQueued);
        Assert.DoesNotContain(sim.Host.Inspector.GetCallbacks(), c => c.MessageId == "ct-silent");
        Assert.All(sim.Receiver.Received, r => Assert.DoesNotContain("ct-silent", r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_Number0009WithDeliveryRateZero_DlrDelivered()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DeliveryRate = 0, Ct);

        using var response = await sim.SendAsync("+919876540009", "ct-always", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var callback = Assert.Single(await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct));
        ConnectorEndpointTests.DlrData(callback, out var @event);
        Assert.Equal("delivered", @event);
    }

    [Fact]
    public async Task Send_Number0429_Returns429WithRetryAfter2()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.SendAsync("+919876540429", ct: Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limited", (await response.ReadJsonAsync(Ct)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Send_SameSeed_SameOutcomes()
    {
        static async Task<string[]> RunAsync(CancellationToken ct)
        {
            await using var sim = await SimulatorHarness.StartAsync(o => { o.Seed = 42; o.DeliveryRate = 0.5; }, ct);
            for (var i = 0; i < 20; i++)
            {
                using var response = await sim.SendAsync("+91987654" + (1000 + i), $"m{i:00}", ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await Eventually.TrueAsync(
                () => sim.Host.Inspector.GetCallbacks().All(c => c.Result != CallbackResult.Pending), ct: ct);
            return [.. sim.Host.Inspector.GetCallbacks().OrderBy(c => c.MessageId, StringComparer.Ordinal).Select(c => ExtractOutcome(c.Body))];
        }

        var first = await RunAsync(Ct);
        var second = await RunAsync(Ct);

        Assert.Equal(first, second);
        Assert.Contains(first, o => o == "delivered");
        Assert.Contains(first, o => o != "delivered");
    }

    [Fact]
    public void Scenarios_Constants_AreFourDigitSuffixes()
    {
        string[] all =
        [
            SimulatorScenarios.DndFailure, SimulatorScenarios.Unavailable, SimulatorScenarios.Timeout,
            SimulatorScenarios.InvalidNumber, SimulatorScenarios.Expired, SimulatorScenarios.TemplateBlocked,
            SimulatorScenarios.NoDlr, SimulatorScenarios.Undelivered, SimulatorScenarios.AlwaysDelivered, SimulatorScenarios.RateLimited,
        ];

        Assert.All(all, s => Assert.Matches("^[0-9]{4}$", s));
        Assert.Equal(all.Length, all.Distinct().Count());
    }

    private static string ExtractOutcome(string body)
    {
        using var document = System.Text.Json.JsonDocument.Parse(body);
        var group = document.RootElement[0];
        var data = group.GetProperty("data")[0];
        return data.TryGetProperty("code", out var code) ? $"failed:{code.GetString()}" : group.GetProperty("event").GetString()!;
    }
}
