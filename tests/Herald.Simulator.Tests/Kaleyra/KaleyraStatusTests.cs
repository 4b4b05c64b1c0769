using System.Globalization;
using System.Net;
using System.Text.Json;
using Herald.Simulator.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Simulator.Tests.Kaleyra;

public sealed class KaleyraStatusTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Status_FakeClock_SubmittedThenSentThenFinal()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var sim = await SimulatorHarness.StartAsync(o => o.DlrDelay = TimeSpan.FromMinutes(1), time, Ct);
        using var send = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876543210,+919876540001,+919876540007" }, Ct);
        var id = (await send.ReadJsonAsync(Ct)).GetProperty("id").GetString();
        var ids = $"{id}:1,{id}:2,{id}:3";

        Assert.Equal(["Submitted", "Submitted", "Submitted"], Statuses(await QueryAsync(sim, ids)));

        // Each delay is 30 to 90 s (DlrDelay ±50%): nothing happens in the first 29 s; after 91 s all were
        // handed to the operator (the 0007 one stays Sent for ever); after 181 s all are final.
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(["Submitted", "Submitted", "Submitted"], Statuses(await QueryAsync(sim, ids)));

        time.Advance(TimeSpan.FromSeconds(62));
        var midway = Statuses(await QueryAsync(sim, ids));
        Assert.Contains(midway[0], new[] { "Sent", "Delivered" });
        Assert.Contains(midway[1], new[] { "Sent", "Failed" });
        Assert.Equal("Sent", midway[2]);

        time.Advance(TimeSpan.FromSeconds(90));
        var data = await QueryAsync(sim, ids);
        Assert.Equal(["Delivered", "Failed", "Sent"], Statuses(data));
        Assert.Equal(["DELIVERED", "CON-DND", "SENT"], data.EnumerateArray().Select(d => d.GetProperty("status_details").GetString()));
        Assert.Equal(["919876543210", "919876540001", "919876540007"], data.EnumerateArray().Select(d => d.GetProperty("recipient").GetString()));
        Assert.Equal(ids.Split(','), data.EnumerateArray().Select(d => d.GetProperty("message_id").GetString()));
    }

    [Fact]
    public async Task Status_ScheduledSend_StaysSubmittedUntilItsTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var sim = await SimulatorHarness.StartAsync(o => o.DlrDelay = TimeSpan.FromSeconds(10), time, Ct);
        var at = time.GetUtcNow().AddMinutes(30).ToOffset(TimeSpan.FromHours(5.5)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        using var send = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["time"] = at }, Ct);
        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        var messageId = (await send.ReadJsonAsync(Ct)).GetProperty("data")[0].GetProperty("message_id").GetString()!;

        time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(["Submitted"], Statuses(await QueryAsync(sim, messageId)));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(["Delivered"], Statuses(await QueryAsync(sim, messageId)));
    }

    [Fact]
    public async Task Status_UnknownIds_ListedAsNotFound()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DlrDelay = TimeSpan.FromHours(1), Ct);
        using var send = await sim.KaleyraSendAsync(ct: Ct);
        var id = (await send.ReadJsonAsync(Ct)).GetProperty("id").GetString();

        var data = await QueryAsync(sim, $"nope:1,{id}:2,{id}:1,{id}");

        var items = data.EnumerateArray().ToArray();
        Assert.Equal(["NotFound", "NotFound", "Submitted", "NotFound"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Equal("NOT-FOUND", items[0].GetProperty("status_details").GetString());
        Assert.False(items[0].TryGetProperty("recipient", out _));
        Assert.Equal("nope:1", items[0].GetProperty("message_id").GetString());
    }

    [Fact]
    public async Task Status_WrongApiKey_Returns401()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/{SimulatorHarness.Sid}/messages/status?message_ids=x:1");
        request.Headers.TryAddWithoutValidation("api-key", "wrong");

        using var response = await sim.Client.SendAsync(request, Ct);

        await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "E401");
    }

    [Fact]
    public async Task Status_UnknownSid_Returns404()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/OTHER/messages/status?message_ids=x:1");
        request.Headers.TryAddWithoutValidation("api-key", SimulatorHarness.ApiKey);

        using var response = await sim.Client.SendAsync(request, Ct);

        await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.NotFound, "E404");
    }

    [Fact]
    public async Task Status_MissingMessageIds_Returns400()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraStatusAsync("", Ct);

        var error = await KaleyraSendTests.AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal("message_ids", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Status_Query_NotCountedAsSend()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraStatusAsync("x:1", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, sim.Host.Inspector.GetStats().Received);
        Assert.Single(sim.Host.Inspector.GetRequests());
    }

    private static async Task<JsonElement> QueryAsync(SimulatorHarness sim, string ids)
    {
        using var response = await sim.KaleyraStatusAsync(ids, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync(Ct);
        Assert.Empty(json.GetProperty("error").EnumerateObject());
        return json.GetProperty("data");
    }

    private static string[] Statuses(JsonElement data) => [.. data.EnumerateArray().Select(d => d.GetProperty("status").GetString()!)];
}
