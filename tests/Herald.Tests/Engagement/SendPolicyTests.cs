using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Herald.Tests.Engagement;

/// <summary>
/// The send-path policy (issue 12 §6) through POST /api/v1/messages and /messages/batch, over real HTTP, a real database and
/// a stub provider, on a fake clock: each reason code, the order of the checks, and a deferred message that is then sent.
/// </summary>
public abstract class SendPolicyTests(TestDatabase database) : IAsyncLifetime
{
    /// <summary>Monday 7 December 2026, 08:30 UTC = 14:00 IST (inside India's window) = 03:30 in New York (outside the US one).</summary>
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 8, 30, 0, TimeSpan.Zero);

    private const string Contact = "+919812345001";

    private readonly ConcurrentQueue<IFormCollection> _received = new();
    private readonly FakeTimeProvider _clock = new(Start);
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            _received.Enqueue(form);
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        }, clock: _clock);
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
                    new { key = "type", value = "$$TYPE" }, new { key = "template_id", value = "$$TemplateID" },
                    new { key = "entity_id", value = "$$EntityId" }, new { key = "header", value = "$$Header" },
                },
            },
        }), HttpStatusCode.Created);
        await AddContactAsync(Contact, promotional: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task Send_SuppressedNumber_IsRejectedWithSuppressed()
    {
        await ExecAsync("INSERT INTO suppressions (phone, reason, categories, source, created_at, updated_at) VALUES (@phone, 'opt-out', '*', 'sms', 0, 0)", new { phone = Contact });

        var answer = await SendAsync(new { to = Contact, body = "Your OTP is 1234", type = "otp" });

        Assert.Equal("rejected", answer["status"]!.GetValue<string>());
        Assert.Equal("suppressed", answer["reason"]!.GetValue<string>());
        var message = await MessageAsync(answer["id"]!.GetValue<string>());
        Assert.Equal("rejected", message["status"]!.GetValue<string>());
        var skipped = message["timeline"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "skipped")!;
        Assert.StartsWith("suppressed:", skipped["note"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_received);
    }

    [Fact]
    public async Task Send_MarketingWithoutConsent_IsRejectedWithNoConsent()
    {
        await AddContactAsync("+919812345002", promotional: false);

        var refused = await SendAsync(new { to = "+919812345002", body = "50% off today", type = "mkt" });
        var stranger = await SendAsync(new { to = "+919812345003", body = "50% off today", type = "mkt" });
        var transactional = await SendAsync(new { to = "+919812345003", body = "Your order shipped", type = "txn" });

        Assert.Equal("no-consent", refused["reason"]!.GetValue<string>());
        Assert.Equal("no-consent", stranger["reason"]!.GetValue<string>());
        Assert.Equal("queued", transactional["status"]!.GetValue<string>());
        await DeliveredToProviderAsync(transactional["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_PromotionalToIndiaAt2300Ist_IsDeferredTo1000IstThenSent()
    {
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 17, 30, 0, TimeSpan.Zero)); // 23:00 IST

        var answer = await SendAsync(new { to = Contact, body = "Diwali sale: 50% off", type = "mkt" });

        Assert.Equal("queued", answer["status"]!.GetValue<string>());
        Assert.Equal("legal-window", answer["reason"]!.GetValue<string>());
        var tenIst = new DateTimeOffset(2026, 12, 8, 10, 0, 0, TimeSpan.FromHours(5.5));
        Assert.Equal(tenIst, answer["notBefore"]!.GetValue<DateTimeOffset>());
        var id = answer["id"]!.GetValue<string>();
        var message = await MessageAsync(id);
        Assert.Contains(message["timeline"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "deferred");

        _clock.SetUtcNow(tenIst.AddMinutes(-1)); // 09:59 IST: still waiting
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(_received);

        _clock.SetUtcNow(tenIst.AddSeconds(1));
        await DeliveredToProviderAsync(id);
        Assert.Equal("Diwali sale: 50% off", _received.Single()["body"].ToString());
    }

    [Fact]
    public async Task Send_OverTheFrequencyCap_IsRejectedWithFrequencyCap_AndOtpStillGoes()
    {
        var first = await SendAsync(new { to = Contact, body = "New arrivals", type = "mkt" });
        await DeliveredToProviderAsync(first["id"]!.GetValue<string>());
        _clock.Advance(TimeSpan.FromHours(1));

        var second = await SendAsync(new { to = Contact, body = "Last chance", type = "mkt" });
        var otp = await SendAsync(new { to = Contact, body = "Your OTP is 4321", type = "otp" });

        Assert.Equal("rejected", second["status"]!.GetValue<string>());
        Assert.Equal("frequency-cap", second["reason"]!.GetValue<string>());
        Assert.Equal("queued", otp["status"]!.GetValue<string>());
        await DeliveredToProviderAsync(otp["id"]!.GetValue<string>());

        _clock.Advance(TimeSpan.FromHours(3)); // 4 h after the first: the 1-per-4-h cap lets one more through
        var third = await SendAsync(new { to = Contact, body = "Weekend deals", type = "mkt" });
        Assert.Equal("queued", third["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendBatch_EachItemDecidedInOrder_ReasonsPerItem()
    {
        await ExecAsync("INSERT INTO suppressions (phone, reason, categories, source, created_at, updated_at) VALUES ('+919812345009', 'complaint', 'promotional', NULL, 0, 0)", null);
        await AddContactAsync("+919812345009", promotional: true);
        await AddContactAsync("+12125552671", promotional: true, timeZone: "America/New_York");
        await RegisterShippedTemplateAsync();

        var response = await _herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new
        {
            messages = new object[]
            {
                new { to = Contact, body = "Offer one", type = "mkt" },
                new { to = Contact, body = "Offer two", type = "mkt" },
                new { to = "+919812345009", body = "Offer", type = "mkt" },
                new { to = "+919812345009", body = "Your OTP is 1111", type = "otp" },
                new { to = "+919812345004", body = "Offer", type = "mkt" },
                new { to = "not a number", body = "x" },
                new { to = "+12125552671", body = "Holiday sale", type = "mkt" }, // 03:30 in New York
                new { to = "+919812345004", body = "Dear Asha, your order 42 was shipped. - Shop", type = "txn", templateId = "1107161234567890123" },
            },
        }, TestContext.Current.CancellationToken);
        var answer = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Accepted);

        var items = answer["accepted"]!.AsArray().ToDictionary(a => a!["index"]!.GetValue<int>(), a => a!);
        Assert.Equal("queued", items[0]["status"]!.GetValue<string>());
        Assert.Equal(("rejected", "frequency-cap"), (items[1]["status"]!.GetValue<string>(), items[1]["reason"]!.GetValue<string>()));
        Assert.Equal(("rejected", "suppressed"), (items[2]["status"]!.GetValue<string>(), items[2]["reason"]!.GetValue<string>()));
        Assert.Equal("queued", items[3]["status"]!.GetValue<string>()); // suppressed for promotional only
        Assert.Equal(("rejected", "no-consent"), (items[4]["status"]!.GetValue<string>(), items[4]["reason"]!.GetValue<string>()));
        Assert.Equal(5, answer["rejected"]!.AsArray().Single()!["index"]!.GetValue<int>());
        Assert.Equal(("queued", "legal-window"), (items[6]["status"]!.GetValue<string>(), items[6]["reason"]!.GetValue<string>()));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.FromHours(-5)), items[6]["notBefore"]!.GetValue<DateTimeOffset>());
        Assert.Equal(("rejected", "dlt-mismatch"), (items[7]["status"]!.GetValue<string>(), items[7]["reason"]!.GetValue<string>()));
        await DeliveredToProviderAsync(items[0]["id"]!.GetValue<string>());
        await DeliveredToProviderAsync(items[3]["id"]!.GetValue<string>());
        Assert.Equal(2, _received.Count);
    }

    [Fact]
    public async Task Send_DltMismatch_IsRejectedWithDltMismatch_AndAMatchCarriesEntityAndHeader()
    {
        await RegisterShippedTemplateAsync();

        var wrongText = await SendAsync(new { to = Contact, body = "Dear Asha, your order 42 was shipped. - Shop", type = "txn", templateId = "1107161234567890123", sender = "SHOPIN" });
        var wrongSender = await SendAsync(new { to = Contact, body = "Dear Asha, your order 42 has shipped. - Shop", type = "txn", templateId = "1107161234567890123", sender = "OTHERS" });
        var tooLong = await SendAsync(new { to = Contact, body = $"Dear {new string('a', 31)}, your order 42 has shipped. - Shop", type = "txn", templateId = "1107161234567890123" });
        var match = await SendAsync(new { to = Contact, body = "Dear Asha, your order 42 has shipped. - Shop", type = "txn", templateId = "1107161234567890123" });

        Assert.Equal("dlt-mismatch", wrongText["reason"]!.GetValue<string>());
        Assert.Equal("dlt-mismatch", wrongSender["reason"]!.GetValue<string>());
        Assert.Equal("dlt-mismatch", tooLong["reason"]!.GetValue<string>());
        var note = (await MessageAsync(wrongText["id"]!.GetValue<string>()))["timeline"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "skipped")!["note"]!.GetValue<string>();
        Assert.Contains("has shipped", note, StringComparison.Ordinal);
        Assert.Equal("queued", match["status"]!.GetValue<string>());
        await DeliveredToProviderAsync(match["id"]!.GetValue<string>());
        var sent = _received.Single();
        // The sender came from the template's registered header; $$EntityId and $$Header reached the generic provider.
        Assert.Equal(("1201159876543210", "SHOPIN", "1107161234567890123"), (sent["entity_id"].ToString(), sent["header"].ToString(), sent["template_id"].ToString()));
        Assert.Equal("SHOPIN", (await MessageAsync(match["id"]!.GetValue<string>()))["sender"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dispatch_StopArrivesWhileDeferred_IsHonouredWhenDue()
    {
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 17, 30, 0, TimeSpan.Zero)); // 23:00 IST
        var answer = await SendAsync(new { to = Contact, body = "Midnight madness", type = "mkt" });
        Assert.Equal("legal-window", answer["reason"]!.GetValue<string>());

        await ExecAsync("INSERT INTO suppressions (phone, reason, categories, source, created_at, updated_at) VALUES (@phone, 'opt-out', '*', 'sms', 0, 0)", new { phone = Contact });
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 8, 10, 0, 1, TimeSpan.FromHours(5.5)));

        var id = answer["id"]!.GetValue<string>();
        var message = await TestHttp.EventuallyAsync(async () =>
        {
            var m = await MessageAsync(id);
            return m["status"]!.GetValue<string>() == "rejected" ? m : null;
        }, "the deferred message to be skipped when it came due");
        Assert.Contains(message["timeline"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "skipped" && e["note"]!.GetValue<string>().StartsWith("suppressed:", StringComparison.Ordinal));
        Assert.Empty(_received);
    }

    // ------------------------------------------------------------ helpers

    private async Task<JsonObject> SendAsync(object body)
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/messages", body, TestContext.Current.CancellationToken);
        return await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Accepted);
    }

    private async Task<JsonObject> MessageAsync(string id) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/messages/{id}", TestContext.Current.CancellationToken), HttpStatusCode.OK);

    private async Task DeliveredToProviderAsync(string id) =>
        await TestHttp.EventuallyAsync(async () =>
        {
            var status = (await MessageAsync(id))["status"]!.GetValue<string>();
            return status == "accepted" ? status : null;
        }, $"message {id} to reach the provider");

    private Task AddContactAsync(string phone, bool promotional, string timeZone = "Asia/Kolkata") =>
        ExecAsync("""
            INSERT INTO contacts (id, phone, country, timezone, attributes, created_at, updated_at) VALUES (@id, @phone, NULL, @timeZone, '{}', 0, 0);
            INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES (@id, 'promotional', @granted, 'test', 0);
            """, new { id = "ct_" + phone[1..], phone, timeZone, granted = promotional ? 1 : 0 });

    private Task RegisterShippedTemplateAsync() =>
        ExecAsync("""
            INSERT INTO dlt_templates (template_id, entity_id, header, category, text, created_at, updated_at)
            VALUES ('1107161234567890123', '1201159876543210', 'SHOPIN', 'transactional', 'Dear {#var#}, your order {#var#} has shipped. - Shop', 0, 0)
            """, null);

    private async Task ExecAsync(string sql, object? parameters)
    {
        await using DbConnection connection = database == TestDatabase.Postgres
            ? new NpgsqlConnection(_herald.Settings["Herald:Database:ConnectionString"])
            : new SqliteConnection($"Data Source={Path.Combine(_herald.DataDir, "herald.db")}");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await connection.ExecuteAsync(sql, parameters);
    }
}

public sealed class SqliteSendPolicyTests() : SendPolicyTests(TestDatabase.Sqlite);

public sealed class PostgresSendPolicyTests() : SendPolicyTests(TestDatabase.Postgres);
