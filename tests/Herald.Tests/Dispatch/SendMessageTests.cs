using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Dispatch;

/// <summary>POST /api/v1/messages through the durable queue and the dispatcher, over real HTTP.</summary>
public sealed class SendMessageTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Herald:Dispatch:RetryBaseDelay"] = "00:00:00.050",
        ["Herald:Dispatch:RetryMaxDelay"] = "00:00:00.200",
        ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        ["Herald:Dispatch:LeaseSweepInterval"] = "00:00:00.100",
        ["Herald:Dispatch:Lease"] = "00:00:05",
        ["Herald:Dispatch:InDoubtHold"] = "00:00:01", // the stub sends no reports: a message in doubt is resent after a second
    };

    private readonly ConcurrentQueue<IFormCollection> _received = new();
    private readonly ConcurrentQueue<int> _script = new();
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            _received.Enqueue(form);
            var status = _script.TryDequeue(out var scripted) ? scripted : 200;
            if (form["to"].ToString().EndsWith("0004", StringComparison.Ordinal))
            {
                status = 400;
            }
            if (form["to"].ToString().EndsWith("0002", StringComparison.Ordinal))
            {
                status = 503;
            }
            if (form["body"].ToString().StartsWith("slow", StringComparison.Ordinal))
            {
                await Task.Delay(30);
            }
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(status == 200 ? new { id = "stub-" + form["message_id"] } : (object)new { error = new { message = $"scripted {status}" } });
        });
        _herald = await HeraldInstance.StartAsync(extra: FastRetries);
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[]
                {
                    new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" },
                    new { key = "type", value = "$$TYPE" }, new { key = "sender", value = "$$Sender" },
                },
            },
        }), HttpStatusCode.Created);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    private async Task<JsonObject> SendAsync(object body, HttpStatusCode expected = HttpStatusCode.Accepted, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messages") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return await HeraldInstance.ReadObjectAsync(await _herald.Api.SendAsync(request), expected);
    }

    [Fact]
    public async Task Send_Accepted_IsQueuedThenSentWithTypeAndSender()
    {
        var answer = await SendAsync(new { to = "+919812345678", body = "Your OTP is 123456", type = "otp", sender = "KLRHXA" });

        Assert.Equal("queued", answer["status"]!.GetValue<string>());
        Assert.Equal("gsm7", answer["encoding"]!.GetValue<string>());
        Assert.Equal(1, answer["segments"]!.GetValue<int>());
        var id = answer["id"]!.GetValue<string>();
        var message = await _herald.WaitForStatusAsync(id, "accepted");
        Assert.Equal("stub-" + id, message["providerMessageId"]!.GetValue<string>());
        var form = Assert.Single(_received);
        Assert.Equal("OTP", form["type"]);
        Assert.Equal("KLRHXA", form["sender"]);
        Assert.Equal(["queued", "dispatching", "accepted"], message["timeline"]!.AsArray().Select(e => e!["result"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Metrics_ExposeAcceptedMessagesAndProviderAnswers()
    {
        var id = (await SendAsync(new { to = "+919812345678", body = "metered", type = "txn", sender = "S" }))["id"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(id, "accepted");

        var text = await TestHttp.EventuallyAsync(async () =>
        {
            var body = await _herald.Anonymous.GetStringAsync("/metrics");
            return body.Contains("herald_provider_answers", StringComparison.Ordinal) ? body : null;
        }, "provider answers in /metrics");
        Assert.Contains("herald_messages_accepted", text);
        Assert.Contains("type=\"txn\"", text);
        Assert.Contains("outcome=\"accepted\"", text);
        Assert.Contains("herald_provider_latency", text);
    }

    [Fact]
    public async Task Send_TransientFailures_AreRetriedWithBackoffUntilAccepted()
    {
        _script.Enqueue(503);
        _script.Enqueue(429);
        var id = (await SendAsync(new { to = "+919812345678", body = "hello", sender = "S" }))["id"]!.GetValue<string>();

        var message = await _herald.WaitForStatusAsync(id, "accepted");

        Assert.Equal(3, message["attempts"]!.GetValue<int>());
        var events = message["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()).ToList();
        Assert.Equal(2, events.Count(e => e == "transient-failure"));
        Assert.Equal(3, _received.Count);
    }

    [Fact]
    public async Task Send_TransientUntilValidityEnds_Expires()
    {
        var id = (await SendAsync(new { to = "+919812340002", body = "hello", sender = "S", validity = "PT0.5S" }))["id"]!.GetValue<string>();
        var message = await _herald.WaitForStatusAsync(id, "expired");
        Assert.True(message["attempts"]!.GetValue<int>() >= 1);
    }

    [Fact]
    public async Task Send_PermanentFailure_FailsWithoutRetry()
    {
        var id = (await SendAsync(new { to = "+919812340004", body = "hello", sender = "S" }))["id"]!.GetValue<string>();
        var message = await _herald.WaitForStatusAsync(id, "failed");
        Assert.Equal(1, message["attempts"]!.GetValue<int>());
        Assert.Contains("scripted 400", message["timeline"]!.AsArray().Last()!["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_SameIdempotencyKey_ReturnsTheOriginal_AndADifferentBodyConflicts()
    {
        var body = new { to = "+919812345678", body = "once only", sender = "S" };
        var first = await SendAsync(body, idempotencyKey: "order-42");
        var again = await SendAsync(body, idempotencyKey: "order-42");
        Assert.Equal(first["id"]!.GetValue<string>(), again["id"]!.GetValue<string>());

        var conflict = await SendAsync(new { to = "+919812345678", body = "something else", sender = "S" }, HttpStatusCode.Conflict, "order-42");
        Assert.Contains("different request", conflict["detail"]!.GetValue<string>());

        await _herald.WaitForStatusAsync(first["id"]!.GetValue<string>(), "accepted");
        Assert.Single(_received);
    }

    [Fact]
    public async Task Send_InvalidInput_Is400NamingEachField()
    {
        var problem = await SendAsync(new { to = "12", type = "fax", validity = "forever" }, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("to"));
        Assert.True(errors.ContainsKey("type"));
        Assert.True(errors.ContainsKey("body"));
        Assert.True(errors.ContainsKey("validity"));

        var missingSender = await SendAsync(new { to = "+919812345678", body = "x" }, HttpStatusCode.BadRequest);
        Assert.True(missingSender["errors"]!.AsObject().ContainsKey("dynamicFields.Sender"), missingSender.ToJsonString());
    }

    [Fact]
    public async Task Batch_AcceptsValidItems_AndNamesTheInvalidOnes()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new
        {
            messages = new object[]
            {
                new { to = "+919812345671", body = "one", sender = "S" },
                new { to = "nope", body = "two", sender = "S" },
                new { to = "+919812345673", body = "नमस्ते", sender = "S", type = "default" },
            },
        });
        var answer = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Accepted);
        var accepted = answer["accepted"]!.AsArray();
        Assert.Equal([0, 2], accepted.Select(a => a!["index"]!.GetValue<int>()));
        Assert.Equal(1, answer["rejected"]![0]!["index"]!.GetValue<int>());
        Assert.True(answer["rejected"]![0]!["errors"]!.AsObject().ContainsKey("to"));
        foreach (var item in accepted)
        {
            await _herald.WaitForStatusAsync(item!["id"]!.GetValue<string>(), "accepted");
        }
    }

    [Fact]
    public async Task Otp_OvertakesAQueuedCampaign()
    {
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>(FastRetries)
        {
            ["Herald:Dispatch:ClaimBatchSize"] = "5",
            ["Herald:Dispatch:MaxConcurrency"] = "5",
            ["Herald:Dispatch:Enabled"] = "true",
        });
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new { endpoint = _stub.Url.ToString(), parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
        }), HttpStatusCode.Created);
        // default, not mkt: these numbers are not contacts, so the send-path policy would skip mkt messages to them (no-consent).
        var campaign = Enumerable.Range(0, 200).Select(i => new { to = $"+9198123{i:D5}", body = $"slow promo {i}", type = "default" }).ToArray();
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new { messages = campaign }), HttpStatusCode.Accepted);
        await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(_received.Count >= 10 ? true : null), "the campaign to start");

        var otp = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages", new { to = "+919899999999", body = "OTP 4711", type = "otp" }), HttpStatusCode.Accepted);
        await herald.WaitForStatusAsync(otp["id"]!.GetValue<string>(), "accepted");

        var order = _received.Select(f => f["body"].ToString()).ToList();
        var otpPosition = order.IndexOf("OTP 4711");
        var sentBeforeOtp = otpPosition;
        Assert.True(sentBeforeOtp < 60, $"The OTP was the {otpPosition + 1}th request; the campaign should not hold it back (200 queued).");
        Assert.True(order.Count < 200 || otpPosition < order.Count - 1);
    }

    [Fact]
    public async Task LeaseExpiry_AfterACrash_ResendsWithTheSameIdAndMarksIt()
    {
        var queue = _herald.Services.GetRequiredService<IDispatchQueue>();
        // Stop our own dispatcher from seeing it first: a "crashed" worker claims the message with a short lease.
        var answer = await SendAsync(new { to = "+919812345678", body = "crash test", sender = "S", validity = "PT1H" });
        var id = answer["id"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(id, "accepted");

        // Simulate a crash: a message held by a worker that vanished, lease already over.
        var ct = TestContext.Current.CancellationToken;
        var now = TimeProvider.System.GetUtcNow();
        var crashed = new Herald.Storage.Records.MessageRecord
        {
            Id = Guid.CreateVersion7().ToString("N"), ProviderId = (await _herald.Services.GetRequiredService<IProviderStore>().FindAsync("Stub", ct))!.Id,
            ProviderNickname = "Stub", To = "+919812345679", Body = "held by a crashed worker", Type = "txn", Source = "api",
            DynamicFields = "{\"sender\":\"S\"}", Status = Herald.Core.Messaging.DeliveryState.Queued, CreatedAt = now, UpdatedAt = now,
        };
        await queue.EnqueueAsync([(crashed, new DispatchInfo(1, now.AddHours(1), now.AddHours(2), "gsm7", 1))], null, ct);
        var claimed = await ClaimDueLaterAsync(queue, crashed.Id, ct);
        Assert.True(claimed);

        var message = await _herald.WaitForStatusAsync(crashed.Id, "accepted");
        var timeline = message["timeline"]!.AsArray();
        Assert.Contains(timeline, e => e!["event"]!.GetValue<string>() == "lease-expired");
        Assert.Contains(timeline, e => e!["note"]?.GetValue<string>().Contains("resent-after-crash", StringComparison.Ordinal) == true);
        Assert.Equal(crashed.Id, _received.Last()["message_id"].ToString());
    }

    /// <summary>Makes the message due, claims it with a lease that is already over, as a worker that died would leave it.</summary>
    private async Task<bool> ClaimDueLaterAsync(IDispatchQueue queue, string id, CancellationToken ct)
    {
        // The message is due in an hour, so our dispatcher leaves it alone; move it to now and claim it at once with a tiny lease.
        var database = _herald.Services.GetRequiredService<HeraldDatabase>();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_herald.DataDir, "herald.db")}");
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE messages SET status = 'dispatching', lease_until = 1, lease_owner = 'dead-worker', attempts = 1, next_attempt_at = 0 WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        _ = database;
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
