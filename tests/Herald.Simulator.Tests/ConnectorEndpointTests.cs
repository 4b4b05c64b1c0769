using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Herald.Simulator.Inspection;
using Herald.Simulator.Tests.Infrastructure;

namespace Herald.Simulator.Tests;

public sealed class ConnectorEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Send_ValidForm_Returns200WithIdAndEchoedMessageId()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.SendAsync(messageId: "ct-msg-1", ct: Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.ReadJsonAsync(Ct);
        Assert.Equal("ct-msg-1", json.GetProperty("message_id").GetString());
        Assert.Equal("accepted", json.GetProperty("status").GetString());
        var id = json.GetProperty("id").GetString()!;
        Assert.EndsWith(":1", id, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(id[..^2], out _), $"id '{id}' should be '<uuid>:1'");
    }

    [Fact]
    public async Task Send_ValidForm_PostsDeliveredDlrWithMetaAndEpochSeconds()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var before = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();

        using var response = await sim.SendAsync(messageId: "ct-msg-dlr", ct: Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var callback = Assert.Single(await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct));
        Assert.Equal("POST", callback.Method);
        Assert.Equal("application/json", callback.ContentType);
        using var body = JsonDocument.Parse(callback.Body);
        var group = Assert.Single(body.RootElement.EnumerateArray());
        Assert.Equal("delivered", group.GetProperty("event").GetString());
        var data = Assert.Single(group.GetProperty("data").EnumerateArray());
        Assert.Equal("ct-msg-dlr", data.GetProperty("meta").GetString());
        Assert.Equal("Delivered to handset", data.GetProperty("description").GetString());
        Assert.False(data.TryGetProperty("code", out _));
        var ts = data.GetProperty("ts").GetInt64();
        Assert.InRange(ts, before - 1, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 1);
        Assert.Equal(10, ts.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
    }

    [Fact]
    public async Task Send_DeliveryRateZero_PostsFailedDlrWithOperatorCode()
    {
        await using var sim = await SimulatorHarness.StartAsync(o => o.DeliveryRate = 0, Ct);

        using var response = await sim.SendAsync(messageId: "ct-msg-fail", ct: Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var callback = Assert.Single(await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct));
        var data = DlrData(callback, out var @event);
        Assert.Equal("failed", @event);
        Assert.Equal("ct-msg-fail", data.GetProperty("meta").GetString());
        Assert.Contains(data.GetProperty("code").GetString(), new[] { "914", "905", "910", "912" });
        Assert.False(string.IsNullOrEmpty(data.GetProperty("description").GetString()));
    }

    [Fact]
    public async Task Send_MissingApiKey_Returns401NamingHeader()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend();
        request.Headers.Remove("api-key");

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await response.ReadJsonAsync(Ct)).GetProperty("error");
        Assert.Equal("unauthorized", error.GetProperty("code").GetString());
        Assert.Contains("api-key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("missing", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WrongApiKey_Returns401AndNoDlr()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend();
        request.Headers.Remove("api-key");
        request.Headers.TryAddWithoutValidation("api-key", "not-the-key");

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await response.ReadJsonAsync(Ct)).GetProperty("error");
        Assert.Equal("unauthorized", error.GetProperty("code").GetString());
        Assert.Contains("api-key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var stats = sim.Host.Inspector.GetStats();
        Assert.Equal(1, stats.Rejected);
        Assert.Equal(0, stats.DlrQueued);
    }

    [Fact]
    public async Task Send_WrongSid_Returns401NamingSid()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend();
        request.Headers.Remove("sid");
        request.Headers.TryAddWithoutValidation("sid", "OTHER");

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var message = (await response.ReadJsonAsync(Ct)).GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("sid", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_MissingCallbackUrl_Returns400NamingHeader()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend();
        request.Headers.Remove("callback_url");

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync(Ct)).GetProperty("error");
        Assert.Equal("missing_header", error.GetProperty("code").GetString());
        Assert.Equal("callback_url", error.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/relative/path")]
    [InlineData("ftp://example.com/dlr")]
    [InlineData("not a url")]
    public async Task Send_InvalidCallbackUrl_Returns400(string callbackUrl)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend();
        request.Headers.Remove("callback_url");
        request.Headers.TryAddWithoutValidation("callback_url", callbackUrl);

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync(Ct)).GetProperty("error");
        Assert.Equal("invalid_header", error.GetProperty("code").GetString());
        Assert.Equal("callback_url", error.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("to")]
    [InlineData("message_id")]
    [InlineData("body")]
    public async Task Send_MissingField_Returns400NamingField(string field)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend(extraFields: new Dictionary<string, string> { [field] = "" });

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync(Ct)).GetProperty("error");
        Assert.Equal("missing_field", error.GetProperty("code").GetString());
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.Contains(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_NoBodyButTemplateId_Returns200()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend(extraFields: new Dictionary<string, string> { ["body"] = "", ["template_id"] = "1107160000000012345" });

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("+1234567890123456")]
    [InlineData("91987654321x")]
    [InlineData("+91987654321,+91987654322")]
    public async Task Send_ImplausibleNumber_Returns400NamingTo(string to)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.SendAsync(to, ct: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync(Ct)).GetProperty("error");
        Assert.Equal("to", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Send_JsonBody_Returns200AndDlr()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "connector/sms")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["to"] = 919876543210,
                ["body"] = "hello",
                ["message_id"] = "ct-json-1",
            }),
        };
        sim.AddHeaders(request);

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ct-json-1", (await response.ReadJsonAsync(Ct)).GetProperty("message_id").GetString());
        var callback = Assert.Single(await sim.Receiver.WaitForAcceptedAsync(1, ct: Ct));
        Assert.Equal("ct-json-1", DlrData(callback, out _).GetProperty("meta").GetString());
    }

    [Fact]
    public async Task Send_InvalidJsonBody_Returns400InvalidBody()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "connector/sms")
        {
            Content = new StringContent("{\"to\":", Encoding.UTF8, "application/json"),
        };
        sim.AddHeaders(request);

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_body", (await response.ReadJsonAsync(Ct)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Send_GetWithQueryString_Returns200()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "connector/sms?to=%2B919876543210&body=hi%20there&message_id=ct-get-1");
        sim.AddHeaders(request);

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ct-get-1", (await response.ReadJsonAsync(Ct)).GetProperty("message_id").GetString());
    }

    [Fact]
    public async Task Send_WithBasicAuth_AcceptedAndAuthorizationRecorded()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewSend();
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user:pass")));

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var recorded = Assert.Single(sim.Host.Inspector.GetRequests());
        Assert.StartsWith("Basic ", recorded.Headers["Authorization"], StringComparison.Ordinal);
        Assert.Equal("api.in.kaleyra.io", recorded.Headers["kaleyra-host"]);
    }

    [Theory]
    [InlineData("+919876543210", true, "919876543210")]
    [InlineData("919876543210", true, "919876543210")]
    [InlineData(" +1 (555) 000-0001 ", true, "15550000001")]
    [InlineData("1234567", false, "")]
    [InlineData("1234567890123456", false, "")]
    [InlineData("++919876543210", false, "")]
    [InlineData("abc", false, "")]
    public void TryGetDigits_Various_ParsesPlausibleNumbers(string to, bool expected, string expectedDigits)
    {
        var ok = Connector.ConnectorEndpoint.TryGetDigits(to, out var digits);

        Assert.Equal(expected, ok);
        if (expected)
        {
            Assert.Equal(expectedDigits, digits);
        }
    }

    internal static JsonElement DlrData(ReceivedCallback callback, out string? @event)
    {
        using var body = JsonDocument.Parse(callback.Body);
        var group = Assert.Single(body.RootElement.EnumerateArray());
        @event = group.GetProperty("event").GetString();
        return Assert.Single(group.GetProperty("data").EnumerateArray()).Clone();
    }
}
