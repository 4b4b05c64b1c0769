using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Tests.Campaigns;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Links;

/// <summary>Short links over real HTTP and a real database: made at intake, followed, clicks counted on the message, the contact and the campaign.</summary>
public abstract partial class ShortLinkTests(TestDatabase database) : IAsyncLifetime
{
    // 20 characters: {base}/l/{7-character code} is exactly DLT's 30-character variable.
    private const string PublicBase = "https://hrld.example";

    private static readonly IHttpClientFactory Clients = new ServiceCollection()
        .AddHttpClient("browser").ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = false }).Services
        .BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    private readonly ConcurrentQueue<string> _bodies = new();
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;
    private HttpClient _browser = null!;
    private string _provider = null!;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            _bodies.Enqueue(form["body"].ToString());
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:PublicBaseUrl"] = PublicBase,
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Herald:Campaigns:PollInterval"] = "00:00:00.050",
        });
        var provider = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }), HttpStatusCode.Created);
        _provider = provider["id"]!.GetValue<string>();
        // A phone's browser: redirects are looked at, not followed.
        _browser = Clients.CreateClient("browser");
        _browser.BaseAddress = _herald.BaseUrl;
    }

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task Send_BodyWithUrl_SendsAShortLinkThatRedirectsToTheLongUrl()
    {
        var ct = TestContext.Current.CancellationToken;
        var sent = await SendAsync(new { to = "+4915155000001", body = "Your order: https://shop.example/orders/42?ref=sms. Thanks!", type = "txn" });

        var message = await _herald.WaitForStatusAsync(sent, "accepted");
        var body = message["body"]!.GetValue<string>();
        var code = CodeIn(body);
        Assert.Equal($"Your order: {PublicBase}/l/{code}. Thanks!", body);
        Assert.Contains(body, _bodies);
        Assert.InRange(code.Length, 6, 8);

        using var response = await FollowAsync(code, "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile", ct);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("https://shop.example/orders/42?ref=sms", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Send_ShortenLinksOff_KeepsTheUrlAsWritten()
    {
        var sent = await SendAsync(new { to = "+4915155000002", body = "See https://shop.example/a", type = "txn", shortenLinks = false });
        Assert.Equal("See https://shop.example/a", (await _herald.WaitForStatusAsync(sent, "accepted"))["body"]!.GetValue<string>());

        // A provider that shortens links itself: its switch keeps every message's links long.
        var provider = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/providers/{_provider}"), HttpStatusCode.OK);
        Assert.True(provider["shortenLinks"]!.GetValue<bool>());
        var updated = await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{_provider}", new
        {
            nickname = "Stub", kind = "generic", settings = provider["settings"], shortenLinks = false,
        }), HttpStatusCode.OK);
        Assert.False(updated["shortenLinks"]!.GetValue<bool>());
        var again = await SendAsync(new { to = "+4915155000002", body = "See https://shop.example/b", type = "txn" });
        Assert.Equal("See https://shop.example/b", (await _herald.WaitForStatusAsync(again, "accepted"))["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_DltVariableHoldsALink_TheCheckCountsTheShortLink()
    {
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates", new
        {
            templateId = "1107161234567890123", entityId = "1201159876543210", header = "SHOPIN", category = "transactional", text = "Track your order at {#var#} - SHOPIN",
        }), HttpStatusCode.Created);
        const string longBody = "Track your order at https://shop.example.com/orders/123456789/track - SHOPIN";

        var shortened = await SendAsync(new { to = "+919876543210", body = longBody, type = "txn", templateId = "1107161234567890123", sender = "SHOPIN" });
        var kept = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages", new
        {
            to = "+919876543211", body = longBody, type = "txn", templateId = "1107161234567890123", sender = "SHOPIN", shortenLinks = false,
        }), HttpStatusCode.Accepted);

        var message = await _herald.WaitForStatusAsync(shortened, "accepted");
        Assert.Equal(30, $"{PublicBase}/l/{CodeIn(message["body"]!.GetValue<string>())}".Length);
        Assert.Equal(("rejected", "dlt-mismatch"), (kept["status"]!.GetValue<string>(), kept["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Click_PersonBotAndHead_OneClickOnTheMessageTheContactAndTheReport()
    {
        var ct = TestContext.Current.CancellationToken;
        await TestContacts.SeedAsync(_herald, 1);
        var campaign = (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Sale", allContacts = true, body = "Sale today: https://shop.example/sale", type = "mkt", provider = "Stub",
        }, ct), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/campaigns/{campaign}/launch", null, ct), HttpStatusCode.OK);
        var messageId = await Eventually(async () =>
            (await GetAsync($"/api/v1/campaigns/{campaign}/recipients"))["items"]!.AsArray().FirstOrDefault()?["messageId"]?.GetValue<string>());
        var message = await _herald.WaitForStatusAsync(messageId, "accepted");
        var code = CodeIn(message["body"]!.GetValue<string>());

        using (var person = await FollowAsync(code, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1", ct))
        using (var whatsApp = await FollowAsync(code, "WhatsApp/2.24.24.76 A", ct))
        using (var slack = await FollowAsync(code, "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", ct))
        using (var head = await FollowAsync(code, "Mozilla/5.0 (iPhone) Safari/604.1", ct, HttpMethod.Head))
        {
            Assert.All(new[] { person, whatsApp, slack, head }, r => Assert.Equal(HttpStatusCode.Found, r.StatusCode));
        }

        var report = await Eventually(async () => await GetAsync($"/api/v1/campaigns/{campaign}/report") is var r && r["clicks"]!.GetValue<long>() > 0 ? r : null);
        var events = await Eventually(async () => (await GetAsync("/api/v1/contacts/ct_0/events"))["items"]!.AsArray()
            .Where(e => e!["name"]?.GetValue<string>() == "clicked").ToList() is { Count: > 0 } found ? found : null);
        await Task.Delay(500, ct); // the preview and HEAD requests had time to be counted, if they were
        var timeline = (await _herald.GetMessageAsync(messageId))["timeline"]!.AsArray().Where(e => e!["event"]!.GetValue<string>() == "clicked").ToList();

        Assert.Single(timeline);
        Assert.Equal("https://shop.example/sale", timeline[0]!["note"]!.GetValue<string>());
        Assert.Equal((1, 1), ((await GetAsync($"/api/v1/campaigns/{campaign}/report"))["clicks"]!.GetValue<long>(), report["clickedMessages"]!.GetValue<long>()));
        var clicked = Assert.Single(events)!["properties"]!.AsObject();
        Assert.Equal((messageId, "https://shop.example/sale", campaign),
            (clicked["messageId"]!.GetValue<string>(), clicked["url"]!.GetValue<string>(), clicked["campaignId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Follow_UnknownCode_PlainNotFoundPage()
    {
        var ct = TestContext.Current.CancellationToken;
        using var unknown = await FollowAsync("Zz9Zz9Z", "Mozilla/5.0", ct);
        using var notACode = await FollowAsync("not-a-code!", "Mozilla/5.0", ct);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("text/html", unknown.Content.Headers.ContentType!.MediaType);
        Assert.Contains("This link does not exist", await unknown.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, notACode.StatusCode);
    }

    private async Task<string> SendAsync(object message) =>
        (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages", message), HttpStatusCode.Accepted))["id"]!.GetValue<string>();

    private async Task<HttpResponseMessage> FollowAsync(string code, string userAgent, CancellationToken ct, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"/l/{Uri.EscapeDataString(code)}");
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        return await _browser.SendAsync(request, ct);
    }

    private async Task<JsonObject> GetAsync(string path) => await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync(path), HttpStatusCode.OK);

    private static Task<T> Eventually<T>(Func<Task<T?>> probe) where T : class => TestHttp.EventuallyAsync(probe, "the click to be recorded");

    private static string CodeIn(string body) => ShortLink().Match(body) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"No short link in \"{body}\"");

    [GeneratedRegex(@"https://hrld\.example/l/([A-Za-z0-9]+)")]
    private static partial Regex ShortLink();
}

public sealed class SqliteShortLinkTests() : ShortLinkTests(TestDatabase.Sqlite);

public sealed class PostgresShortLinkTests() : ShortLinkTests(TestDatabase.Postgres);
