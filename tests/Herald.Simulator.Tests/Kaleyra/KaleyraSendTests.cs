using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Herald.Simulator.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Simulator.Tests.Kaleyra;

public sealed class KaleyraSendTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Send_OneRecipient_Returns200InDocumentedShape()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(ct: Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.ReadJsonAsync(Ct);
        Assert.Equal(
            ["id", "sender", "type", "body", "createdDateTime", "totalCount", "data", "dlrurl", "error"],
            json.EnumerateObject().Select(p => p.Name));
        var id = json.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal("HERALD", json.GetProperty("sender").GetString());
        Assert.Equal("OTP", json.GetProperty("type").GetString());
        Assert.Equal("Your OTP is 123456", json.GetProperty("body").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00:00$", json.GetProperty("createdDateTime").GetString());
        Assert.Equal(1, json.GetProperty("totalCount").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("dlrurl").ValueKind);
        Assert.Equal(JsonValueKind.Object, json.GetProperty("error").ValueKind);
        Assert.Empty(json.GetProperty("error").EnumerateObject());
        var item = Assert.Single(json.GetProperty("data").EnumerateArray());
        Assert.Equal(["message_id", "recipient"], item.EnumerateObject().Select(p => p.Name));
        Assert.Equal($"{id}:1", item.GetProperty("message_id").GetString());
        Assert.Equal("919876543210", item.GetProperty("recipient").GetString());
    }

    [Fact]
    public async Task Send_ThreeRecipients_IdsNumberedFromOneRecipientsWithoutPlus()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string> { ["to"] = "+919876543210, 919876543211,+14155550100" }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync(Ct);
        var id = json.GetProperty("id").GetString();
        Assert.Equal(3, json.GetProperty("totalCount").GetInt32());
        var data = json.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal([$"{id}:1", $"{id}:2", $"{id}:3"], data.Select(d => d.GetProperty("message_id").GetString()));
        Assert.Equal(["919876543210", "919876543211", "14155550100"], data.Select(d => d.GetProperty("recipient").GetString()));
    }

    [Fact]
    public async Task Send_DefaultTypeAndMessagesPath_AnswersDefaultType()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewKaleyraSend(new Dictionary<string, string> { ["type"] = "" }, endpoint: "messages");

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DEFAULT", (await response.ReadJsonAsync(Ct)).GetProperty("type").GetString());
        Assert.Equal($"/v1/{SimulatorHarness.Sid}/messages", Assert.Single(sim.Host.Inspector.GetRequests()).Path);
    }

    [Fact]
    public async Task Send_FakeClock_CreatedDateTimeFromTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2019, 11, 4, 16, 12, 23, TimeSpan.FromHours(5.5)));
        await using var sim = await SimulatorHarness.StartAsync(null, time, Ct);

        using var response = await sim.KaleyraSendAsync(ct: Ct);

        Assert.Equal("2019-11-04 10:42:23+00:00", (await response.ReadJsonAsync(Ct)).GetProperty("createdDateTime").GetString());
    }

    [Fact]
    public async Task Send_JsonBody_Accepted()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, SimulatorHarness.KaleyraPath())
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["to"] = "919876543210,919876543211",
                ["sender"] = "HERALD",
                ["body"] = "hello",
                ["type"] = "txn",
                ["template_id"] = "1107160000000012345",
                ["callback"] = new Dictionary<string, object> { ["url"] = sim.Receiver.Url.ToString(), ["method"] = "POST" },
            }),
        };
        request.Headers.TryAddWithoutValidation("api-key", SimulatorHarness.ApiKey);

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync(Ct);
        Assert.Equal("TXN", json.GetProperty("type").GetString());
        Assert.Equal(2, json.GetProperty("totalCount").GetInt32());
        await sim.Receiver.WaitForAcceptedAsync(4, ct: Ct);
    }

    [Fact]
    public async Task Send_JsonArrayTo_Accepted()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, SimulatorHarness.KaleyraPath())
        {
            Content = new StringContent("""{"to":["+919876543210",919876543211],"body":"hi"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("api-key", SimulatorHarness.ApiKey);

        using var response = await sim.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.ReadJsonAsync(Ct)).GetProperty("totalCount").GetInt32());
    }

    [Fact]
    public async Task Send_101Recipients_Returns400NamingTo()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var to = string.Join(',', Enumerable.Range(0, 101).Select(i => $"+9198765{43100 + i}"));

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = to }, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal("to", error.GetProperty("field").GetString());
        Assert.Contains("100", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, sim.Host.Inspector.GetStats().KaleyraAccepted);
    }

    [Fact]
    public async Task Send_100Recipients_Accepted()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var to = string.Join(',', Enumerable.Range(0, 100).Select(i => $"+9198765{43100 + i}"));

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = to }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(100, (await response.ReadJsonAsync(Ct)).GetProperty("data").GetArrayLength());
        Assert.Equal(100, sim.Host.Inspector.GetStats().KaleyraRecipients);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Send_MissingOrWrongApiKey_Returns401(string? key)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewKaleyraSend();
        request.Headers.Remove("api-key");
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("api-key", key);
        }

        using var response = await sim.Client.SendAsync(request, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "E401");
        Assert.Contains("api-key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, sim.Host.Inspector.GetStats().DlrQueued);
    }

    [Fact]
    public async Task Send_UnknownSid_Returns404()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        using var request = sim.NewKaleyraSend(sid: "HXOTHER0001");

        using var response = await sim.Client.SendAsync(request, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.NotFound, "E404");
        Assert.Contains("HXOTHER0001", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TXN")]
    [InlineData("MKT")]
    [InlineData("txn")]
    public async Task Send_IndiaTxnOrMktWithoutTemplateId_Returns400NamingTemplateId(string type)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string> { ["to"] = "+14155550100,+919876543210", ["type"] = type }, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal("template_id", error.GetProperty("field").GetString());
        Assert.Contains("919876543210", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+14155550100", "TXN", null)]
    [InlineData("+919876543210", "OTP", null)]
    [InlineData("+919876543210", "DEFAULT", null)]
    [InlineData("919876543210", "TXN", "1107160000000012345")]
    public async Task Send_DltNotRequired_Accepted(string to, string type, string? templateId)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var fields = new Dictionary<string, string> { ["to"] = to, ["type"] = type };
        if (templateId is not null)
        {
            fields["template_id"] = templateId;
        }

        using var response = await sim.KaleyraSendAsync(fields, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("""{"method":"POST"}""")]
    [InlineData("""{"url":"ftp://example.com/dlr"}""")]
    [InlineData("""{"url":"/relative"}""")]
    [InlineData("""{"url":"https://example.com/dlr","method":"PUT"}""")]
    [InlineData("""{"url":"https://example.com/dlr","header":"x"}""")]
    [InlineData("""{"url":"https://example.com/dlr","retry":{"count":"many"}}""")]
    [InlineData("""{"url":"https://example.com/dlr","retry":{"count":"3","interval":"10"}}""")]
    [InlineData("""{"url":"https://example.com/dlr","retry":{"count":"3","interval":["-1"]}}""")]
    public async Task Send_BadCallback_Returns400NamingCallback(string callback)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { ["callback"] = callback }, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal("callback", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Send_UrlDataWithoutUrlPlaceholder_Returns400NamingUrlData()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string> { ["url_data"] = """{"shorten_url":1,"url":"https://shop.example/cart"}""", ["body"] = "See your cart" }, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal("url_data", error.GetProperty("field").GetString());
        Assert.Contains("{URL}", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_UrlDataWithUrlPlaceholder_Accepted()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string> { ["url_data"] = """{"shorten_url":1,"url":"https://shop.example/cart"}""", ["body"] = "See {URL}" }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("to", "", "to")]
    [InlineData("body", "", "body")]
    [InlineData("to", "+91987654321x", "to")]
    [InlineData("to", "12345", "to")]
    [InlineData("type", "PROMO", "type")]
    [InlineData("template_id", "12345", "template_id")]
    [InlineData("template_id", "11071600000000123x", "template_id")]
    [InlineData("campaign_name", "spring sale!", "campaign_name")]
    [InlineData("unicode", "yes", "unicode")]
    [InlineData("flash", "2", "flash")]
    [InlineData("time", "2030-01-01 10:00", "time")]
    [InlineData("time", "2020-01-01T10:00:00+05:30", "time")]
    [InlineData("url_data", "{bad", "url_data")]
    public async Task Send_InvalidField_Returns400NamingField(string name, string value, string field)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { [name] = value }, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.Contains(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ref")]
    [InlineData("ref1")]
    [InlineData("ref2")]
    public async Task Send_RefOver150Chars_Returns400NamingRef(string field)
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.KaleyraSendAsync(new Dictionary<string, string> { [field] = new string('r', 151) }, Ct);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "E400");
        Assert.Equal(field, error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Send_OptionalFieldsValid_Accepted()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        var time = TimeProvider.System.GetUtcNow().AddHours(2).ToOffset(TimeSpan.FromHours(5.5)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await sim.KaleyraSendAsync(
            new Dictionary<string, string>
            {
                ["body"] = "",
                ["template_id"] = "1107160000000012345",
                ["ref"] = new string('r', 150),
                ["unicode"] = "Auto",
                ["flash"] = "1",
                ["time"] = time,
                ["campaign_name"] = "spring_sale-2025",
                ["callback_profile_id"] = "profile-1",
            },
            Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await response.ReadJsonAsync(Ct)).GetProperty("body").ValueKind);
    }

    [Fact]
    public async Task Send_Accepted_RecordedInRequestLogAndStats()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using (await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876543210,+919876543211", ["ref"] = "r-1" }, Ct))
        using (await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876543210", ["ref"] = "r-1" }, Ct))
        using (await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876543210", ["ref"] = "r-2" }, Ct))
        using (await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876540002", ["ref"] = "r-3" }, Ct))
        using (await sim.KaleyraSendAsync(new Dictionary<string, string> { ["to"] = "+919876543210" }, Ct))
        {
        }

        var stats = await sim.GetJsonAsync("_sim/stats", Ct);
        Assert.Equal(5, stats.GetProperty("received").GetInt64());
        Assert.Equal(4, stats.GetProperty("accepted").GetInt64());
        Assert.Equal(1, stats.GetProperty("rejected").GetInt64());
        Assert.Equal(5, stats.GetProperty("kaleyraRequests").GetInt64());
        Assert.Equal(4, stats.GetProperty("kaleyraAccepted").GetInt64());
        Assert.Equal(5, stats.GetProperty("kaleyraRecipients").GetInt64());
        Assert.Equal(1, stats.GetProperty("byRef").GetProperty("duplicates").GetInt64());
        Assert.Equal(3, stats.GetProperty("byRef").GetProperty("distinct").GetInt64());
        Assert.Equal(0, stats.GetProperty("byMessageId").GetProperty("distinct").GetInt64());

        var requests = await sim.GetJsonAsync("_sim/requests", Ct);
        Assert.Equal(5, requests.GetArrayLength());
        var oldest = requests[4];
        Assert.Equal($"/v1/{SimulatorHarness.Sid}/sms", oldest.GetProperty("path").GetString());
        Assert.Contains("ref=r-1", oldest.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal(SimulatorHarness.ApiKey, oldest.GetProperty("headers").GetProperty("api-key").GetString());
        Assert.Contains("\"totalCount\":2", oldest.GetProperty("response").GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    internal static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var error = (await response.ReadJsonAsync()).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        return error;
    }
}
