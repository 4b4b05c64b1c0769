using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Contacts;

/// <summary>Segment-compatible /identify, /track and /batch through the real HTTP API.</summary>
public sealed class EventApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> PostAsync(HttpClient client, string path, object body, HttpStatusCode expected) =>
        await HeraldInstance.ReadObjectAsync(await client.PostAsJsonAsync(path, body, Ct), expected);

    private static HttpClient WriteKeyClient(HeraldInstance herald)
    {
        var client = TestHttp.Create(herald.BaseUrl);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(HeraldInstance.ApiKey + ":")));
        return client;
    }

    [Fact]
    public async Task Batch_IdentifyWithPhoneThenTracks_CreatesContactLinksEventsAndCorrectsClockSkew()
    {
        await using var herald = await HeraldInstance.StartAsync();
        using var segment = WriteKeyClient(herald);
        // The sender's clock is one hour behind: its sentAt and timestamps are moved forward by the gap.
        var now = TimeProvider.System.GetUtcNow();
        var skewed = now.AddHours(-1);
        var body = new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "u-100", messageId = "m-1", traits = new { phone = "+14155550199", firstName = "Kim", plan = "gold", address = new { city = "SF" } },
                      context = new { library = new { name = "x" } }, integrations = new { }, _metadata = new { } },
                new { type = "track", userId = "u-100", messageId = "m-2", @event = "added_to_cart", properties = new { value = 640 }, timestamp = skewed.AddMinutes(-10) },
                new { type = "track", userId = "u-100", messageId = "m-3", @event = "added_to_cart", properties = new { value = 120 }, timestamp = skewed.AddMinutes(-2) },
                new { type = "page", anonymousId = "a-1", messageId = "m-4", name = "Home" },
                new { type = "screen", userId = "u-100", messageId = "m-5", name = "Cart" },
                new { type = "group", userId = "u-100", messageId = "m-6", groupId = "g-1", traits = new { name = "Acme" } },
                new { type = "alias", userId = "u-100", previousId = "a-1", messageId = "m-7" },
            },
            sentAt = skewed,
            writeKey = "ignored-when-basic-auth-is-given",
        };

        var answer = await PostAsync(segment, "/api/v1/batch", body, HttpStatusCode.OK);
        var replay = await PostAsync(segment, "/api/v1/batch", body, HttpStatusCode.OK);

        Assert.Equal(answer.ToJsonString(), replay.ToJsonString());
        Assert.True(answer["success"]!.GetValue<bool>());
        var contact = Assert.Single((await HeraldInstance.ReadObjectAsync(await herald.Api.GetAsync("/api/v1/contacts?externalId=u-100", Ct), HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal("+14155550199", contact["phone"]!.GetValue<string>());
        Assert.Equal("Kim", contact["attributes"]!["firstName"]!.GetValue<string>());
        Assert.False(contact["attributes"]!.AsObject().ContainsKey("address"));
        var events = await HeraldInstance.ReadObjectAsync(await herald.Api.GetAsync($"/api/v1/contacts/{contact["id"]!.GetValue<string>()}/events", Ct), HttpStatusCode.OK);
        Assert.Equal(6, events["items"]!.AsArray().Count); // the anonymous page has no contact; replays added nothing
        var stat = Assert.Single(events["counts"]!.AsArray())!;
        Assert.Equal(2, stat["count"]!.GetValue<long>());
        Assert.InRange(stat["lastAt"]!.GetValue<DateTimeOffset>(), now.AddMinutes(-2).AddSeconds(-30), now.AddMinutes(-2).AddSeconds(30));
        Assert.InRange(stat["firstAt"]!.GetValue<DateTimeOffset>(), now.AddMinutes(-10).AddSeconds(-30), now.AddMinutes(-10).AddSeconds(30));
    }

    [Fact]
    public async Task Track_UnknownUserIdWithoutPhone_Answers400NamingTheUserAndStoresNothing()
    {
        await using var herald = await HeraldInstance.StartAsync();

        var single = await PostAsync(herald.Api, "/api/v1/track", new { userId = "ghost", @event = "opened", messageId = "t-1" }, HttpStatusCode.BadRequest);
        var batch = await PostAsync(herald.Api, "/api/v1/batch", new
        {
            batch = new object[]
            {
                new { type = "identify", userId = "known", traits = new { phone = "+14155550100" }, messageId = "b-1" },
                new { type = "track", userId = "known", @event = "opened", messageId = "b-2" },
                new { type = "track", userId = "ghost", @event = "opened", messageId = "b-3" },
                new { type = "track", userId = "known", messageId = "b-4" },
                new { type = "launch", userId = "known", messageId = "b-5" },
            },
        }, HttpStatusCode.BadRequest);

        Assert.Contains("'ghost'", single["errors"]!["userId"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("traits.phone", single["errors"]!["userId"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var errors = batch["errors"]!.AsObject();
        Assert.Equal(["batch[2].userId", "batch[3].event", "batch[4].type"], errors.Select(e => e.Key).Order());
        Assert.Empty((await HeraldInstance.ReadObjectAsync(await herald.Api.GetAsync("/api/v1/contacts?externalId=known", Ct), HttpStatusCode.OK))["items"]!.AsArray());
    }

    [Fact]
    public async Task Identify_KnownUserWithoutPhone_UpdatesAttributes_AndWriteKeyInBodyIsAccepted()
    {
        await using var herald = await HeraldInstance.StartAsync();
        await PostAsync(herald.Api, "/api/v1/identify", new { userId = "u-1", traits = new { phone = "+919812345601", plan = "free" }, messageId = "i-1" }, HttpStatusCode.OK);

        var anonymous = await herald.Anonymous.PostAsJsonAsync("/api/v1/identify", new { userId = "u-1", traits = new { plan = "pro" }, messageId = "i-2", writeKey = HeraldInstance.ApiKey }, Ct);
        var wrongKey = await herald.Anonymous.PostAsJsonAsync("/api/v1/track", new { userId = "u-1", @event = "x", writeKey = "hk_wrong" }, Ct);
        var noKey = await herald.Anonymous.PostAsJsonAsync("/api/v1/track", new { userId = "u-1", @event = "x" }, Ct);
        var keyInBodyElsewhere = await herald.Anonymous.PostAsJsonAsync("/api/v1/contacts", new { phone = "+919812345602", writeKey = HeraldInstance.ApiKey }, Ct);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        var problem = await HeraldInstance.ReadObjectAsync(noKey, HttpStatusCode.Unauthorized);
        Assert.Contains("Basic", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, keyInBodyElsewhere.StatusCode);
        var contact = Assert.Single((await HeraldInstance.ReadObjectAsync(await herald.Api.GetAsync("/api/v1/contacts?externalId=u-1", Ct), HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal("pro", contact["attributes"]!["plan"]!.GetValue<string>());
        Assert.Equal("Asia/Calcutta", contact["timezone"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_OverTenThousandItems_Answers400()
    {
        await using var herald = await HeraldInstance.StartAsync();
        var items = Enumerable.Range(0, 10_001).Select(i => new { type = "page", anonymousId = "a", messageId = $"p-{i}" }).ToArray();

        var problem = await PostAsync(herald.Api, "/api/v1/batch", new { batch = items }, HttpStatusCode.BadRequest);

        Assert.Contains("10,000", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_EventsOlderThanTheSetting_AreRemovedAndCountsStay()
    {
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:Events:Retention"] = "01:00:00", ["Herald:Events:PurgeInterval"] = "00:00:01", ["Herald:Events:PurgeBatch"] = "2",
        });
        await PostAsync(herald.Api, "/api/v1/identify", new { userId = "r-1", traits = new { phone = "+14155550177" }, messageId = "r-i" }, HttpStatusCode.OK);
        var events = herald.Services.GetRequiredService<Herald.Storage.IEventStore>();
        var old = TimeProvider.System.GetUtcNow().AddHours(-2);
        await events.IngestAsync([.. Enumerable.Range(0, 5).Select(i => new Herald.Storage.Records.EventWrite(new Herald.Storage.Records.EventRecord
        {
            MessageId = $"old-{i}", UserId = "r-1", Type = "track", Name = "opened", At = old, ReceivedAt = old,
        }, null))], Ct);

        var left = await TestHttp.EventuallyAsync(async () =>
        {
            var view = await HeraldInstance.ReadObjectAsync(await herald.Api.GetAsync("/api/v1/contacts?externalId=r-1", Ct), HttpStatusCode.OK);
            var id = view["items"]![0]!["id"]!.GetValue<string>();
            var contactEvents = await HeraldInstance.ReadObjectAsync(await herald.Api.GetAsync($"/api/v1/contacts/{id}/events", Ct), HttpStatusCode.OK);
            return contactEvents["items"]!.AsArray().Count == 1 ? contactEvents : null;
        }, "old events to be purged", TimeSpan.FromSeconds(30));

        Assert.Equal("identify", left["items"]![0]!["type"]!.GetValue<string>());
        Assert.Equal(5, left["counts"]![0]!["count"]!.GetValue<long>());
    }
}
