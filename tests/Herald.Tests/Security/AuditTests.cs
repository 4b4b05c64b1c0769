using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>Issue 14 §2: the audit log of admin changes (who, what, when, from where; never a secret).</summary>
public sealed class AuditTests : IAsyncLifetime
{
    private const string Password = "Sup3r-Secret-Password-77";
    private const string HeaderSecret = "hdr-secret-value-4242";
    private const string QuerySecret = "query-secret-value-9191";

    private HeraldInstance _herald = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _herald = await HeraldInstance.StartAsync();

    public async ValueTask DisposeAsync() => await _herald.DisposeAsync();

    private static object Provider(string nickname, string password) => new
    {
        nickname,
        kind = "generic",
        settings = new
        {
            endpoint = $"https://sms.example.com/send?api_key={QuerySecret}",
            authentication = new { type = "basic", username = "acct", password },
            headers = new[] { new { key = "X-Auth-Key", value = HeaderSecret } },
            parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } },
        },
    };

    private async Task<JsonArray> AuditAsync(string query = "")
    {
        var page = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/audit" + query, Ct), HttpStatusCode.OK);
        return page["items"]!.AsArray();
    }

    [Fact]
    public async Task AdminChanges_ThroughTheApi_EachWritesWhoWhatTargetAndFrom()
    {
        var admin = (await _herald.Services.GetRequiredService<IApiKeyStore>().ListAsync(Ct)).Single(k => k.Prefix == HeraldInstance.ApiKey[..8]);
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", Provider("Audited", Password), Ct), HttpStatusCode.Created);
        var providerId = created["id"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{providerId}", Provider("Audited2", Password + "-new"), Ct), HttpStatusCode.OK);
        var group = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/provider-groups",
            new { name = "primary", providers = new[] { providerId } }, Ct), HttpStatusCode.Created);
        var key = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "ci", scope = "send" }, Ct), HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync($"/api/v1/keys/{key["id"]}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync($"/api/v1/provider-groups/{group["id"]}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync($"/api/v1/providers/{providerId}", Ct)).StatusCode);
        // Refused changes are not changes: nothing is written for them.
        Assert.Equal(HttpStatusCode.BadRequest, (await _herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _herald.Api.DeleteAsync("/api/v1/providers/no-such-provider", Ct)).StatusCode);

        var entries = await AuditAsync();

        Assert.Equal(
            ["provider.delete", "provider-group.delete", "key.revoke", "key.create", "provider-group.create", "provider.update", "provider.create"],
            entries.Select(e => e!["action"]!.GetValue<string>()));
        Assert.All(entries, e =>
        {
            Assert.Equal("key", e!["actor"]!["kind"]!.GetValue<string>());
            Assert.Equal(admin.Id, e["actor"]!["id"]!.GetValue<string>());
            Assert.Equal("127.0.0.1", e["clientIp"]!.GetValue<string>());
        });
        var update = entries.Single(e => e!["action"]!.GetValue<string>() == "provider.update")!;
        Assert.Equal(providerId, update["targetId"]!.GetValue<string>());
        Assert.Contains("Audited2", update["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        var keyCreated = entries.Single(e => e!["action"]!.GetValue<string>() == "key.create")!;
        Assert.Equal(key["id"]!.GetValue<string>(), keyCreated["targetId"]!.GetValue<string>());
        Assert.Contains("scope send", keyCreated["summary"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_FiltersByActionAndActor_AndPagesWithTheCursor()
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "second-admin", scope = "admin" }, Ct), HttpStatusCode.Created);
        using var second = TestHttp.Create(_herald.BaseUrl, created["key"]!.GetValue<string>());
        for (var i = 0; i < 3; i++)
        {
            await HeraldInstance.ReadObjectAsync(await second.PostAsJsonAsync("/api/v1/providers", Provider($"P{i}", Password), Ct), HttpStatusCode.Created);
        }

        var byAction = await AuditAsync("?action=provider.create");
        Assert.Equal(3, byAction.Count);
        var byPrefix = await AuditAsync("?action=provider.");
        Assert.Equal(3, byPrefix.Count);
        var byActor = await AuditAsync("?actor=second-admin");
        Assert.Equal(3, byActor.Count);
        Assert.All(byActor, e => Assert.Equal(created["id"]!.GetValue<string>(), e!["actor"]!["id"]!.GetValue<string>()));
        Assert.Single(await AuditAsync("?actor=bootstrap%20(HERALD_API_KEY)"));

        var first = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/audit?limit=2", Ct), HttpStatusCode.OK);
        Assert.Equal(2, first["items"]!.AsArray().Count);
        var rest = await AuditAsync($"?limit=2&cursor={first["next"]!.GetValue<string>()}");
        Assert.Equal(2, rest.Count);
        Assert.Empty(first["items"]!.AsArray().Select(e => e!["id"]!.GetValue<long>()).Intersect(rest.Select(e => e!["id"]!.GetValue<long>())));
        Assert.Equal(HttpStatusCode.BadRequest, (await _herald.Api.GetAsync("/api/v1/audit?cursor=abc", Ct)).StatusCode);
    }

    [Fact]
    public async Task Audit_ProviderWithSecretsCreatedUpdatedAndKeysMade_NoSecretIsWrittenAnywhereInTheLog()
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", Provider("Secretive", Password), Ct), HttpStatusCode.Created);
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{created["id"]}", Provider("Secretive", Password + "-rotated"), Ct), HttpStatusCode.OK);
        var key = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "deploy", scope = "admin" }, Ct), HttpStatusCode.Created);
        var newKey = key["key"]!.GetValue<string>();

        var answer = await (await _herald.Api.GetAsync("/api/v1/audit?limit=500", Ct)).Content.ReadAsStringAsync(Ct);
        // The table itself, every column of every row, as an operator with sqlite3 would see it.
        var rows = new List<string>();
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_herald.DataDir, "herald.db")};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT * FROM audit_log";
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : reader.GetValue(i).ToString())));
            }
        }

        Assert.Equal(3, rows.Count);
        foreach (var text in rows.Append(answer))
        {
            foreach (var secret in new[] { Password, HeaderSecret, QuerySecret, newKey, newKey[8..] })
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Audit_ForbiddenChangeByAReadKey_WritesNothingAndReadKeyMayReadTheLog()
    {
        var key = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "auditor", scope = "read" }, Ct), HttpStatusCode.Created);
        using var reader = TestHttp.Create(_herald.BaseUrl, key["key"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/api/v1/providers", Provider("Nope", Password), Ct)).StatusCode);

        var page = await HeraldInstance.ReadObjectAsync(await reader.GetAsync("/api/v1/audit", Ct), HttpStatusCode.OK);
        Assert.Equal(["key.create"], page["items"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()));
    }
}
