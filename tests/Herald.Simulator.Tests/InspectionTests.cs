using System.Net;
using System.Text.Json;
using Herald.Simulator.Tests.Infrastructure;

namespace Herald.Simulator.Tests;

public sealed class InspectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetRequests_AfterSends_NewestFirstWithHeadersBodyAndResponse()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using (var first = await sim.SendAsync(messageId: "ct-first", ct: Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var second = await sim.SendAsync("+919876540004", "ct-second", Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        }

        var requests = await sim.GetJsonAsync("_sim/requests", Ct);

        Assert.Equal(2, requests.GetArrayLength());
        var newest = requests[0];
        var oldest = requests[1];
        Assert.True(newest.GetProperty("id").GetInt64() > oldest.GetProperty("id").GetInt64());
        Assert.Equal("POST", newest.GetProperty("method").GetString());
        Assert.Equal("/connector/sms", newest.GetProperty("path").GetString());
        Assert.Equal("", newest.GetProperty("query").GetString());
        Assert.True(newest.GetProperty("receivedAt").TryGetDateTimeOffset(out _));
        Assert.Contains("message_id=ct-second", newest.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, newest.GetProperty("response").GetProperty("status").GetInt32());
        Assert.Contains("invalid_number", newest.GetProperty("response").GetProperty("body").GetString(), StringComparison.Ordinal);
        var headers = newest.GetProperty("headers");
        Assert.Equal(SimulatorHarness.ApiKey, headers.GetProperty("api-key").GetString());
        Assert.Equal(SimulatorHarness.Sid, headers.GetProperty("sid").GetString());
        Assert.Equal(sim.Receiver.Url.ToString(), headers.GetProperty("callback_url").GetString());
        Assert.Equal("api.in.kaleyra.io", headers.GetProperty("kaleyra-host").GetString());
        Assert.Equal(200, oldest.GetProperty("response").GetProperty("status").GetInt32());
        Assert.Contains("ct-first", oldest.GetProperty("response").GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRequests_WithLimit_ReturnsNewestN()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        for (var i = 0; i < 3; i++)
        {
            using var response = await sim.SendAsync(messageId: $"ct-{i}", ct: Ct);
        }

        var requests = await sim.GetJsonAsync("_sim/requests?limit=1", Ct);

        var only = Assert.Single(requests.EnumerateArray());
        Assert.Contains("ct-2", only.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRequests_BadLimit_Returns400()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.Client.GetAsync("_sim/requests?limit=-3", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task GetRequests_OverCapacity_KeepsNewest()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.RequestLogCapacity = 3, Ct);
        for (var i = 0; i < 5; i++)
        {
            using var response = await sim.SendAsync(messageId: $"ct-{i}", ct: Ct);
        }

        var requests = sim.Host.Inspector.GetRequests();

        Assert.Equal(3, requests.Count);
        Assert.Equal(["ct-4", "ct-3", "ct-2"], requests.Select(r => System.Web.HttpUtility.ParseQueryString(r.Body)["message_id"]));
    }

    [Fact]
    public async Task GetStats_MixedTraffic_CountsEachOutcome()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        sim.Receiver.FailNext(1);
        using (await sim.SendAsync(messageId: "a", ct: Ct))
        using (await sim.SendAsync("+919876540007", "b", Ct))
        using (await sim.SendAsync("+919876540002", "c", Ct))
        using (await sim.SendAsync("+919876540429", "d", Ct))
        {
        }

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrDelivered == 1, ct: Ct);
        var stats = await sim.GetJsonAsync("_sim/stats", Ct);

        Assert.Equal(4, stats.GetProperty("received").GetInt64());
        Assert.Equal(2, stats.GetProperty("accepted").GetInt64());
        Assert.Equal(2, stats.GetProperty("rejected").GetInt64());
        Assert.Equal(1, stats.GetProperty("dlrQueued").GetInt64());
        Assert.Equal(1, stats.GetProperty("dlrDelivered").GetInt64());
        Assert.Equal(0, stats.GetProperty("dlrFailed").GetInt64());
        Assert.Equal(1, stats.GetProperty("dlrRetries").GetInt64());
        Assert.Equal(0, stats.GetProperty("byMessageId").GetProperty("duplicates").GetInt64());
    }

    [Fact]
    public async Task GetStats_SameMessageIdAcceptedTwice_CountsOneDuplicate()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using (await sim.SendAsync(messageId: "dup", ct: Ct))
        using (await sim.SendAsync(messageId: "dup", ct: Ct))
        using (await sim.SendAsync(messageId: "dup", ct: Ct))
        using (await sim.SendAsync(messageId: "unique", ct: Ct))
        using (await sim.SendAsync("+919876540002", "retried", Ct))
        using (await sim.SendAsync(messageId: "retried", ct: Ct))
        {
        }

        var byMessageId = (await sim.GetJsonAsync("_sim/stats", Ct)).GetProperty("byMessageId");

        Assert.Equal(2, byMessageId.GetProperty("duplicates").GetInt64());
        Assert.Equal(3, byMessageId.GetProperty("distinct").GetInt64());
    }

    [Fact]
    public async Task GetCallbacks_AfterDelivery_ShowsUrlBodyAttemptsAndResult()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using (await sim.SendAsync(messageId: "ct-cb", ct: Ct))
        {
        }

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrDelivered == 1, ct: Ct);
        var callbacks = await sim.GetJsonAsync("_sim/callbacks", Ct);

        var callback = Assert.Single(callbacks.EnumerateArray());
        Assert.Equal("ct-cb", callback.GetProperty("messageId").GetString());
        Assert.Equal("delivered", callback.GetProperty("event").GetString());
        Assert.Equal(sim.Receiver.Url.ToString(), callback.GetProperty("url").GetString());
        Assert.Equal(sim.Receiver.Received[0].Body, callback.GetProperty("body").GetString());
        Assert.Equal("delivered", callback.GetProperty("result").GetString());
        var attempt = Assert.Single(callback.GetProperty("attempts").EnumerateArray());
        Assert.Equal(200, attempt.GetProperty("status").GetInt32());
        Assert.True(attempt.GetProperty("at").TryGetDateTimeOffset(out _));
        Assert.False(attempt.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task DeleteRequests_AfterTraffic_ClearsLogsAndStats()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using (await sim.SendAsync(messageId: "x", ct: Ct))
        using (await sim.SendAsync(messageId: "x", ct: Ct))
        {
        }

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrDelivered == 2, ct: Ct);

        using var deleted = await sim.Client.DeleteAsync("_sim/requests", Ct);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, (await sim.GetJsonAsync("_sim/requests", Ct)).GetArrayLength());
        Assert.Equal(0, (await sim.GetJsonAsync("_sim/callbacks", Ct)).GetArrayLength());
        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(new SimulatorStatsSnapshot(0, 0, 0, 0, 0, 0, 0, 0, 0), SimulatorStatsSnapshot.From(stats));
    }

    [Fact]
    public async Task Inspector_InProcess_MatchesHttpView()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using (await sim.SendAsync(messageId: "ct-same", ct: Ct))
        {
        }

        var overHttp = await sim.GetJsonAsync("_sim/requests", Ct);
        var inProcess = sim.Host.Inspector.GetRequests();

        var recorded = Assert.Single(inProcess);
        Assert.Equal(recorded.Id, overHttp[0].GetProperty("id").GetInt64());
        Assert.Equal(recorded.Body, overHttp[0].GetProperty("body").GetString());
        Assert.Equal(recorded.Response.Body, overHttp[0].GetProperty("response").GetProperty("body").GetString());
        using var responseBody = JsonDocument.Parse(recorded.Response.Body);
        Assert.Equal("ct-same", responseBody.RootElement.GetProperty("message_id").GetString());
    }

    private sealed record SimulatorStatsSnapshot(
        long Received, long Accepted, long Rejected, long DlrQueued, long DlrDelivered, long DlrFailed, long DlrRetries, long Duplicates, long Distinct)
    {
        public static SimulatorStatsSnapshot From(Inspection.SimulatorStats s) => new(
            s.Received, s.Accepted, s.Rejected, s.DlrQueued, s.DlrDelivered, s.DlrFailed, s.DlrRetries, s.ByMessageId.Duplicates, s.ByMessageId.Distinct);
    }
}
