using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests;

/// <summary>POST|GET /dlr/{providerId}/{token}: the CleverTap callback format, tokens, ordering and idempotency.</summary>
public sealed class DeliveryReportTests : IAsyncLifetime
{
    private readonly SimulatorOptions _options = new() { Urls = "http://127.0.0.1:0", DlrDelay = TimeSpan.FromMilliseconds(20), Seed = 1 };
    private HeraldInstance _herald = null!;
    private SimulatorHost _simulator = null!;

    public async ValueTask InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(_options);
        _herald = await HeraldInstance.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    /// <summary>A provider and an accepted message whose DLR the simulator never sends (number ending 0007).</summary>
    private async Task<(string CallbackUrl, string MessageId)> AcceptedMessageAsync()
    {
        var provider = await _herald.CreateSeedProviderAsync(_simulator, _options);
        var result = await _herald.TestSmsAsync(provider["id"]!.GetValue<string>(), "9812340007");
        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        return (provider["callbackUrl"]!.GetValue<string>(), result["messageId"]!.GetValue<string>());
    }

    private static StringContent CleverTap(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Event(string name, string meta, string extra = "") =>
        $$"""[{"event":"{{name}}","data":[{"ts":1654512921,"meta":"{{meta}}"{{extra}}}]}]""";

    [Fact]
    public async Task Dlr_KaleyraKindProvider_ReadsKaleyraFieldsAndRefusesCleverTapsFormat()
    {
        var provider = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Kaleyra_Native",
            kind = "kaleyra",
            settings = new { apiKey = _options.ApiKey, sid = _options.Sid, host = _simulator.BaseUrl.ToString().TrimEnd('/'), allowCustomHost = true, sender = "KLRHXA" },
        }), HttpStatusCode.Created);
        var callbackUrl = provider["callbackUrl"]!.GetValue<string>();
        var sent = await _herald.TestSmsAsync(provider["id"]!.GetValue<string>(), "9812340007");
        Assert.Equal("accepted", sent["outcome"]!.GetValue<string>());
        var messageId = sent["messageId"]!.GetValue<string>();

        // The callback URL names the provider, so its kind reads the report: CleverTap's format is not Kaleyra's.
        var cleverTap = await _herald.Anonymous.PostAsync(callbackUrl, CleverTap(Event("delivered", messageId)));
        Assert.Equal(HttpStatusCode.BadRequest, cleverTap.StatusCode);
        Assert.Contains("Kaleyra", JsonNode.Parse(await cleverTap.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
        Assert.Equal("accepted", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());

        var kaleyra = await _herald.Anonymous.PostAsync(callbackUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id"] = "kal-1:1", ["status"] = "Delivered", ["status_details"] = "DELIVRD", ["ref"] = messageId,
        }));
        Assert.Equal(HttpStatusCode.OK, kaleyra.StatusCode);
        Assert.Equal(1, JsonNode.Parse(await kaleyra.Content.ReadAsStringAsync())!["processed"]!.GetValue<int>());
        Assert.Equal("delivered", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_GenericProvider_TakesKaleyraFieldsAsWellAsCleverTaps()
    {
        var (callbackUrl, messageId) = await AcceptedMessageAsync();

        var kaleyra = await _herald.Anonymous.GetAsync($"{callbackUrl}?id=kal-2:1&status=Delivered&ref={messageId}");

        Assert.Equal(HttpStatusCode.OK, kaleyra.StatusCode);
        Assert.Equal("delivered", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_WrongToken_Is404WithoutSayingWhetherTheProviderExists()
    {
        var (callbackUrl, messageId) = await AcceptedMessageAsync();
        var wrongToken = callbackUrl[..callbackUrl.LastIndexOf('/')] + "/AAAAAAAAAAAAAAAAAAAAAA";
        var unknownProvider = new Uri(_herald.BaseUrl, "/dlr/prv_doesnotexist/AAAAAAAAAAAAAAAAAAAAAA").ToString();

        var a = await _herald.Anonymous.PostAsync(wrongToken, CleverTap(Event("delivered", messageId)));
        var b = await _herald.Anonymous.PostAsync(unknownProvider, CleverTap(Event("delivered", messageId)));

        Assert.Equal(HttpStatusCode.NotFound, a.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, b.StatusCode);
        Assert.Equal(JsonNode.Parse(await a.Content.ReadAsStringAsync())!["detail"]!.ToString(), JsonNode.Parse(await b.Content.ReadAsStringAsync())!["detail"]!.ToString());
        Assert.Equal("accepted", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_MalformedJson_Is400AndTheRawBodyIsKept()
    {
        var (callbackUrl, _) = await AcceptedMessageAsync();
        var response = await _herald.Anonymous.PostAsync(callbackUrl, CleverTap("[{\"event\":\"delivered\",\"data\":[{"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("fail", body["status"]!.GetValue<string>());
        Assert.Contains("JSON", body["error"]!.GetValue<string>());

        var inbox = _herald.Services.GetRequiredService<Herald.Storage.IDlrInbox>();
        var stored = await inbox.RecentAsync(null, 5, TestContext.Current.CancellationToken);
        Assert.Contains(stored, i => i.Body.StartsWith("[{\"event\":\"delivered\",\"data\":[{", StringComparison.Ordinal) && i.ProcessedAt is not null);
    }

    [Fact]
    public async Task Dlr_UnknownMeta_IsPartialWithTheRecordUnprocessed()
    {
        var (callbackUrl, messageId) = await AcceptedMessageAsync();
        var body = $$"""[{"event":"delivered","data":[{"ts":1654512921,"meta":"{{messageId}}"},{"ts":1654512921,"meta":"nope"}]}]""";
        var response = await _herald.Anonymous.PostAsync(callbackUrl, CleverTap(body));
        var answer = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal("partial", answer["status"]!.GetValue<string>());
        Assert.Equal(1, answer["processed"]!.GetValue<int>());
        var unprocessed = answer["unprocessed"]!.AsArray().Single()!;
        Assert.Equal("unknown_message", unprocessed["code"]!.GetValue<string>());
        Assert.Equal("nope", unprocessed["record"]!["meta"]!.GetValue<string>());
        await _herald.WaitForStatusAsync(messageId, "delivered");
    }

    [Fact]
    public async Task Dlr_DuplicateAndLateReports_ChangeNothingButStayOnTheTimeline()
    {
        var (callbackUrl, messageId) = await AcceptedMessageAsync();
        foreach (var json in new[]
        {
            Event("delivered", messageId, ",\"description\":\"Delivered to handset\""),
            Event("delivered", messageId, ",\"description\":\"Delivered to handset\""),
            Event("failed", messageId, ",\"code\":\"914\",\"description\":\"Undelivered\""),
            Event("clicked", messageId, ",\"url\":\"https://shop.example/cart\""),
        })
        {
            var answer = await HeraldInstance.ReadObjectAsync(await _herald.Anonymous.PostAsync(callbackUrl, CleverTap(json)), HttpStatusCode.OK);
            Assert.Equal("success", answer["status"]!.GetValue<string>());
        }
        var message = await _herald.GetMessageAsync(messageId);
        Assert.Equal("delivered", message["status"]!.GetValue<string>());
        var dlrs = message["timeline"]!.AsArray().Where(e => e!["source"]!.GetValue<string>() == "dlr").Select(e => e!["result"]!.GetValue<string>());
        Assert.Equal(["delivered", "ignored", "ignored", "recorded"], dlrs);
    }

    [Fact]
    public async Task Dlr_ArrivingBeforeTheSendResponse_StillApplies()
    {
        // A provider that delivers the report before it answers the send.
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            var client = context.RequestServices.GetRequiredService<IHttpClientFactory>().CreateClient();
            var report = await client.PostAsync(context.Request.Headers["callback_url"].ToString(),
                CleverTap(Event("delivered", form["message_id"].ToString())));
            report.EnsureSuccessStatusCode();
            await context.Response.WriteAsJsonAsync(new { id = "early-1" });
        });
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Early",
            kind = "generic",
            settings = new
            {
                endpoint = stub.Url.ToString(),
                headers = new[] { new { key = "callback_url", value = "https://placeholder.invalid/" } },
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var settings = created["settings"]!.AsObject();
        settings["headers"]![0]!["value"] = created["callbackUrl"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{id}",
            new { nickname = "Early", kind = "generic", settings }), HttpStatusCode.OK);

        var result = await _herald.TestSmsAsync(id, "9812345678", dynamicFields: new { });

        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        Assert.Equal("delivered", result["status"]!.GetValue<string>());
        var message = await _herald.GetMessageAsync(result["messageId"]!.GetValue<string>());
        Assert.Equal("early-1", message["providerMessageId"]!.GetValue<string>());
        Assert.Equal(["queued", "dispatching", "delivered", "ignored"], message["timeline"]!.AsArray().Select(e => e!["result"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Dlr_GetWithCleverTapBodyInPost_AndFailedWithoutCode_IsUnprocessed()
    {
        var (callbackUrl, messageId) = await AcceptedMessageAsync();
        var answer = await HeraldInstance.ReadObjectAsync(
            await _herald.Anonymous.PostAsync(callbackUrl, CleverTap(Event("failed", messageId))), HttpStatusCode.OK);
        Assert.Equal("fail", answer["status"]!.GetValue<string>());
        Assert.Equal("missing_code", answer["unprocessed"]![0]!["code"]!.GetValue<string>());
        Assert.Equal("accepted", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_StoredButNotAppliedBeforeACrash_IsAppliedAtTheNextStart()
    {
        var (callbackUrl, messageId) = await AcceptedMessageAsync();
        var providerId = callbackUrl.Split('/')[^2];
        // What a crash between "stored" and "applied" leaves behind: an unprocessed inbox row.
        var inbox = _herald.Services.GetRequiredService<Herald.Storage.IDlrInbox>();
        await using (var batch = await inbox.BeginBatchAsync(TestContext.Current.CancellationToken))
        {
            await batch.StoreAsync([new Herald.Storage.Records.DlrInboxItem
            {
                ProviderId = providerId,
                ReceivedAt = TimeProvider.System.GetUtcNow(),
                Method = "POST",
                ContentType = "application/json",
                Body = Event("delivered", messageId),
                Query = "",
            }], TestContext.Current.CancellationToken);
            await batch.CommitAsync(TestContext.Current.CancellationToken);
        }

        _herald = await _herald.RestartAsync();

        await _herald.WaitForStatusAsync(messageId, "delivered");
        Assert.Empty(await _herald.Services.GetRequiredService<Herald.Storage.IDlrInbox>().PendingAsync(10, TestContext.Current.CancellationToken));
    }
}
