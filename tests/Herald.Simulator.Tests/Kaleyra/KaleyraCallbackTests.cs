using System.Net;
using System.Text.Json;
using Herald.Simulator.Inspection;
using Herald.Simulator.Tests.Infrastructure;

namespace Herald.Simulator.Tests.Kaleyra;

public sealed class KaleyraCallbackTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Callback_PostForm_SentThenDeliveredWithRefsEchoed()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string>
            {
                ["callback"] = sim.CallbackJson(),
                ["ref"] = "herald-msg-1",
                ["ref1"] = "campaign 7",
                ["ref2"] = "a&b=c",
            },
            Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var messageId = (await response.ReadJsonAsync(Ct)).GetProperty("data")[0].GetProperty("message_id").GetString();

        var received = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.Equal(2, received.Count);
        Assert.All(received, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal("application/x-www-form-urlencoded", r.ContentType);
            Assert.Equal("", r.Query);
        });
        var sent = received[0].Fields;
        var delivered = received[1].Fields;
        Assert.Equal("Sent", sent["status"]);
        Assert.Equal("Delivered", delivered["status"]);
        Assert.Equal("DELIVERED", delivered["status_details"]);
        foreach (var fields in new[] { sent, delivered })
        {
            Assert.Equal(messageId, fields["id"]);
            Assert.Equal("919876543210", fields["mobile"]);
            Assert.Equal("herald-msg-1", fields["ref"]);
            Assert.Equal("campaign 7", fields["ref1"]);
            Assert.Equal("a&b=c", fields["ref2"]);
            Assert.Equal("HERALD", fields["sender"]);
            Assert.Equal("OTP", fields["type"]);
        }

        Assert.False(sent.ContainsKey("delivered_at"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", delivered["delivered_at"]);
        Assert.True(received[1].At >= received[0].At);
    }

    [Fact]
    public async Task Callback_Get_FieldsInQueryStringWithoutRefsWhenNotGiven()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = sim.CallbackJson("GET") }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var received = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.All(received, r =>
        {
            Assert.Equal("GET", r.Method);
            Assert.Equal("", r.Body);
            Assert.StartsWith("?id=", r.Query, StringComparison.Ordinal);
        });
        Assert.Equal(["Sent", "Delivered"], received.Select(r => r.Fields["status"]));
        Assert.Equal("919876543210", received[1].Fields["mobile"]);
        Assert.DoesNotContain("ref", received[1].Fields.Keys);
        Assert.DoesNotContain("ref1", received[1].Fields.Keys);
        Assert.True(received[1].Fields.ContainsKey("delivered_at"));

        var logged = sim.Host.Inspector.GetCallbacks();
        Assert.All(logged, c =>
        {
            Assert.Equal("GET", c.Method);
            Assert.Equal("kaleyra", c.Face);
            Assert.Contains("?id=", c.Url, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Callback_GetToUrlWithQuery_AppendsFields()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var callback = $$"""{"url":"{{sim.Receiver.Url}}?token=abc","method":"get"}""";

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = callback }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var received = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.StartsWith("?token=abc&id=", received[0].Query, StringComparison.Ordinal);
        Assert.Equal("abc", received[0].Fields["token"]);
    }

    [Fact]
    public async Task Callback_JsonContentTypeHeader_PostsJsonWithHeaders()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var callback = sim.CallbackJson(extra: """ "header":{"Content-Type":"application/json","X-Token":"s3cret","Authorization":"Bearer t"}""");

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string> { ["callback"] = callback, ["ref"] = "r-json" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var received = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.All(received, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal("application/json", r.ContentType);
            Assert.Equal("s3cret", r.Headers["X-Token"]);
            Assert.Equal("Bearer t", r.Headers["Authorization"]);
        });
        using var body = JsonDocument.Parse(received[1].Body);
        Assert.Equal("Delivered", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("r-json", body.RootElement.GetProperty("ref").GetString());
        Assert.Equal("919876543210", body.RootElement.GetProperty("mobile").GetString());
        Assert.Equal(JsonValueKind.String, body.RootElement.GetProperty("delivered_at").ValueKind);
    }

    [Fact]
    public async Task Callback_FormPostWithHeaders_SendsHeaders()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var callback = sim.CallbackJson(extra: """ "header":{"X-Token":"s3cret"}""");

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = callback }, Ct);

        var received = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.All(received, r => Assert.Equal("s3cret", r.Headers["X-Token"]));
        Assert.All(received, r => Assert.Equal("application/x-www-form-urlencoded", r.ContentType));
    }

    [Fact]
    public async Task Callback_ThreeRecipients_SentAndFinalForEach()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string> { ["to"] = "+919876543210,+919876543211,+919876540001", ["callback"] = sim.CallbackJson() }, Ct);
        var id = (await response.ReadJsonAsync(Ct)).GetProperty("id").GetString();

        await sim.Receiver.WaitForAcceptedAsync(6, ct: Ct);
        var byId = sim.Receiver.Accepted.Select(r => r.Fields).GroupBy(f => f["id"]).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal([$"{id}:1", $"{id}:2", $"{id}:3"], byId.Keys.Order(StringComparer.Ordinal));
        Assert.All(byId.Values, callbacks => Assert.Equal("Sent", callbacks[0]["status"]));
        Assert.Equal("Delivered", byId[$"{id}:1"][1]["status"]);
        Assert.Equal("Failed", byId[$"{id}:3"][1]["status"]);
        Assert.Equal("CON-DND", byId[$"{id}:3"][1]["status_details"]);
        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(6, stats.DlrQueued);
    }

    [Fact]
    public async Task Callback_NoCallbackField_NoCallbacks()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var silent = await sim.KaleyraSendAsync(ct: Ct);
        using var marker = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = sim.CallbackJson() }, Ct);

        await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        var markerId = (await marker.ReadJsonAsync(Ct)).GetProperty("id").GetString()!;
        Assert.All(sim.Receiver.Received, r => Assert.StartsWith(markerId, r.Fields["id"], StringComparison.Ordinal));
        Assert.Equal(2, sim.Host.Inspector.GetStats().DlrQueued);
    }

    [Fact]
    public async Task Callback_Receiver503Twice_RetriedPerCallbackRetryThenFinal()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.KaleyraRetryIntervalScale = 0.01, Ct);
        sim.Receiver.FailNext(2);
        var callback = sim.CallbackJson(extra: """ "retry":{"count":"3","interval":["10","10","10"]}""");

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = callback }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var accepted = await sim.Receiver.WaitForAcceptedAsync(2, ct: Ct);
        Assert.Equal(["Sent", "Delivered"], accepted.Select(r => r.Fields["status"]));
        Assert.Equal([503, 503, 200, 200], sim.Receiver.Received.Select(r => r.AnsweredStatus));
        Assert.Equal(["Sent", "Sent", "Sent", "Delivered"], sim.Receiver.Received.Select(r => r.Fields["status"]));
        var at = sim.Receiver.Received.Select(r => r.At).ToArray();
        Assert.True(at[1] - at[0] >= TimeSpan.FromMilliseconds(90), $"first retry after {at[1] - at[0]}");
        Assert.True(at[2] - at[1] >= TimeSpan.FromMilliseconds(90), $"second retry after {at[2] - at[1]}");

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrDelivered == 2, ct: Ct);
        var logged = sim.Host.Inspector.GetCallbacks().OrderBy(c => c.Id).ToArray();
        Assert.Equal(["Sent", "Delivered"], logged.Select(c => c.Event));
        Assert.Equal([503, 503, 200], logged[0].Attempts.Select(a => a.Status ?? 0));
        Assert.Equal(2, sim.Host.Inspector.GetStats().DlrRetries);
    }

    [Fact]
    public async Task Callback_RetryCountExhausted_GivesUpSentThenStillSendsFinal()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.KaleyraRetryIntervalScale = 0.001, Ct);
        sim.Receiver.FailNext(2);
        var callback = sim.CallbackJson(extra: """ "retry":{"count":1,"interval":[5]}""");

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = callback }, Ct);

        var accepted = Assert.Single(await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct));
        Assert.Equal("Delivered", accepted.Fields["status"]);
        Assert.Equal([503, 503, 200], sim.Receiver.Received.Select(r => r.AnsweredStatus));
        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrDelivered == 1, ct: Ct);
        var logged = sim.Host.Inspector.GetCallbacks().OrderBy(c => c.Id).ToArray();
        Assert.Equal(CallbackResult.Failed, logged[0].Result);
        Assert.Equal(CallbackResult.Delivered, logged[1].Result);
        Assert.Equal(1, sim.Host.Inspector.GetStats().DlrFailed);
    }

    [Fact]
    public async Task Callback_NoRetrySpec_UsesSimulatorDefaults()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DlrRetryCount = 1, Ct);
        sim.Receiver.FailNext(int.MaxValue);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = sim.CallbackJson() }, Ct);

        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrFailed == 2, ct: Ct);
        Assert.Equal(4, sim.Receiver.Received.Count);
        Assert.All(sim.Host.Inspector.GetCallbacks(), c => Assert.Equal(2, c.Attempts.Count));
    }

    [Fact]
    public async Task Callback_Receiver400_NotRetried()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.KaleyraRetryIntervalScale = 0.001, Ct);
        sim.Receiver.FailNext(1, 400);
        var callback = sim.CallbackJson(extra: """ "retry":{"count":"3","interval":["10"]}""");

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = callback }, Ct);

        await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct);
        Assert.Equal([400, 200], sim.Receiver.Received.Select(r => r.AnsweredStatus));
        Assert.Equal(["Sent", "Delivered"], sim.Receiver.Received.Select(r => r.Fields["status"]));
    }

    [Fact]
    public async Task Callbacks_ShowInInspectionWithFaceAndEvent()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = sim.CallbackJson() }, Ct);
        var messageId = (await response.ReadJsonAsync(Ct)).GetProperty("data")[0].GetProperty("message_id").GetString();
        await Eventually.TrueAsync(() => sim.Host.Inspector.GetStats().DlrDelivered == 2, ct: Ct);

        var callbacks = await sim.GetJsonAsync("_sim/callbacks", Ct);

        Assert.Equal(2, callbacks.GetArrayLength());
        var newest = callbacks[0];
        Assert.Equal(messageId, newest.GetProperty("messageId").GetString());
        Assert.Equal("Delivered", newest.GetProperty("event").GetString());
        Assert.Equal("kaleyra", newest.GetProperty("face").GetString());
        Assert.Equal("POST", newest.GetProperty("method").GetString());
        Assert.Equal("application/x-www-form-urlencoded", newest.GetProperty("contentType").GetString());
        Assert.Contains("status=Delivered", newest.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal("delivered", newest.GetProperty("result").GetString());
        Assert.Equal("Sent", callbacks[1].GetProperty("event").GetString());
    }

    [Fact]
    public async Task StopAsync_WithPendingKaleyraCallbacks_CancelsSentAndFinal()
    {
        var sim = await SimulatorHarness.StartAsync(o => o.DlrDelay = TimeSpan.FromMinutes(10), Ct);
        await using (sim)
        {
            using var response = await sim.KaleyraSendAsync(
                new Dictionary<string, string> { ["to"] = "+919876543210,+919876543211", ["callback"] = sim.CallbackJson() }, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            await sim.Host.StopAsync(Ct);

            var callbacks = sim.Host.Inspector.GetCallbacks();
            Assert.Equal(4, callbacks.Count);
            Assert.All(callbacks, c => Assert.Equal(CallbackResult.Cancelled, c.Result));
            Assert.Empty(sim.Receiver.Received);
        }
    }
}
