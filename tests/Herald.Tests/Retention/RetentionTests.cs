using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Retention;

/// <summary>
/// Retention (issue 11 §8) through the running server on a fake clock, over a real database and a stub provider: after 30 days a
/// message's text and raw exchange are blanked while it stays; after 180 days it is gone, and the counts the API gives are the same.
/// </summary>
public abstract class RetentionTests(TestDatabase database) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 8, 30, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync(database, extra: new Dictionary<string, string?>
        {
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
            ["Herald:Retention:BatchSize"] = "2",
            ["Herald:Retention:BatchPause"] = "00:00:00",
        }, clock: _clock);
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, Ct), HttpStatusCode.Created);
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task Retention_ContentAfter30DaysMessagesAfter180_CountsUnchanged()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var answer = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
                new { to = $"+1415555{i:0000}", body = $"Your code is {i}{i}{i}", type = "txn" }, Ct), HttpStatusCode.Accepted);
            ids.Add(answer["id"]!.GetValue<string>());
        }
        foreach (var id in ids)
        {
            await TestHttp.EventuallyAsync(async () => (await MessageAsync(id))["status"]!.GetValue<string>() == "accepted" ? "yes" : null, $"{id} accepted");
        }
        var before = await CountsAsync();

        _clock.Advance(TimeSpan.FromDays(31));
        await TestHttp.EventuallyAsync(async () => (await MessageAsync(ids[^1]))["body"] is null ? "blanked" : null, "bodies blanked after 30 days");

        foreach (var id in ids)
        {
            var message = await MessageAsync(id);
            Assert.Equal("accepted", message["status"]!.GetValue<string>());
            Assert.Null(message["body"]);
            Assert.All(message["timeline"]!.AsArray(), e => Assert.Null(e!["detail"]));
        }
        Assert.Equal(before, await CountsAsync());

        _clock.Advance(TimeSpan.FromDays(150));
        await TestHttp.EventuallyAsync(async () =>
            (await _herald.Api.GetAsync($"/api/v1/messages/{ids[^1]}", Ct)).StatusCode == HttpStatusCode.NotFound ? "gone" : null, "messages removed after 180 days");

        foreach (var id in ids)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _herald.Api.GetAsync($"/api/v1/messages/{id}", Ct)).StatusCode);
        }
        Assert.Equal(before, await CountsAsync());
        Assert.Contains("\"accepted\":5", before, StringComparison.Ordinal);
    }

    private async Task<JsonObject> MessageAsync(string id) =>
        await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/messages/{id}", Ct), HttpStatusCode.OK);

    private async Task<string> CountsAsync() =>
        (await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/messages/counts?provider=Stub", Ct), HttpStatusCode.OK)).ToJsonString()
        + (await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/messages/counts", Ct), HttpStatusCode.OK)).ToJsonString();
}

public sealed class SqliteRetentionTests() : RetentionTests(TestDatabase.Sqlite);

public sealed class PostgresRetentionTests() : RetentionTests(TestDatabase.Postgres);

/// <summary>The Herald:Retention settings as a server reads them.</summary>
public sealed class RetentionSettingsTests
{
    [Fact]
    public async Task Start_EmptyRetentionSettings_KeepsContentAndMessages()
    {
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:Retention:Content"] = "", ["Herald:Retention:Messages"] = "",
        });

        var options = herald.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Herald.Storage.RetentionOptions>>().Value;

        Assert.Null(options.Content);
        Assert.Null(options.Messages);
    }

    [Fact]
    public async Task Start_MessagesRetentionOfOneDay_RefusedWithTheSettingToFix()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?> { ["Herald:Retention:Messages"] = "1.00:00:00" });
        });

        Assert.Contains("Herald:Retention:Messages must be at least 7 days", failure.ToString(), StringComparison.Ordinal);
    }
}
