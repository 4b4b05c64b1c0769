using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Storage;
using Herald.Storage.Records;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.DeliveryReports;

/// <summary>
/// Which raw callbacks Herald keeps once applied (issue 11 §8): those not applied cleanly, those of test SMS and one plain success
/// in <c>Herald:Dispatch:KeepSuccessBodiesOneIn</c>; a plain success outside the sample is applied and not kept, and its timeline
/// entry still reads (state, event, note) with no detail. Seen as a user sees it: the report feed (<c>GET /api/v1/dlr</c>) and the
/// message's timeline, over a real database and a stub provider.
/// </summary>
public abstract class RawReportKeepingTests(TestDatabase database) : IAsyncLifetime
{
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;
    private string _providerId = "";
    private string _callbackUrl = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        await StartAsync(keepOneIn: 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    private async Task StartAsync(int keepOneIn)
    {
        _herald = await HeraldInstance.StartAsync(database, extra: Settings(keepOneIn));
        var provider = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, Ct), HttpStatusCode.Created);
        _providerId = provider["id"]!.GetValue<string>();
        _callbackUrl = provider["callbackUrl"]!.GetValue<string>();
    }

    private static Dictionary<string, string?> Settings(int keepOneIn) => new()
    {
        ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        ["Herald:Dispatch:KeepSuccessBodiesOneIn"] = keepOneIn.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private async Task RestartWithSampleAsync(int keepOneIn)
    {
        await _herald.DisposeAsync();
        await StartAsync(keepOneIn);
    }

    [Fact]
    public async Task Dlr_PlainSuccess_NotKeptAndItsTimelineEntryStillReads()
    {
        var id = await AcceptedAsync("+14155550001");

        var answer = await PostAsync(Event("delivered", id, ",\"description\":\"Delivered to handset\""));

        Assert.Equal("success", answer["status"]!.GetValue<string>());
        Assert.Empty(await FeedAsync());
        var message = await _herald.GetMessageAsync(id);
        Assert.Equal("delivered", message["status"]!.GetValue<string>());
        var entry = DlrEntries(message).Single();
        Assert.Equal("delivered", entry["event"]!.GetValue<string>());
        Assert.Equal("delivered", entry["result"]!.GetValue<string>());
        Assert.Equal("Delivered to handset (reported at 2022-06-06T10:55:21.0000000+00:00)", entry["note"]!.GetValue<string>());
        Assert.Null(entry["detail"]);
    }

    [Fact]
    public async Task Dlr_PlainSuccessNotKeptThenAReportKept_TimelineNeverShowsAnotherReportsBody()
    {
        var id = await AcceptedAsync("+14155550002");
        await PostAsync(Event("delivered", id));

        // A report that is kept is stored after one that was not: the timeline of the first must not pick up its body.
        await PostAsync(Event("delivered", "no-such-message"));

        Assert.Single(await FeedAsync());
        var entry = DlrEntries(await _herald.GetMessageAsync(id)).Single();
        Assert.Equal("delivered", entry["result"]!.GetValue<string>());
        Assert.Null(entry["detail"]);
    }

    [Fact]
    public async Task Dlr_OneSuccessInN_KeptWithItsRecordOnTheTimeline()
    {
        await RestartWithSampleAsync(keepOneIn: 2);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await AcceptedAsync($"+1415555001{i}"));
        }

        foreach (var id in ids)
        {
            await PostAsync(Event("delivered", id));
        }

        // The first plain success and the third are kept, the second is not.
        var kept = await FeedAsync();
        Assert.Equal([Event("delivered", ids[0]), Event("delivered", ids[2])], kept.Select(r => r!["body"]!.GetValue<string>()));
        Assert.Contains(ids[0], DlrEntries(await _herald.GetMessageAsync(ids[0])).Single()["detail"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Null(DlrEntries(await _herald.GetMessageAsync(ids[1])).Single()["detail"]);
        Assert.NotNull(DlrEntries(await _herald.GetMessageAsync(ids[2])).Single()["detail"]);
    }

    [Fact]
    public async Task Dlr_FailureState_KeptWithItsRecordOnTheTimeline()
    {
        var id = await AcceptedAsync("+14155550003");

        await PostAsync(Event("failed", id, ",\"code\":\"914\",\"description\":\"Undelivered\""));

        var kept = Assert.Single(await FeedAsync());
        Assert.Contains("914", kept!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        var entry = DlrEntries(await _herald.GetMessageAsync(id)).Single();
        Assert.Equal("undelivered", entry["result"]!.GetValue<string>());
        Assert.Contains("914", entry["detail"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dlr_UnknownMessage_Kept()
    {
        var answer = await PostAsync(Event("delivered", "0190a0a0-no-such-message"));

        Assert.Equal("fail", answer["status"]!.GetValue<string>());
        var kept = Assert.Single(await FeedAsync());
        Assert.Equal("fail", kept!["result"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_RefusedRepeat_KeptTheFirstNot()
    {
        var id = await AcceptedAsync("+14155550004");

        await PostAsync(Event("delivered", id));
        await PostAsync(Event("delivered", id));

        // The repeat changed nothing (the state machine ignored it): that one is worth reading again.
        Assert.Single(await FeedAsync());
        Assert.Equal(["delivered", "ignored"], DlrEntries(await _herald.GetMessageAsync(id)).Select(e => e["result"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Dlr_TestSms_KeptWithItsRecordOnTheTimeline()
    {
        var sent = await _herald.TestSmsAsync(_providerId, "9812340007", dynamicFields: new { });
        Assert.Equal("accepted", sent["outcome"]!.GetValue<string>());
        var id = sent["messageId"]!.GetValue<string>();

        await PostAsync(Event("delivered", id));

        Assert.Single(await FeedAsync());
        Assert.NotNull(DlrEntries(await _herald.GetMessageAsync(id)).Single()["detail"]);
    }

    [Fact]
    public async Task Dlr_StoredButNotAppliedBeforeACrash_SurvivesTheRestartAndIsAppliedThenNotKept()
    {
        var id = await AcceptedAsync("+14155550005");
        // What a crash between "stored" and "applied" leaves behind: an unprocessed inbox row.
        var inbox = _herald.Services.GetRequiredService<IDlrInbox>();
        await using (var batch = await inbox.BeginBatchAsync(Ct))
        {
            await batch.StoreAsync([new DlrInboxItem
            {
                ProviderId = _providerId, ReceivedAt = TimeProvider.System.GetUtcNow(), Method = "POST", ContentType = "application/json",
                Body = Event("delivered", id), Query = "",
            }], Ct);
            await batch.CommitAsync(Ct);
        }
        Assert.Single(await FeedAsync());

        _herald = await _herald.RestartAsync(database, null);

        await _herald.WaitForStatusAsync(id, "delivered");
        Assert.Empty(await _herald.Services.GetRequiredService<IDlrInbox>().PendingAsync(10, Ct));
        Assert.Empty(await FeedAsync());
        var entry = DlrEntries(await _herald.GetMessageAsync(id)).Single();
        Assert.Equal("delivered", entry["result"]!.GetValue<string>());
        Assert.Null(entry["detail"]);
    }

    private async Task<string> AcceptedAsync(string to)
    {
        var answer = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to, body = "Your order has shipped", type = "txn" }, Ct), HttpStatusCode.Accepted);
        var id = answer["id"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(id, "accepted");
        return id;
    }

    private static string Event(string name, string meta, string extra = "") =>
        $$"""[{"event":"{{name}}","data":[{"ts":1654512921,"meta":"{{meta}}"{{extra}}}]}]""";

    private async Task<JsonObject> PostAsync(string json)
    {
        using var response = await _herald.Anonymous.PostAsync(_callbackUrl, new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
    }

    /// <summary>The raw callbacks Herald holds for the stub provider, oldest first.</summary>
    private async Task<JsonArray> FeedAsync() =>
        (await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/dlr?provider={_providerId}&after=0&limit=1000", Ct), HttpStatusCode.OK))["items"]!
        .AsArray();

    private static List<JsonNode> DlrEntries(JsonObject message) =>
        [.. message["timeline"]!.AsArray().Where(e => e!["source"]!.GetValue<string>() == "dlr").Select(e => e!)];
}

public sealed class SqliteRawReportKeepingTests() : RawReportKeepingTests(TestDatabase.Sqlite);

[Trait("Database", "Postgres")]
public sealed class PostgresRawReportKeepingTests() : RawReportKeepingTests(TestDatabase.Postgres);
