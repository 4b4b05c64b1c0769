using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Dispatch;

/// <summary>Dead letters (failed and expired messages): listed with reason and attempts, retried one by one or in bulk.</summary>
public sealed class DeadLetterTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _sent = new();
    private int _healthy;
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            _sent.Enqueue(form["message_id"].ToString());
            var body = form["body"].ToString();
            if (Volatile.Read(ref _healthy) == 0 && body.StartsWith("fail", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "number barred" } });
                return;
            }
            if (Volatile.Read(ref _healthy) == 0 && body.StartsWith("busy", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 503;
                return;
            }
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:Dispatch:RetryBaseDelay"] = "00:00:00.200",
            ["Herald:Dispatch:RetryMaxDelay"] = "00:00:00.400",
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Herald:Dispatch:CircuitBreakerThreshold"] = "100",
        });
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }), HttpStatusCode.Created);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    private async Task<string> SendAsync(string to, string body, string? validity = null) =>
        (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages", new { to, body, validity }), HttpStatusCode.Accepted))
            ["id"]!.GetValue<string>();

    private async Task<JsonArray> DeadLettersAsync(string query = "") =>
        JsonNode.Parse(await _herald.Api.GetStringAsync("/api/v1/messages/dead-letters" + query, TestContext.Current.CancellationToken))!["items"]!.AsArray();

    [Fact]
    public async Task DeadLetters_ListFailedAndExpired_WithReasonAndAttempts_NewestFirst_Paged()
    {
        var failed = await SendAsync("+919812345671", "fail now");
        await _herald.WaitForStatusAsync(failed, "failed");
        var expired = await SendAsync("+919812345672", "busy forever", "PT1S");
        await _herald.WaitForStatusAsync(expired, "expired");
        var fine = await SendAsync("+919812345673", "hello");
        await _herald.WaitForStatusAsync(fine, "accepted");

        var items = await DeadLettersAsync();
        Assert.Equal([expired, failed], items.Select(i => i!["id"]!.GetValue<string>()));
        Assert.Equal("failed", items[1]!["status"]!.GetValue<string>());
        Assert.Contains("number barred", items[1]!["reason"]!.GetValue<string>());
        Assert.Equal(1, items[1]!["attempts"]!.GetValue<int>());
        Assert.Equal("expired", items[0]!["status"]!.GetValue<string>());
        Assert.True(items[0]!["attempts"]!.GetValue<int>() >= 1);
        Assert.Contains("validity", items[0]!["reason"]!.GetValue<string>());

        Assert.Equal([failed], (await DeadLettersAsync("?status=failed&provider=Stub&since=1h")).Select(i => i!["id"]!.GetValue<string>()));
        var page = JsonNode.Parse(await _herald.Api.GetStringAsync("/api/v1/messages/dead-letters?limit=1", TestContext.Current.CancellationToken))!;
        Assert.Single(page["items"]!.AsArray());
        var rest = await DeadLettersAsync($"?limit=1&cursor={page["next"]!.GetValue<string>()}");
        Assert.Equal(failed, rest.Single()!["id"]!.GetValue<string>());

        var bad = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/messages/dead-letters?status=delivered", TestContext.Current.CancellationToken),
            HttpStatusCode.BadRequest);
        Assert.Contains("failed or expired", bad["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retry_FailedMessage_RequeuesTheSameIdWithFreshValidity_ThenIsSent_AndADeliveredOneIs409()
    {
        var id = await SendAsync("+919812345671", "fail then work");
        await _herald.WaitForStatusAsync(id, "failed");
        Volatile.Write(ref _healthy, 1);

        var retried = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/messages/{id}/retry", null, TestContext.Current.CancellationToken),
            HttpStatusCode.Accepted);
        Assert.Equal("queued", retried["status"]!.GetValue<string>());
        Assert.NotNull(retried["validUntil"]);
        var message = await _herald.WaitForStatusAsync(id, "accepted");
        Assert.Equal("stub-" + id, message["providerMessageId"]!.GetValue<string>());
        Assert.Equal(1, message["attempts"]!.GetValue<int>());
        var events = message["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()).ToList();
        Assert.True(events.IndexOf("requeued") > events.IndexOf("permanent-failure"), string.Join(", ", events));
        Assert.Empty(await DeadLettersAsync());

        var again = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/messages/{id}/retry", null, TestContext.Current.CancellationToken),
            HttpStatusCode.Conflict);
        Assert.Contains("is accepted: only failed or expired messages can be retried", again["detail"]!.GetValue<string>());
        Assert.Equal(2, _sent.Count(s => s == id));

        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync("/api/v1/messages/0000000000000000000000000000dead/retry", null, TestContext.Current.CancellationToken),
            HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task BulkRetry_RequeuesTheMatchingDeadLetters()
    {
        var failed = new[] { await SendAsync("+919812345671", "fail a"), await SendAsync("+919812345672", "fail b") };
        foreach (var id in failed)
        {
            await _herald.WaitForStatusAsync(id, "failed");
        }
        Volatile.Write(ref _healthy, 1);

        var none = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/messages/dead-letters/retry", new { status = "expired" }, TestContext.Current.CancellationToken), HttpStatusCode.OK);
        Assert.Equal(0, none["requeued"]!.GetValue<int>());
        var answer = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/messages/dead-letters/retry", new { provider = "Stub", since = "1h" }, TestContext.Current.CancellationToken), HttpStatusCode.OK);

        Assert.Equal(2, answer["requeued"]!.GetValue<int>());
        Assert.Equal(failed.Order(), answer["ids"]!.AsArray().Select(i => i!.GetValue<string>()).Order());
        foreach (var id in failed)
        {
            await _herald.WaitForStatusAsync(id, "accepted");
        }
    }

    [Fact]
    public async Task BulkRetry_TestSmsAndMessagesOfRemovedProviders_StayDead()
    {
        var gone = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Gone", kind = "generic",
            settings = new { endpoint = _stub.Url.ToString(), parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
        }, TestContext.Current.CancellationToken), HttpStatusCode.Created);
        var orphan = (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345674", body = "fail orphan", provider = "Gone" }, TestContext.Current.CancellationToken), HttpStatusCode.Accepted))["id"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(orphan, "failed");
        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync($"/api/v1/providers/{gone["id"]}", TestContext.Current.CancellationToken)).StatusCode);
        var test = (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers/Stub/test-sms",
            new { countryCode = "+91", mobile = "9812345675", message = "fail test" }, TestContext.Current.CancellationToken), HttpStatusCode.OK))["messageId"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(test, "failed");
        Volatile.Write(ref _healthy, 1);

        var answer = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/messages/dead-letters/retry", new { }, TestContext.Current.CancellationToken), HttpStatusCode.OK);

        Assert.Equal(0, answer["requeued"]!.GetValue<int>());
        Assert.Equal("failed", (await _herald.GetMessageAsync(orphan))["status"]!.GetValue<string>());
        Assert.Equal("failed", (await _herald.GetMessageAsync(test))["status"]!.GetValue<string>());
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsync($"/api/v1/messages/{orphan}/retry", null, TestContext.Current.CancellationToken),
            HttpStatusCode.Conflict); // the single retry's rule, which the bulk one now follows
    }

    [Theory]
    [InlineData("99999999d")]
    [InlineData("2147483647m")]
    [InlineData("2147483647h")]
    public async Task DeadLetters_OverflowingSince_AnsweredAsEverythingNot500(string since)
    {
        var failed = await SendAsync("+919812345671", "fail now");
        await _herald.WaitForStatusAsync(failed, "failed");

        var list = await DeadLettersAsync($"?since={since}");
        var retry = await _herald.Api.PostAsJsonAsync("/api/v1/messages/dead-letters/retry", new { since, status = "expired" }, TestContext.Current.CancellationToken);

        Assert.Equal(failed, list.Single()!["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
    }
}
