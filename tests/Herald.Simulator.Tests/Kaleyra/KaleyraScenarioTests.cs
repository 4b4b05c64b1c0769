using System.Diagnostics;
using System.Net;
using Herald.Simulator.Tests.Infrastructure;

namespace Herald.Simulator.Tests.Kaleyra;

public sealed class KaleyraScenarioTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("+919876540001", "Failed", "CON-DND")]
    [InlineData("+919876540005", "Failed", "EXPIRED")]
    [InlineData("+919876540006", "Failed", "TEMPLATE-NOT-FOUND")]
    [InlineData("+919876540008", "Undelivered", "MOB-OFF")]
    [InlineData("+919876540009", "Delivered", "DELIVERED")]
    [InlineData("+1 555 000 0001", "Failed", "CON-DND")]
    public async Task Send_SpecialNumber_SentThenFinalStatus(string to, string status, string details)
    {
        // DeliveryRate 0 proves the special numbers (0009 included) ignore it.
        await using var sim = await SimulatorHarness.StartAsync(o => o.DeliveryRate = 0, Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = to, ["callback"] = sim.CallbackJson() }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.Equal("Sent", received[0].Fields["status"]);
        var final = received[1].Fields;
        Assert.Equal(status, final["status"]);
        Assert.Equal(details, final["status_details"]);
        Assert.Equal(status == "Delivered", final.ContainsKey("delivered_at"));
    }

    [Fact]
    public async Task Send_Number0002_Returns503WithRetryAfter1()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876540002", ["callback"] = sim.CallbackJson() }, Ct);

        await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "E503");
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.Equal(0, sim.Host.Inspector.GetStats().DlrQueued);
    }

    [Fact]
    public async Task Send_Number0002AmongOthers_WholeRequest503()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string> { ["to"] = "+919876543210,+919876540002,+919876543211", ["callback"] = sim.CallbackJson() }, Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(0, stats.KaleyraRecipients);
        Assert.Equal(0, stats.DlrQueued);
    }

    [Fact]
    public async Task Send_Number0003_HangsThenReturns504()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.TimeoutHang = TimeSpan.FromMilliseconds(300), Ct);
        var elapsed = Stopwatch.StartNew();

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876540003" }, Ct);

        await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.GatewayTimeout, "E504");
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {elapsed.Elapsed}");
    }

    [Fact]
    public async Task Send_Number0004_Returns400NamingTheNumber()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876543210,+919876540004" }, Ct);

        var error = await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal("to", error.GetProperty("field").GetString());
        Assert.Contains("919876540004", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_Number0007_AcceptedAndNoCallbacksAtAll()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var silent = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876540007", ["callback"] = sim.CallbackJson() }, Ct);
        using var marker = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876540009", ["callback"] = sim.CallbackJson() }, Ct);

        Assert.Equal(HttpStatusCode.OK, silent.StatusCode);
        await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.All(sim.Receiver.Received, r => Assert.Equal("919876540009", r.Fields["mobile"]));
        Assert.Equal(2, sim.Host.Inspector.GetStats().DlrQueued);
    }

    [Fact]
    public async Task Send_Number0429_Returns429WithRetryAfter()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876540429" }, Ct);

        await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "E429");
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Send_DeliveryRateZero_FinalIsRealisticFailure()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DeliveryRate = 0, Ct);
        var to = string.Join(',', Enumerable.Range(0, 10).Select(i => $"+9198765{43200 + i}"));

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = to, ["callback"] = sim.CallbackJson() }, Ct);

        await sim.Receiver.WaitForAcceptedAsync(20, ct: Ct);
        var finals = sim.Receiver.Accepted.Select(r => r.Fields).Where(f => f["status"] != "Sent").ToArray();
        Assert.Equal(10, finals.Length);
        Assert.All(finals, f => Assert.Contains($"{f["status"]}/{f["status_details"]}", new[] { "Undelivered/MOB-OFF", "Undelivered/INVALID-SUB", "Failed/BLACKLIST", "Failed/OPT-OUT" }));
    }
}
