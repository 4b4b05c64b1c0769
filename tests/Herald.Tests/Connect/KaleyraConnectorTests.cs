using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Storage;
using Herald.Storage.Records;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Connect;

/// <summary>
/// <c>POST /connect/kaleyra</c> over real HTTP against a stub Kaleyra and a CleverTap stand-in: forwarding, Kaleyra's
/// callbacks, CleverTap-format relays (retries, batching, restarts) and the connector's security.
/// </summary>
public abstract class KaleyraConnectorTests(TestDatabase database) : IAsyncLifetime
{
    protected const string ApiKey = "kaleyra-api-key-0123456789";
    protected const string Sid = "HXIN1234567890";

    protected HeraldInstance Herald { get; set; } = null!;
    protected StubKaleyra Kaleyra { get; private set; } = null!;
    protected CleverTapReceiver CleverTap { get; private set; } = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Kaleyra = await StubKaleyra.StartAsync();
        CleverTap = await CleverTapReceiver.StartAsync();
        Herald = await HeraldInstance.StartAsync(database, extra: Settings());
    }

    public async ValueTask DisposeAsync()
    {
        await Herald.DisposeAsync();
        await CleverTap.DisposeAsync();
        await Kaleyra.DisposeAsync();
    }

    /// <summary>
    /// Extra servers with other connector settings use SQLite: what they test does not depend on the database, and
    /// the class's own server already covers <see cref="TestDatabase"/>.
    /// </summary>
    protected const TestDatabase SecondInstance = TestDatabase.Sqlite;

    protected Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Herald:Connector:Kaleyra:AdditionalHosts:0"] = Kaleyra.HostPort,
            ["Herald:Connector:Kaleyra:AdditionalCallbackHosts:0"] = "127.0.0.1",
            ["Herald:Connector:Kaleyra:RelayRetryBaseDelay"] = "00:00:00.050",
            ["Herald:Connector:Kaleyra:RelayRetryMaxDelay"] = "00:00:00.200",
            ["Herald:Connector:Kaleyra:RelayPollInterval"] = "00:00:00.050",
            ["Herald:Connector:Kaleyra:RelayMaxAttempts"] = "50",
            // The stand-in CleverTap sends no credentials; the credential tests below set their own.
            ["Herald:Connector:Kaleyra:AllowAnonymous"] = "true",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>CleverTap's request, configured exactly as the seed (headers and form parameters).</summary>
    protected HttpRequestMessage SeedRequest(string messageId, string to = "+919812345678", string body = "Your order shipped: track it",
        string? longUrl = null, string? kaleyraHost = null, string? callbackUrl = null, string? campaignId = "cmp-42",
        Action<Dictionary<string, string>>? form = null, params string[] withoutHeaders)
    {
        var fields = new Dictionary<string, string>
        {
            ["to"] = to,
            ["sender"] = "KLRHXA",
            ["body"] = body,
            ["message_id"] = messageId,
            ["type"] = "OTP",
        };
        if (campaignId is not null)
        {
            fields["campaign_id"] = campaignId;
        }
        if (longUrl is not null)
        {
            fields["long_url"] = longUrl;
        }
        form?.Invoke(fields);
        var request = new HttpRequestMessage(HttpMethod.Post, "/connect/kaleyra") { Content = new FormUrlEncodedContent(fields) };
        var headers = new Dictionary<string, string>
        {
            ["api-key"] = ApiKey,
            ["sid"] = Sid,
            ["kaleyra-host"] = kaleyraHost ?? Kaleyra.HostPort,
            ["callback_url"] = callbackUrl ?? CleverTap.Url,
        };
        foreach (var (key, value) in headers.Where(h => !withoutHeaders.Contains(h.Key)))
        {
            request.Headers.TryAddWithoutValidation(key, value);
        }
        return request;
    }

    protected async Task<JsonObject> SendAsync(HttpRequestMessage request, HttpStatusCode expected = HttpStatusCode.OK) =>
        await HeraldInstance.ReadObjectAsync(await Herald.Anonymous.SendAsync(request, Ct), expected);

    protected static string NewCleverTapId() => "ct-" + Guid.NewGuid().ToString("N")[..16];

    protected Task<CleverTapPost[]> WaitForAcceptedAsync(int count) =>
        TestHttp.EventuallyAsync(() => Task.FromResult(CleverTap.Accepted.Count >= count ? CleverTap.Accepted.ToArray() : null),
            $"{count} accepted relay POST(s)");

    /// <summary>Waits a little longer than the retry schedule to prove nothing more arrives.</summary>
    protected static Task QuietPeriodAsync() => Task.Delay(TimeSpan.FromMilliseconds(600), Ct);

    // ------------------------------------------------------------------ forwarding and relaying

    [Fact]
    public async Task Connect_SeedRequestThenSentAndDelivered_ForwardsAndRelaysOneDeliveredEvent()
    {
        var messageId = NewCleverTapId();

        var answer = await SendAsync(SeedRequest(messageId, longUrl: "https://shop.example/cart?id=7&x=1"));

        Assert.Equal("accepted", answer["status"]!.GetValue<string>());
        Assert.Equal(messageId, answer["message_id"]!.GetValue<string>());
        Assert.Equal("kid1:1", answer["kaleyra_id"]!.GetValue<string>());
        var heraldId = answer["herald_id"]!.GetValue<string>();

        var forwarded = Assert.Single(Kaleyra.Requests);
        Assert.Equal($"/v1/{Sid}/sms", forwarded.Path);
        Assert.Equal(ApiKey, forwarded.Headers["api-key"]);
        Assert.Equal("+919812345678", forwarded.Form["to"]);
        Assert.Equal("KLRHXA", forwarded.Form["sender"]);
        Assert.Equal("Your order shipped: track it {URL}", forwarded.Form["body"]);
        Assert.Equal("OTP", forwarded.Form["type"]);
        Assert.Equal(messageId, forwarded.Form["ref"]);
        Assert.Equal("cmp-42", forwarded.Form["ref1"]);
        Assert.False(forwarded.Form.ContainsKey("template_id"));
        var urlData = JsonNode.Parse(forwarded.Form["url_data"])!;
        Assert.Equal(1, urlData["shorten_url"]!.GetValue<int>());
        Assert.Equal("https://shop.example/cart?id=7&x=1", urlData["url"]!.GetValue<string>());
        var callback = JsonNode.Parse(forwarded.Form["callback"])!;
        Assert.Equal("POST", callback["method"]!.GetValue<string>());
        Assert.StartsWith($"{Herald.BaseUrl.ToString().TrimEnd('/')}/connect/kaleyra/callback/{heraldId}.", forwarded.CallbackUrl);

        var sent = await HeraldInstance.ReadObjectAsync(await Kaleyra.CallbackAsync(forwarded, "Sent", "SENT"), HttpStatusCode.OK);
        Assert.Equal("success", sent["status"]!.GetValue<string>());
        await HeraldInstance.ReadObjectAsync(await Kaleyra.CallbackAsync(forwarded, "Delivered", "DELIVERED", deliveredAt: "2025-06-06 10:55:21"), HttpStatusCode.OK);

        var post = Assert.Single(await WaitForAcceptedAsync(1));
        var (cleverTapEvent, record) = Assert.Single(post.Records);
        Assert.Equal("delivered", cleverTapEvent);
        Assert.Equal(messageId, record["meta"]!.GetValue<string>());
        Assert.Equal(1749207321, record["ts"]!.GetValue<long>());
        Assert.Equal(10, record["ts"]!.ToJsonString().Length);

        await QuietPeriodAsync();
        Assert.Single(CleverTap.Posts);

        var message = await Herald.WaitForStatusAsync(heraldId, "delivered");
        Assert.Equal("connector", message["source"]!.GetValue<string>());
        Assert.Equal("connector:kaleyra", message["provider"]!["nickname"]!.GetValue<string>());
        Assert.Equal("kid1:1", message["providerMessageId"]!.GetValue<string>());
        Assert.Equal("otp", message["type"]!.GetValue<string>());
        var timeline = message["timeline"]!.AsArray();
        Assert.Equal(["connector/received", "dispatch/dispatching", "provider-response/accepted", "dlr/Sent", "dlr/Delivered", "relay/relayed"],
            timeline.Select(e => $"{e!["source"]}/{e["event"]}"));
        var received = timeline[0]!["detail"]!;
        Assert.Equal("****", received["headers"]!["api-key"]!.GetValue<string>());
        Assert.Equal(messageId, received["form"]!["message_id"]!.GetValue<string>());
        Assert.DoesNotContain(ApiKey, message.ToJsonString());
        Assert.Contains("/v1/****/sms", timeline[2]!["detail"]!["request"]!["url"]!.GetValue<string>());

        var listed = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync("/api/v1/messages?source=connector", Ct), HttpStatusCode.OK);
        Assert.Contains(listed["items"]!.AsArray(), m => m!["id"]!.GetValue<string>() == heraldId);
        var none = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync("/api/v1/messages?source=test", Ct), HttpStatusCode.OK);
        Assert.DoesNotContain(none["items"]!.AsArray(), m => m!["id"]!.GetValue<string>() == heraldId);

        var view = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync($"/api/v1/connector/kaleyra/messages/{heraldId}", Ct), HttpStatusCode.OK);
        Assert.Equal(messageId, view["externalId"]!.GetValue<string>());
        Assert.Equal("sent", Assert.Single(view["relays"]!.AsArray())!["status"]!.GetValue<string>());
        // Kaleyra's raw callbacks that were kept: Sent, the first plain success since the start (the one-in-100 sample of
        // Herald:Dispatch:KeepSuccessBodiesOneIn); Delivered, a plain success too, was applied and not kept.
        Assert.Contains("Sent", Assert.Single(view["callbacks"]!.AsArray())!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_DndFailure_RelaysFailed901AndMessageIsRejected()
    {
        var messageId = NewCleverTapId();
        var answer = await SendAsync(SeedRequest(messageId));
        var forwarded = Assert.Single(Kaleyra.Requests);

        await HeraldInstance.ReadObjectAsync(await Kaleyra.CallbackAsync(forwarded, "Failed", "CON-DND"), HttpStatusCode.OK);

        var (cleverTapEvent, record) = Assert.Single(Assert.Single(await WaitForAcceptedAsync(1)).Records);
        Assert.Equal("failed", cleverTapEvent);
        Assert.Equal(messageId, record["meta"]!.GetValue<string>());
        Assert.Equal("901", record["code"]!.GetValue<string>());
        Assert.Equal("CON-DND", record["description"]!.GetValue<string>());
        await Herald.WaitForStatusAsync(answer["herald_id"]!.GetValue<string>(), "rejected");
    }

    [Fact]
    public async Task Relay_Receiver503TwiceThen200_RelayedExactlyOnceAfterRetries()
    {
        CleverTap.FailNext(503, 503);
        var messageId = NewCleverTapId();
        var answer = await SendAsync(SeedRequest(messageId));
        await Kaleyra.CallbackAsync(Assert.Single(Kaleyra.Requests), "Delivered", "DELIVERED");

        await WaitForAcceptedAsync(1);
        await QuietPeriodAsync();

        Assert.Equal([503, 503, 200], CleverTap.Posts.Select(p => p.Answered));
        Assert.All(CleverTap.Posts, p => Assert.Equal(messageId, Assert.Single(p.Records).Record["meta"]!.GetValue<string>()));
        var timeline = (await Herald.GetMessageAsync(answer["herald_id"]!.GetValue<string>()))["timeline"]!.AsArray();
        Assert.Equal(["relay-retry", "relay-retry", "relayed"],
            timeline.Where(e => e!["source"]!.GetValue<string>() == "relay").Select(e => e!["event"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Relay_ReceiverRefuses400_IsDeadAtOnceWithTheAnswerOnTheTimeline()
    {
        CleverTap.FailNext(400);
        var answer = await SendAsync(SeedRequest(NewCleverTapId()));
        await Kaleyra.CallbackAsync(Assert.Single(Kaleyra.Requests), "Delivered", "DELIVERED");
        var heraldId = answer["herald_id"]!.GetValue<string>();

        var dead = await TestHttp.EventuallyAsync(async () =>
            (await Herald.GetMessageAsync(heraldId))["timeline"]!.AsArray().FirstOrDefault(e => e!["event"]!.GetValue<string>() == "relay-dead"),
            "the relay to be given up");
        await QuietPeriodAsync();

        Assert.Single(CleverTap.Posts);
        Assert.Equal(400, dead!["detail"]!["status"]!.GetValue<int>());
        Assert.Contains("not retried", dead["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Outbox_DeadRelay_IsListedAndRetriedThroughTheApiUntilDelivered()
    {
        CleverTap.FailNext(400);
        var messageId = NewCleverTapId();
        var answer = await SendAsync(SeedRequest(messageId));
        await Kaleyra.CallbackAsync(Assert.Single(Kaleyra.Requests), "Delivered", "DELIVERED");
        var heraldId = answer["herald_id"]!.GetValue<string>();

        var dead = await TestHttp.EventuallyAsync(async () =>
        {
            var page = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync($"/api/v1/outbox?status=dead&messageId={heraldId}", Ct), HttpStatusCode.OK);
            return page["items"]!.AsArray().FirstOrDefault();
        }, "the relay to be listed dead");
        Assert.Equal(("clevertap", "dead", 1), (dead!["topic"]!.GetValue<string>(), dead["status"]!.GetValue<string>(), dead["attempts"]!.GetValue<int>()));
        Assert.Equal("delivered", dead["payload"]!["event"]!.GetValue<string>());
        Assert.Equal(messageId, dead["payload"]!["data"]!["meta"]!.GetValue<string>());
        var id = dead["id"]!.GetValue<long>();

        // A sent or unknown entry is not retried; a dead one is, once, and CleverTap takes it this time.
        var retried = await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsync($"/api/v1/outbox/{id}/retry", null, Ct), HttpStatusCode.Accepted);
        Assert.Equal("pending", retried["status"]!.GetValue<string>());
        await WaitForAcceptedAsync(1);
        Assert.Equal([400, 200], CleverTap.Posts.Select(p => p.Answered));
        var sent = await TestHttp.EventuallyAsync(async () =>
        {
            var page = await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync($"/api/v1/outbox?messageId={heraldId}", Ct), HttpStatusCode.OK);
            return page["items"]!.AsArray().FirstOrDefault(e => e!["status"]!.GetValue<string>() == "sent");
        }, "the retried relay to be sent");
        Assert.Equal(1, sent!["attempts"]!.GetValue<int>()); // a retry starts its attempts again
        await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsync($"/api/v1/outbox/{id}/retry", null, Ct), HttpStatusCode.Conflict);
        await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsync("/api/v1/outbox/999999/retry", null, Ct), HttpStatusCode.NotFound);
        await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync("/api/v1/outbox?status=lost", Ct), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Relay_SeveralPendingForOneCallbackUrl_AreBatchedIntoOnePost()
    {
        var ids = Enumerable.Range(0, 4).Select(_ => NewCleverTapId()).ToList();
        foreach (var id in ids)
        {
            await SendAsync(SeedRequest(id));
        }
        var requests = Kaleyra.Requests;
        var gate = CleverTap.Hold();

        // The first relay holds the worker while three more events are queued for the same callback URL.
        await Kaleyra.CallbackAsync(requests[0], "Delivered", "DELIVERED", n: 1);
        await gate.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct);
        await Kaleyra.CallbackAsync(requests[1], "Delivered", "DELIVERED", n: 2);
        await Kaleyra.CallbackAsync(requests[2], "Failed", "CON-DND", n: 3);
        await Kaleyra.CallbackAsync(requests[3], "Delivered", "DELIVERED", n: 4);
        gate.Released.SetResult();

        var posts = await WaitForAcceptedAsync(2);
        await QuietPeriodAsync();

        Assert.Equal(2, CleverTap.Posts.Count);
        Assert.Equal([ids[0]], posts[0].Records.Select(r => r.Record["meta"]!.GetValue<string>()));
        var batched = posts[1];
        Assert.Equal(["delivered", "failed"], batched.Groups.Select(g => g!["event"]!.GetValue<string>()));
        Assert.Equal([ids[1], ids[3]], batched.Groups[0]!["data"]!.AsArray().Select(d => d!["meta"]!.GetValue<string>()));
        Assert.Equal(ids[2], batched.Groups[1]!["data"]![0]!["meta"]!.GetValue<string>());
    }

    [Fact]
    public async Task Relay_PendingAcrossARestart_IsRelayedAfterTheRestart()
    {
        CleverTap.Down = true;
        var answer = await SendAsync(SeedRequest(NewCleverTapId()));
        await Kaleyra.CallbackAsync(Assert.Single(Kaleyra.Requests), "Delivered", "DELIVERED");
        await TestHttp.EventuallyAsync(() => Task.FromResult(CleverTap.Posts.Count > 0 ? (object?)true : null), "a first (refused) relay attempt");

        Herald = await Herald.RestartAsync();
        var before = CleverTap.Posts.Count;
        CleverTap.Down = false;

        var accepted = Assert.Single(await WaitForAcceptedAsync(1));
        await QuietPeriodAsync();
        Assert.Single(CleverTap.Accepted);
        Assert.Equal(CleverTap.Posts.Count - 1, CleverTap.Posts.ToList().FindIndex(p => p.Answered == 200));
        Assert.True(CleverTap.Posts.Count > before);
        Assert.Equal("delivered", Assert.Single(accepted.Records).Event);
        var timeline = (await Herald.GetMessageAsync(answer["herald_id"]!.GetValue<string>()))["timeline"]!.AsArray();
        Assert.Equal("relayed", timeline.Last()!["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task Callback_SameFinalReportTwice_IsRelayedOnce()
    {
        var answer = await SendAsync(SeedRequest(NewCleverTapId()));
        var forwarded = Assert.Single(Kaleyra.Requests);

        await Kaleyra.CallbackAsync(forwarded, "Delivered", "DELIVERED");
        await Kaleyra.CallbackAsync(forwarded, "Delivered", "DELIVERED");
        await Kaleyra.CallbackAsync(forwarded, "Failed", "CON-DND");

        await WaitForAcceptedAsync(1);
        await QuietPeriodAsync();
        Assert.Single(CleverTap.Posts);
        var dlrs = (await Herald.GetMessageAsync(answer["herald_id"]!.GetValue<string>()))["timeline"]!.AsArray()
            .Where(e => e!["source"]!.GetValue<string>() == "dlr").Select(e => e!["result"]!.GetValue<string>());
        Assert.Equal(["delivered", "ignored", "ignored"], dlrs);
    }

    [Fact]
    public async Task Callback_WrongToken_Is404AndChangesNothing()
    {
        var answer = await SendAsync(SeedRequest(NewCleverTapId()));
        var url = Assert.Single(Kaleyra.Requests).CallbackUrl;
        var heraldId = answer["herald_id"]!.GetValue<string>();
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = "kid1:1", ["status"] = "Delivered" });

        var wrongToken = await Herald.Anonymous.PostAsync(url[..url.LastIndexOf('.')] + ".AAAAAAAAAAAAAAAAAAAAAA", form, Ct);
        var noToken = await Herald.Anonymous.PostAsync(url[..url.LastIndexOf('.')], form, Ct);
        var otherMessage = await Herald.Anonymous.GetAsync($"/connect/kaleyra/callback/0000.{url[(url.LastIndexOf('.') + 1)..]}?id=kid1:1&status=Delivered", Ct);

        Assert.Equal(HttpStatusCode.NotFound, wrongToken.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, otherMessage.StatusCode);
        Assert.Equal("accepted", (await Herald.GetMessageAsync(heraldId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Callback_GetQueryForm_IsAppliedLikeAPost()
    {
        var answer = await SendAsync(SeedRequest(NewCleverTapId()));
        var forwarded = Assert.Single(Kaleyra.Requests);

        var response = await Herald.Anonymous.GetAsync(
            $"{forwarded.CallbackUrl}?id=kid1:1&status=Undelivered&status_details=MOB-OFF&ref={forwarded.Form["ref"]}&extra=kept", Ct);

        Assert.Equal("success", (await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK))["status"]!.GetValue<string>());
        var record = Assert.Single(Assert.Single(await WaitForAcceptedAsync(1)).Records).Record;
        Assert.Equal("914", record["code"]!.GetValue<string>());
        await Herald.WaitForStatusAsync(answer["herald_id"]!.GetValue<string>(), "undelivered");
    }

    [Fact]
    public async Task Connect_SameMessageIdAgainAfterAcceptance_IsNotSentTwice()
    {
        var messageId = NewCleverTapId();
        var first = await SendAsync(SeedRequest(messageId));

        var second = await SendAsync(SeedRequest(messageId));

        Assert.Single(Kaleyra.Requests);
        Assert.Equal(first["herald_id"]!.GetValue<string>(), second["herald_id"]!.GetValue<string>());
        Assert.Equal("kid1:1", second["kaleyra_id"]!.GetValue<string>());
        Assert.True(second["duplicate"]!.GetValue<bool>());
    }

    // ------------------------------------------------------------------ Kaleyra's answers

    [Fact]
    public async Task Connect_Kaleyra400_Is400WithKaleyraMessageAndMessageFailed()
    {
        Kaleyra.Answer = (_, _) => Task.FromResult((400, """{"error":{"code":"E413","message":"Invalid template_id for the sender"},"data":[]}"""));

        var problem = await SendAsync(SeedRequest(NewCleverTapId()), HttpStatusCode.BadRequest);

        Assert.Equal("Invalid template_id for the sender", problem["detail"]!.GetValue<string>());
        Assert.Equal("E413", problem["kaleyra_error"]!["code"]!.GetValue<string>());
        var message = await Herald.GetMessageAsync(problem["herald_id"]!.GetValue<string>());
        Assert.Equal("failed", message["status"]!.GetValue<string>());
        Assert.Equal("permanent-failure", message["timeline"]!.AsArray().Last()!["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task Connect_Kaleyra503_Is502()
    {
        Kaleyra.Answer = (_, _) => Task.FromResult((503, """{"error":{"message":"Service unavailable"}}"""));

        var problem = await SendAsync(SeedRequest(NewCleverTapId()), HttpStatusCode.BadGateway);

        Assert.Contains("503", problem["detail"]!.GetValue<string>());
        Assert.Contains("Service unavailable", problem["detail"]!.GetValue<string>());
        await Herald.WaitForStatusAsync(problem["herald_id"]!.GetValue<string>(), "failed");
    }

    [Fact]
    public async Task Connect_KaleyraDoesNotAnswerInTime_Is504()
    {
        await using var slow = await HeraldInstance.StartAsync(SecondInstance, extra: Settings(new() { ["Herald:Connector:Kaleyra:KaleyraTimeout"] = "00:00:00.300" }));
        Kaleyra.Answer = async (_, _) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3), Ct);
            return (200, "{}");
        };

        var problem = await HeraldInstance.ReadObjectAsync(await slow.Anonymous.SendAsync(SeedRequest(NewCleverTapId()), Ct), HttpStatusCode.GatewayTimeout);

        Assert.Contains("did not answer", problem["detail"]!.GetValue<string>());
        Assert.Equal("failed", (await slow.GetMessageAsync(problem["herald_id"]!.GetValue<string>()))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Connect_KaleyraUnreachable_Is502()
    {
        var port = Kaleyra.BaseUrl.Port;
        await Kaleyra.DisposeAsync();
        Kaleyra = await StubKaleyra.StartAsync(); // keeps DisposeAsync happy; the old port is closed now

        var problem = await SendAsync(SeedRequest(NewCleverTapId(), kaleyraHost: $"127.0.0.1:{port}"), HttpStatusCode.BadGateway);

        Assert.Contains("Could not reach Kaleyra", problem["detail"]!.GetValue<string>());
    }

    // ------------------------------------------------------------------ input and security

    [Fact]
    public async Task Connect_MissingHeaders_Is400NamingEach()
    {
        var problem = await SendAsync(SeedRequest(NewCleverTapId(), withoutHeaders: ["api-key", "callback_url"]), HttpStatusCode.BadRequest);

        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("api-key"));
        Assert.True(errors.ContainsKey("callback_url"));
        Assert.False(errors.ContainsKey("sid"));
        Assert.Contains("Headers", problem["detail"]!.GetValue<string>());
        Assert.Empty(Kaleyra.Requests);
    }

    [Fact]
    public async Task Connect_MissingFields_Is400NamingEach()
    {
        var problem = await SendAsync(SeedRequest("", form: f => f.Remove("body")), HttpStatusCode.BadRequest);

        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("message_id"));
        Assert.True(errors.ContainsKey("body"));
        Assert.Empty(Kaleyra.Requests);

        // A template id stands in for the body.
        await SendAsync(SeedRequest(NewCleverTapId(), form: f =>
        {
            f.Remove("body");
            f["template_id"] = "1107161234567890123";
        }));
        Assert.Equal("1107161234567890123", Assert.Single(Kaleyra.Requests).Form["template_id"]);
    }

    [Theory]
    [InlineData("api.evil.example")]
    [InlineData("169.254.169.254")]
    [InlineData("127.0.0.1:1")]
    [InlineData("api.in.kaleyra.io.evil.example")]
    public async Task Connect_DisallowedKaleyraHost_Is403NamingAdditionalHosts(string host)
    {
        var problem = await SendAsync(SeedRequest(NewCleverTapId(), kaleyraHost: host), HttpStatusCode.Forbidden);

        Assert.Contains("Herald:Connector:Kaleyra:AdditionalHosts", problem["detail"]!.GetValue<string>());
        Assert.Empty(Kaleyra.Requests);
    }

    [Theory]
    [InlineData("api.in.kaleyra.io/v1/x?y=")]
    [InlineData("user@api.in.kaleyra.io")]
    [InlineData("ftp://api.in.kaleyra.io")]
    public async Task Connect_MalformedKaleyraHost_Is400(string host)
    {
        var problem = await SendAsync(SeedRequest(NewCleverTapId(), kaleyraHost: host), HttpStatusCode.BadRequest);

        Assert.Contains("kaleyra-host", problem["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("https://hooks.evil.example/dlr")]
    [InlineData("https://clevertap.com.evil.example/dlr")]
    [InlineData("http://10.0.0.5/dlr")]
    public async Task Connect_DisallowedCallbackUrl_Is403NamingAdditionalCallbackHosts(string callbackUrl)
    {
        var problem = await SendAsync(SeedRequest(NewCleverTapId(), callbackUrl: callbackUrl), HttpStatusCode.Forbidden);

        Assert.Contains("Herald:Connector:Kaleyra:AdditionalCallbackHosts", problem["detail"]!.GetValue<string>());
        Assert.Empty(Kaleyra.Requests);
    }

    [Fact]
    public async Task Connect_CleverTapCallbackHostOverPlainHttp_Is403()
    {
        var problem = await SendAsync(SeedRequest(NewCleverTapId(), callbackUrl: "http://in1.api.clevertap.com/a1/sms/dlr"), HttpStatusCode.Forbidden);

        Assert.Contains("https", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Connect_PlainHttpLoopbackWithoutAllowInsecureLoopback_Is403NamingTheSetting()
    {
        await using var strict = await HeraldInstance.StartAsync(SecondInstance, extra: Settings(new() { ["Herald:Providers:AllowInsecureLoopback"] = "false" }));

        var problem = await HeraldInstance.ReadObjectAsync(
            await strict.Anonymous.SendAsync(SeedRequest(NewCleverTapId(), kaleyraHost: "http://" + Kaleyra.HostPort), Ct), HttpStatusCode.Forbidden);

        Assert.Contains("Herald:Providers:AllowInsecureLoopback", problem["detail"]!.GetValue<string>());
        Assert.Empty(Kaleyra.Requests);
    }

    [Fact]
    public async Task Connect_BasicAuthConfigured_RequiresTheConfiguredCredentials()
    {
        await using var guarded = await HeraldInstance.StartAsync(SecondInstance, extra: Settings(new()
        {
            ["Herald:Connector:Kaleyra:Username"] = "clevertap",
            ["Herald:Connector:Kaleyra:Password"] = "s3cret-Pass",
            ["Herald:Connector:Kaleyra:AllowAnonymous"] = "false",
        }));
        HttpRequestMessage With(string? credentials)
        {
            var request = SeedRequest(NewCleverTapId());
            if (credentials is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
            }
            return request;
        }

        var none = await guarded.Anonymous.SendAsync(With(null), Ct);
        var wrong = await guarded.Anonymous.SendAsync(With("clevertap:wrong"), Ct);
        var right = await guarded.Anonymous.SendAsync(With("clevertap:s3cret-Pass"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Basic", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var accepted = await HeraldInstance.ReadObjectAsync(right, HttpStatusCode.OK);
        Assert.Equal("accepted", accepted["status"]!.GetValue<string>());
        Assert.Single(Kaleyra.Requests);
        var timeline = (await guarded.GetMessageAsync(accepted["herald_id"]!.GetValue<string>()))["timeline"]!.AsArray();
        Assert.DoesNotContain("s3cret", timeline.ToJsonString());
    }

    [Fact]
    public async Task Connect_NoCredentialsConfigured_RefusesAnonymousRequestsSayingWhatToSet()
    {
        await using var unconfigured = await HeraldInstance.StartAsync(SecondInstance, extra: Settings(new() { ["Herald:Connector:Kaleyra:AllowAnonymous"] = "false" }));

        var problem = await HeraldInstance.ReadObjectAsync(
            await unconfigured.Anonymous.SendAsync(SeedRequest(NewCleverTapId()), Ct), HttpStatusCode.ServiceUnavailable);

        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains("Herald:Connector:Kaleyra:Username", detail);
        Assert.Contains("AllowAnonymous=true", detail);
        Assert.Empty(Kaleyra.Requests);
    }

    [Fact]
    public async Task Connect_AllowAnonymousSet_AcceptsARequestWithoutCredentials()
    {
        var request = SeedRequest(NewCleverTapId());
        Assert.Null(request.Headers.Authorization);

        var answer = await SendAsync(request);

        Assert.Equal("accepted", answer["status"]!.GetValue<string>());
        Assert.Single(Kaleyra.Requests);
    }

    [Fact]
    public async Task Start_AllowAnonymousWithCredentials_FailsNamingBoth()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => HeraldInstance.StartAsync(SecondInstance, extra: Settings(new()
        {
            ["Herald:Connector:Kaleyra:Username"] = "clevertap",
            ["Herald:Connector:Kaleyra:Password"] = "s3cret-Pass",
        })));

        Assert.Contains("AllowAnonymous", error.Message);
        Assert.Contains("Username", error.Message);
    }

    [Fact]
    public async Task Connect_FiveThousandFormFields_Answers4xxAndSendsNothing()
    {
        var request = SeedRequest(NewCleverTapId(), form: f =>
        {
            for (var i = 0; i < 5000; i++)
            {
                f[$"x{i}"] = "1";
            }
        });

        var response = await Herald.Anonymous.SendAsync(request, Ct);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"HTTP {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(Kaleyra.Requests);
    }

    [Fact]
    public async Task Connect_NulInAField_Answers400SayingTheFormIsUnreadable()
    {
        var request = SeedRequest(NewCleverTapId());
        request.Content = new StringContent("to=%2B919812345678&sender=KLRHXA&body=hi&type=OTP&message_id=ct-nul%00x",
            Encoding.UTF8, "application/x-www-form-urlencoded");

        var problem = await SendAsync(request, HttpStatusCode.BadRequest);

        Assert.StartsWith("The form could not be read", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Kaleyra.Requests);
    }

    [Fact]
    public async Task Connect_MessageIdWithEscAndCr_IsLoggedEscaped()
    {
        var logs = new LogCapture();
        await using var logged = await HeraldInstance.StartAsync(SecondInstance, extra: Settings(), logs: logs);
        Kaleyra.Answer = (_, _) => Task.FromResult((400, """{"error":{"message":"Invalid template_id for the sender"},"data":[]}"""));

        await HeraldInstance.ReadObjectAsync(
            await logged.Anonymous.SendAsync(SeedRequest("ct-esc\u001b[31mred\rFAKE LINE"), Ct), HttpStatusCode.BadRequest);

        var line = Assert.Single(logs.Lines, l => l.Contains("refused by Kaleyra", StringComparison.Ordinal));
        Assert.Contains(@"ct-esc\u001B[31mred\rFAKE LINE", line);
        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\r', line);
    }

    [Fact]
    public async Task Start_InvalidConnectorOptions_FailsNamingThem()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => HeraldInstance.StartAsync(SecondInstance, extra: Settings(new()
        {
            ["Herald:Connector:Kaleyra:Username"] = "only-user",
            ["Herald:Connector:Kaleyra:Endpoint"] = "v2",
            ["Herald:Connector:Kaleyra:AdditionalHosts:1"] = "bad host/x",
            ["Herald:Connector:Kaleyra:RelayMaxAttempts"] = "0",
        })));

        Assert.Contains("Password", error.Message);
        Assert.Contains("Endpoint", error.Message);
        Assert.Contains("AdditionalHosts", error.Message);
        Assert.Contains("RelayMaxAttempts", error.Message);
    }

    [Fact]
    public async Task Connect_EndpointMessages_ForwardsToTheMessagesPath()
    {
        await using var classic = await HeraldInstance.StartAsync(SecondInstance, extra: Settings(new() { ["Herald:Connector:Kaleyra:Endpoint"] = "messages" }));

        await HeraldInstance.ReadObjectAsync(await classic.Anonymous.SendAsync(SeedRequest(NewCleverTapId()), Ct), HttpStatusCode.OK);

        Assert.Equal($"/v1/{Sid}/messages", Assert.Single(Kaleyra.Requests).Path);
    }

    [Fact]
    public async Task Relays_ForAMessage_AreQueryableFromTheStore()
    {
        var answer = await SendAsync(SeedRequest(NewCleverTapId()));
        await Kaleyra.CallbackAsync(Assert.Single(Kaleyra.Requests), "Delivered", "DELIVERED");
        await WaitForAcceptedAsync(1);

        var store = Herald.Services.GetRequiredService<IOutboxStore>();
        var relays = await TestHttp.EventuallyAsync(async () =>
        {
            var found = (await store.ListAsync(new OutboxQuery { MessageId = answer["herald_id"]!.GetValue<string>() }, Ct)).Items;
            return found.Count == 1 && found[0].Status == OutboxStatus.Sent ? found : null;
        }, "the relay to be marked sent");
        Assert.Equal(1, relays[0].Attempts);
        Assert.Equal("clevertap", relays[0].Topic);
    }
}

public sealed class SqliteKaleyraConnectorTests() : KaleyraConnectorTests(TestDatabase.Sqlite);

public sealed class PostgresKaleyraConnectorTests() : KaleyraConnectorTests(TestDatabase.Postgres);
