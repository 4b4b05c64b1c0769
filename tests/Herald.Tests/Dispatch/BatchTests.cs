using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Dispatch;

/// <summary>POST /api/v1/messages/batch: Idempotency-Key replays and conflicts, and the batch's own body limit.</summary>
public sealed class BatchTests
{
    private static readonly System.Text.Json.JsonSerializerOptions Web = new(System.Text.Json.JsonSerializerDefaults.Web);

    private static async Task<(HeraldInstance Herald, StubProvider Stub, ConcurrentQueue<string> Sent)> StartAsync(Dictionary<string, string?>? extra = null)
    {
        var sent = new ConcurrentQueue<string>();
        var stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            sent.Enqueue(form["message_id"].ToString());
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        var herald = await HeraldInstance.StartAsync(extra: extra);
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new
            {
                endpoint = stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }), HttpStatusCode.Created);
        return (herald, stub, sent);
    }

    private static async Task<HttpResponseMessage> PostBatchAsync(HeraldInstance herald, object body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messages/batch") { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await herald.Api.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<int> CountMessagesAsync(HeraldInstance herald) =>
        JsonNode.Parse(await herald.Api.GetStringAsync("/api/v1/messages?limit=500", TestContext.Current.CancellationToken))!["items"]!.AsArray().Count;

    [Fact]
    public async Task Batch_SameKeyAndBody_ReplaysTheFirstAnswer_WithPartialErrors_AndQueuesNothingNew()
    {
        var (herald, stub, sent) = await StartAsync();
        await using var _ = herald;
        await using var __ = stub;
        var body = new
        {
            messages = new object[]
            {
                new { to = "+919812345671", body = "one" },
                new { to = "not a number", body = "two" },
                new { to = "+919812345673", body = "three" },
            },
        };

        var first = await PostBatchAsync(herald, body, "batch-7");
        var firstText = await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var again = await PostBatchAsync(herald, body, "batch-7");
        var againText = await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(firstText, againText);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        var answer = JsonNode.Parse(againText)!;
        Assert.Equal([0, 2], answer["accepted"]!.AsArray().Select(a => a!["index"]!.GetValue<int>()));
        Assert.Equal(1, answer["rejected"]![0]!["index"]!.GetValue<int>());
        Assert.Equal(2, await CountMessagesAsync(herald));
        foreach (var item in answer["accepted"]!.AsArray())
        {
            await herald.WaitForStatusAsync(item!["id"]!.GetValue<string>(), "accepted");
        }
        Assert.Equal(2, sent.Count);
    }

    [Fact]
    public async Task Batch_SameKeyDifferentBody_Is409_AndTheKeyOfAMessageIsNotABatchKey()
    {
        var (herald, stub, _) = await StartAsync();
        await using var h = herald;
        await using var s = stub;
        await HeraldInstance.ReadObjectAsync(await PostBatchAsync(herald, new { messages = new[] { new { to = "+919812345671", body = "one" } } }, "batch-8"),
            HttpStatusCode.Accepted);

        var conflict = await HeraldInstance.ReadObjectAsync(
            await PostBatchAsync(herald, new { messages = new[] { new { to = "+919812345671", body = "other" } } }, "batch-8"), HttpStatusCode.Conflict);
        Assert.Contains("Idempotency-Key 'batch-8'", conflict["detail"]!.GetValue<string>());
        Assert.Contains("use a new key", conflict["detail"]!.GetValue<string>());

        using var single = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messages") { Content = JsonContent.Create(new { to = "+919812345671", body = "one" }) };
        single.Headers.Add("Idempotency-Key", "batch-8");
        await HeraldInstance.ReadObjectAsync(await herald.Api.SendAsync(single, TestContext.Current.CancellationToken), HttpStatusCode.Conflict);
        Assert.Equal(1, await CountMessagesAsync(herald));
    }

    [Fact]
    public async Task Batch_AllRejected_IsNotRemembered_SoTheFixedBatchGoesThroughWithTheSameKey()
    {
        var (herald, stub, _) = await StartAsync();
        await using var h = herald;
        await using var s = stub;
        var bad = await PostBatchAsync(herald, new { messages = new[] { new { to = "nope", body = "one" } } }, "batch-9");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var fixedBatch = await PostBatchAsync(herald, new { messages = new[] { new { to = "+919812345671", body = "one" } } }, "batch-9");
        Assert.Equal(HttpStatusCode.Accepted, fixedBatch.StatusCode);
    }

    [Fact]
    public async Task Batch_TenThousandMessages_AreAcceptedAboveTheServerWideLimit_ButNotAboveTheBatchLimit()
    {
        var (herald, stub, _) = await StartAsync(new Dictionary<string, string?>
        {
            ["Herald:Dispatch:Enabled"] = "false",
            ["Herald:MaxBatchBodyBytes"] = "2000000",
        });
        await using var h = herald;
        await using var s = stub;
        var padding = new string('x', 100);
        var full = new { messages = Enumerable.Range(0, 10_000).Select(i => new { to = $"+91981{i:D7}", body = $"order {i} {padding}" }).ToArray() };
        var size = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(full, Web).Length;
        Assert.InRange(size, 1024 * 1024 + 1, 2_000_000);

        var accepted = await HeraldInstance.ReadObjectAsync(await PostBatchAsync(herald, full), HttpStatusCode.Accepted);
        Assert.Equal(10_000, accepted["accepted"]!.AsArray().Count);

        var larger = new { messages = Enumerable.Range(0, 10_000).Select(i => new { to = $"+91981{i:D7}", body = $"order {i} {padding}{padding}" }).ToArray() };
        var tooLarge = await HeraldInstance.ReadObjectAsync(await PostBatchAsync(herald, larger), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Herald:MaxBatchBodyBytes", tooLarge["detail"]?.GetValue<string>() ?? tooLarge.ToJsonString());

        // Everywhere else the server-wide 1 MiB stays.
        var single = await HeraldInstance.ReadObjectAsync(
            await herald.Api.PostAsJsonAsync("/api/v1/messages", new { to = "+919812345671", body = new string('y', 1100 * 1024) }, TestContext.Current.CancellationToken),
            HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("1 MiB limit (Herald:MaxRequestBodyBytes)", single["detail"]!.GetValue<string>());
    }
    [Fact]
    public async Task Batch_SixteenMebibytesOfEmptyItems_Is400NamingTheLimit_AndStoresNothing()
    {
        var (herald, stub, _) = await StartAsync(new Dictionary<string, string?> { ["Herald:Dispatch:Enabled"] = "false" });
        await using var h = herald;
        await using var s = stub;
        // {"messages":[{},{},...]}: about 5.6 million items in the default 16 MiB batch body limit.
        var prefix = "{\"messages\":["u8.ToArray();
        var suffix = "{}]}"u8.ToArray();
        var items = (16 * 1024 * 1024 - prefix.Length - suffix.Length) / 3;
        var body = new byte[prefix.Length + items * 3 + suffix.Length];
        prefix.CopyTo(body, 0);
        for (var i = 0; i < items; i++)
        {
            "{},"u8.CopyTo(body.AsSpan(prefix.Length + i * 3));
        }
        suffix.CopyTo(body, prefix.Length + items * 3);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var refused = await HeraldInstance.ReadObjectAsync(
            await herald.Api.PostAsync("/api/v1/messages/batch", content, TestContext.Current.CancellationToken), HttpStatusCode.BadRequest);

        Assert.Contains("at most 10,000 messages", refused["detail"]!.GetValue<string>());
        Assert.Equal(0, await CountMessagesAsync(herald));
    }

    [Fact]
    public async Task Batch_NullItemsAndUnknownFields_AreReadAsBefore_AndBrokenJsonNamesTheItem()
    {
        var (herald, stub, _) = await StartAsync(new Dictionary<string, string?> { ["Herald:Dispatch:Enabled"] = "false" });
        await using var h = herald;
        await using var s = stub;
        using var mixed = new StringContent("""{"note":{"a":[1,2]},"Messages":[null,{"to":"+919812345671","body":"one"}]}""", System.Text.Encoding.UTF8, "application/json");
        var answer = await HeraldInstance.ReadObjectAsync(
            await herald.Api.PostAsync("/api/v1/messages/batch", mixed, TestContext.Current.CancellationToken), HttpStatusCode.Accepted);
        Assert.Equal(1, answer["accepted"]![0]!["index"]!.GetValue<int>());
        Assert.Equal(0, answer["rejected"]![0]!["index"]!.GetValue<int>());

        using var broken = new StringContent("""{"messages":[{"to":"+919812345671","body":"one"},{"to":5}]}""", System.Text.Encoding.UTF8, "application/json");
        var refused = await HeraldInstance.ReadObjectAsync(
            await herald.Api.PostAsync("/api/v1/messages/batch", broken, TestContext.Current.CancellationToken), HttpStatusCode.BadRequest);
        Assert.Contains("$.messages[1].to", refused["detail"]!.GetValue<string>());
        Assert.Equal(1, await CountMessagesAsync(herald));
    }
}

/// <summary>The batch endpoint's streaming body: chunks stored one after another, and the Idempotency-Key hash as before.</summary>
public sealed class BatchStreamingTests
{
    [Fact]
    public async Task Batch_WithoutKey_LargerThanAStoredChunk_AnswersEveryIndexInOrder_AndStoresEveryMessage()
    {
        var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?> { ["Herald:Dispatch:Enabled"] = "false" });
        await using var h = herald;
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new { endpoint = "http://127.0.0.1:9/", parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
        }, TestContext.Current.CancellationToken), HttpStatusCode.Created);
        var count = Herald.Api.Messages.SendMessageEndpoints.StoreChunk * 2 + 500;
        int[] broken = [0, Herald.Api.Messages.SendMessageEndpoints.StoreChunk, count - 1]; // first, first of the second chunk, last
        var messages = Enumerable.Range(0, count)
            .Select(i => (object?)(broken.Contains(i) ? new { to = "not a number", body = $"order {i}" } : new { to = $"+91981{i:D7}", body = $"order {i}" }))
            .ToArray();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messages/batch") { Content = JsonContent.Create(new { messages }) };
        var answer = await HeraldInstance.ReadObjectAsync(await herald.Api.SendAsync(request, TestContext.Current.CancellationToken), HttpStatusCode.Accepted);

        var accepted = answer["accepted"]!.AsArray();
        Assert.Equal(Enumerable.Range(0, count).Where(i => !broken.Contains(i)), accepted.Select(a => a!["index"]!.GetValue<int>()));
        Assert.Equal(broken, answer["rejected"]!.AsArray().Select(r => r!["index"]!.GetValue<int>()));
        Assert.Equal(count - broken.Length, accepted.Select(a => a!["id"]!.GetValue<string>()).Distinct().Count());
        foreach (var k in new[] { 0, Herald.Api.Messages.SendMessageEndpoints.StoreChunk - 1, accepted.Count - 1 })
        {
            var stored = JsonNode.Parse(await herald.Api.GetStringAsync($"/api/v1/messages/{accepted[k]!["id"]!.GetValue<string>()}", TestContext.Current.CancellationToken))!;
            Assert.Equal($"order {accepted[k]!["index"]!.GetValue<int>()}", stored["body"]!.GetValue<string>());
            Assert.Equal("queued", stored["status"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Batch_WithKey_LargerThanAStoredChunk_IsStoredWholeAndReplaysTheSameAnswer()
    {
        var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?> { ["Herald:Dispatch:Enabled"] = "false" });
        await using var h = herald;
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new { endpoint = "http://127.0.0.1:9/", parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
        }, TestContext.Current.CancellationToken), HttpStatusCode.Created);
        var count = Herald.Api.Messages.SendMessageEndpoints.StoreChunk + 1;
        var body = new { messages = Enumerable.Range(0, count).Select(i => new { to = $"+91981{i:D7}", body = $"order {i}" }).ToArray() };

        async Task<(HttpStatusCode Status, string Text)> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messages/batch") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "big-batch");
            using var response = await herald.Api.SendAsync(request, TestContext.Current.CancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        var first = await PostAsync();
        var again = await PostAsync();

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(count, JsonNode.Parse(first.Text)!["accepted"]!.AsArray().Count);
        Assert.Equal((HttpStatusCode.Accepted, first.Text), again);
    }

    [Fact]
    public async Task Scan_HashesTheRequestAsSerialisedWhole_SoKeysStoredBeforeStillReplay()
    {
        var list = new List<Herald.Api.Messages.SendMessageRequest>
        {
            new("+919812345671", "one \"quoted\" é", null, null, "mkt", "HERALD", "Stub", new Dictionary<string, string> { ["Name"] = "Asha" }, "PT10M", "c1"),
            null!,
            new("+919812345672", null, "1107", "{\"a\":1}", null, null, null, null, null, null, ShortenLinks: false),
        };
        var whole = new Herald.Api.Messages.SendBatchRequest(list);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(whole, Herald.Core.HeraldJson.Options)));
        // Unknown properties, another spelling of "messages" and whitespace do not change what was asked.
        var text = "{ \"note\": {\"x\": [1, 2]}, \"Messages\": " + System.Text.Json.JsonSerializer.Serialize(list, Herald.Core.HeraldJson.Options).Replace(",", " ,\n") + " }";

        using var reader = await Herald.Api.Messages.BatchBodyReader.BufferAsync(
            System.IO.Pipelines.PipeReader.Create(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text))), Herald.Core.HeraldJson.Options, TestContext.Current.CancellationToken);
        var scan = reader.Scan(10, hash: true);

        Assert.Equal(3, scan.Count);
        Assert.Equal(expected, scan.Hash);
        var read = new List<Herald.Api.Messages.SendMessageRequest?>();
        Assert.Equal(3, reader.Read(read, 100));
        Assert.Equal(["+919812345671", null, "+919812345672"], read.Select(m => m?.To));
    }
}
