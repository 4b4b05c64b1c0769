using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests;

/// <summary>
/// A generic provider whose delivery reports are declared in its settings (settings.reports): read at its callback URL, answered as
/// declared, previewed with POST /api/v1/providers/{id}/reports/preview.
/// </summary>
public sealed class DeclaredReportTests : IAsyncLifetime
{
    private HeraldInstance _herald = null!;
    private StubProvider _provider = null!;
    private int _sequence;

    public async ValueTask InitializeAsync()
    {
        // A provider that answers every send with its own id in JSON.
        _provider = await StubProvider.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$$"""{"result":{"message_id":"P-{{{Interlocked.Increment(ref _sequence)}}}"}}""");
        });
        _herald = await HeraldInstance.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _provider.DisposeAsync();
    }

    private static readonly object[] StatusMap =
    [
        new { match = "DELIVRD", state = "delivered" },
        new { match = "/^UNDELIV/", state = "undelivered" },
        new { match = "REJECTD", state = "rejected" },
        new { match = "ACCEPTD", state = "sent" },
    ];

    private object Provider(object reports, string nickname = "Declared") => new
    {
        nickname,
        kind = "generic",
        settings = new
        {
            requestType = "POST",
            endpoint = _provider.Url.ToString(),
            bodyType = "json",
            jsonTemplate = """{"to":"$$To","text":"$$Body","ref":"$$MessageID","callback":"$$CallbackURL"}""",
            response = new { messageIdPath = "result.message_id" },
            reports,
        },
    };

    private async Task<(string Id, string CallbackUrl)> CreateAsync(object reports)
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", Provider(reports)), HttpStatusCode.Created);
        return (created["id"]!.GetValue<string>(), created["callbackUrl"]!.GetValue<string>());
    }

    private async Task<(string MessageId, string ProviderMessageId)> SendAsync(string providerId, string mobile = "9812340001")
    {
        var sent = await _herald.TestSmsAsync(providerId, mobile, "Hello", new { });
        Assert.Equal("accepted", sent["outcome"]!.GetValue<string>());
        return (sent["messageId"]!.GetValue<string>(), sent["providerMessageId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_DeclaredQueryFormat_MovesTheMessageAndAnswersAsDeclared()
    {
        var (id, callbackUrl) = await CreateAsync(new
        {
            source = "query", heraldId = "ref", status = "stat", errorCode = "err", time = "done", statuses = StatusMap,
            answer = new { status = 200, body = "ACK" },
        });
        var (messageId, _) = await SendAsync(id);

        var response = await _herald.Anonymous.GetAsync($"{callbackUrl}?ref={messageId}&stat=ACCEPTD", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ACK", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("sent", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());

        await _herald.Anonymous.GetAsync($"{callbackUrl}?ref={messageId}&stat=DELIVRD&err=000&done=1764583200", TestContext.Current.CancellationToken);
        var message = await _herald.GetMessageAsync(messageId);
        Assert.Equal("delivered", message["status"]!.GetValue<string>());
        Assert.Contains("code 000", message["timeline"]!.AsArray().Last()!["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_DeclaredFormByProviderId_MovesTheMessage()
    {
        var (id, callbackUrl) = await CreateAsync(new { source = "form", providerId = "msgid", status = "state", errorDescription = "reason", statuses = StatusMap });
        var (messageId, providerMessageId) = await SendAsync(id);

        var response = await _herald.Anonymous.PostAsync(callbackUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["msgid"] = providerMessageId, ["state"] = "UNDELIVERED", ["reason"] = "Absent subscriber",
        }), TestContext.Current.CancellationToken);

        var answer = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal(1, answer["processed"]!.GetValue<int>());
        Assert.Equal("undelivered", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_DeclaredJsonArray_ReadsEveryRecordAndKeepsUnknownStatusesUnprocessed()
    {
        var (id, callbackUrl) = await CreateAsync(new { source = "json", records = "reports", heraldId = "ref", status = "status.code", statuses = StatusMap });
        var (first, _) = await SendAsync(id, "9812340001");
        var (second, _) = await SendAsync(id, "9812340002");
        var body = $$$"""{"reports":[{"ref":"{{{first}}}","status":{"code":"DELIVRD"}},{"ref":"{{{second}}}","status":{"code":"QUEUED_AT_SMSC"}}]}""";

        var response = await _herald.Anonymous.PostAsync(callbackUrl, new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        var answer = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal("partial", answer["status"]!.GetValue<string>());
        var unprocessed = answer["unprocessed"]!.AsArray().Single()!;
        Assert.Equal("unknown_status_code", unprocessed["code"]!.GetValue<string>());
        Assert.Contains("'QUEUED_AT_SMSC'", unprocessed["error"]!.GetValue<string>());
        Assert.Equal("delivered", (await _herald.GetMessageAsync(first))["status"]!.GetValue<string>());
        Assert.Equal("accepted", (await _herald.GetMessageAsync(second))["status"]!.GetValue<string>());

        // The raw report is kept with its answer, which /reports shows.
        var inbox = _herald.Services.GetRequiredService<Herald.Storage.IDlrInbox>();
        var stored = await inbox.RecentAsync(null, 5, TestContext.Current.CancellationToken);
        Assert.Contains(stored, r => r.Body == body && r.Result!.Contains("QUEUED_AT_SMSC", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dlr_DeclaredFormatWithoutIds_Is400AndStoredAsUnprocessed()
    {
        var (_, callbackUrl) = await CreateAsync(new { source = "query", heraldId = "ref", status = "stat", statuses = StatusMap });

        var response = await _herald.Anonymous.GetAsync($"{callbackUrl}?stat=DELIVRD", TestContext.Current.CancellationToken);

        var answer = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("fail", answer["status"]!.GetValue<string>());
        Assert.Equal("missing_ref", answer["unprocessed"]![0]!["code"]!.GetValue<string>());
        Assert.Contains("$$MessageID", answer["unprocessed"]![0]!["error"]!.GetValue<string>());
        var inbox = _herald.Services.GetRequiredService<Herald.Storage.IDlrInbox>();
        var stored = await inbox.RecentAsync(null, 5, TestContext.Current.CancellationToken);
        Assert.Contains(stored, r => r.Query.Contains("stat=DELIVRD", StringComparison.Ordinal) && r.Result!.Contains("missing_ref", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateProvider_BadDeclaration_400NamingEachField()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/providers", Provider(new
        {
            source = "xml", status = "stat", statuses = new object[] { new { match = "DELIVRD", state = "arrived" } },
        }), TestContext.Current.CancellationToken);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("settings.reports.source", errors.Select(e => e.Key));
        Assert.Contains("settings.reports.heraldId", errors.Select(e => e.Key));
        Assert.Contains("settings.reports.statuses[0].state", errors.Select(e => e.Key));
        Assert.Contains("sent, delivered", errors["settings.reports.statuses[0].state"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task GetProvider_Reports_ComeBackAsSaved()
    {
        var (id, _) = await CreateAsync(new { preset = "kannel", answer = new { body = "OK" } });

        var settings = await _herald.GetProviderSettingsAsync(id);

        Assert.Equal("kannel", settings["reports"]!["preset"]!.GetValue<string>());
        Assert.Equal("OK", settings["reports"]!["answer"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Preview_SavedDeclaration_ReadsTheSampleWithoutApplyingIt()
    {
        var (id, _) = await CreateAsync(new { source = "query", heraldId = "ref", providerId = "msgid", status = "stat", errorCode = "err", time = "done", statuses = StatusMap });
        var (messageId, _) = await SendAsync(id);

        var response = await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{id}/reports/preview",
            new { method = "GET", query = $"?ref={messageId}&msgid=P-1&stat=REJECTD&err=13&done=2026-12-01T10:00:00Z" }, TestContext.Current.CancellationToken);

        var preview = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal("custom", preview["format"]!.GetValue<string>());
        var record = preview["records"]!.AsArray().Single()!;
        Assert.Equal(messageId, record["messageId"]!.GetValue<string>());
        Assert.Equal("herald", record["correlateBy"]!.GetValue<string>());
        Assert.Equal("P-1", record["providerMessageId"]!.GetValue<string>());
        Assert.Equal("rejected", record["state"]!.GetValue<string>());
        Assert.Equal("13", record["errorCode"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), record["time"]!.GetValue<DateTimeOffset>());
        Assert.Equal(200, preview["answer"]!["status"]!.GetValue<int>());
        Assert.Equal("accepted", (await _herald.GetMessageAsync(messageId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Preview_DeclarationInTheRequest_ReadsByItInsteadOfTheSavedOne()
    {
        var (id, _) = await CreateAsync(new { preset = "clevertap" });

        var response = await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{id}/reports/preview",
            new { query = "id=m1&status=16&answer=NACK%2F&smsc-id=OP-7&at=1796628408", reports = new { preset = "kannel" } }, TestContext.Current.CancellationToken);

        var preview = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal("kannel", preview["format"]!.GetValue<string>());
        var record = preview["records"]!.AsArray().Single()!;
        Assert.Equal(("m1", "rejected", "NACK/"), (record["messageId"]!.GetValue<string>(), record["state"]!.GetValue<string>(), record["errorDescription"]!.GetValue<string>()));
        Assert.Equal("OK", preview["answer"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Preview_UnreadableSample_SaysWhyAndWhatHeraldWouldAnswer()
    {
        var (id, _) = await CreateAsync(new { source = "json", records = "reports", heraldId = "ref", status = "stat", statuses = StatusMap });

        var response = await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{id}/reports/preview",
            new { method = "POST", contentType = "application/json", body = "{\"reports\":[{\"stat\":\"DELIVRD\"}]}" }, TestContext.Current.CancellationToken);

        var preview = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Empty(preview["records"]!.AsArray());
        Assert.Equal("missing_ref", preview["unprocessed"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(400, preview["answer"]!["status"]!.GetValue<int>());

        var malformed = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{id}/reports/preview",
            new { body = "{\"reports\":" }, TestContext.Current.CancellationToken), HttpStatusCode.OK);
        Assert.Contains("JSON", malformed["problem"]!.GetValue<string>());
    }

    [Fact]
    public async Task Preview_BadRequests_400Or404()
    {
        var (id, _) = await CreateAsync(new { preset = "kannel" });
        var ct = TestContext.Current.CancellationToken;

        var empty = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{id}/reports/preview", new { method = "GET" }, ct), HttpStatusCode.BadRequest);
        Assert.Contains("Paste a sample", empty["errors"]!["body"]![0]!.GetValue<string>());
        var getWithBody = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{id}/reports/preview", new { method = "GET", body = "a=b" }, ct), HttpStatusCode.BadRequest);
        Assert.Contains("GET callback has no body", getWithBody["errors"]!["body"]![0]!.GetValue<string>());
        var badDeclaration = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{id}/reports/preview",
            new { query = "id=1", reports = new { preset = "nope" } }, ct), HttpStatusCode.BadRequest);
        Assert.Contains("settings.reports.preset", badDeclaration["errors"]!.AsObject().Select(e => e.Key));
        var missing = await _herald.Api.PostAsJsonAsync("/api/v1/providers/prv_nope/reports/preview", new { query = "id=1" }, ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
