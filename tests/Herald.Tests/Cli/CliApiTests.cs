using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary>The API the CLI added: /api/v1/keys and the delivery-report feed /api/v1/dlr.</summary>
public sealed class CliApiTests : CliTestBase
{
    [Fact]
    public async Task PostKeys_Name_Returns201WithTheKeyOnlyThere()
    {
        var response = await Herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "  ci  " }, Ct);
        var created = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Created);
        var key = created["key"]!.GetValue<string>();
        var id = created["id"]!.GetValue<string>();

        Assert.Equal("ci", created["name"]!.GetValue<string>());
        Assert.StartsWith("key_", id);
        Assert.Equal($"/api/v1/keys/{id}", response.Headers.Location!.ToString());
        Assert.NotNull(created["createdAt"]);
        var listText = await Herald.Api.GetStringAsync("/api/v1/keys", Ct);
        Assert.DoesNotContain(key, listText);
        Assert.DoesNotContain("hash", listText, StringComparison.OrdinalIgnoreCase);
        var listed = JsonNode.Parse(listText)!["items"]!.AsArray().Single(k => k!["id"]!.GetValue<string>() == id)!;
        Assert.Equal(key[..8], listed["prefix"]!.GetValue<string>());
        Assert.Null(listed["revokedAt"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("   ")]
    [InlineData("an-api-key-name-that-is-far-too-long-to-be-useful-in-any-list-xyz")]
    public async Task PostKeys_MissingOrLongName_Returns400NamingTheField(string? name)
    {
        var response = await Herald.Api.PostAsJsonAsync("/api/v1/keys", new { name }, Ct);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["name"]);
    }

    [Fact]
    public async Task DeleteKeys_TheKeyInUse_IsAllowedAndTheNextCallIs401()
    {
        var created = await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "self" }, Ct), HttpStatusCode.Created);
        using var api = TestHttp.Create(Herald.BaseUrl, created["key"]!.GetValue<string>());

        var revoke = await api.DeleteAsync($"/api/v1/keys/{created["id"]!.GetValue<string>()}", Ct);
        var next = await api.GetAsync("/api/v1/keys", Ct);
        var again = await Herald.Api.DeleteAsync($"/api/v1/keys/{created["id"]!.GetValue<string>()}", Ct);
        var unknown = await Herald.Api.DeleteAsync("/api/v1/keys/key_unknown", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, next.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var listed = JsonNode.Parse(await Herald.Api.GetStringAsync("/api/v1/keys", Ct))!["items"]!.AsArray()
            .Single(k => k!["id"]!.GetValue<string>() == created["id"]!.GetValue<string>())!;
        Assert.NotNull(listed["revokedAt"]);
    }

    [Fact]
    public async Task DeleteKeys_TheConfiguredKey_Returns409AndTheKeyStillWorks()
    {
        var keys = JsonNode.Parse(await Herald.Api.GetStringAsync("/api/v1/keys", Ct))!["items"]!.AsArray();
        var configured = keys.Single(k => k!["prefix"]!.GetValue<string>() == HeraldInstance.ApiKey[..8])!["id"]!.GetValue<string>();

        var response = await Herald.Api.DeleteAsync($"/api/v1/keys/{configured}", Ct);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("HERALD_API_KEY", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Herald.Api.GetAsync("/api/v1/keys", Ct)).StatusCode);
    }

    [Fact]
    public async Task GetKeys_WithoutAKey_Is401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Herald.Anonymous.GetAsync("/api/v1/keys", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Herald.Anonymous.GetAsync("/api/v1/dlr", Ct)).StatusCode);
    }

    [Fact]
    public async Task GetDlr_LatestThenAfter_ReturnsReportsOldestFirstWithNext()
    {
        var providerId = await CreateProviderAsync();
        var other = await CreateProviderAsync("Other");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = (await Herald.TestSmsAsync(i == 1 ? other : providerId, $"981234567{i}"))["messageId"]!.GetValue<string>();
            await Herald.WaitForStatusAsync(id, "delivered");
            ids.Add(id);
        }

        var latest = JsonNode.Parse(await Herald.Api.GetStringAsync("/api/v1/dlr?limit=2", Ct))!;
        var latestItems = latest["items"]!.AsArray();
        Assert.Equal(2, latestItems.Count);
        Assert.Contains(ids[1], latestItems[0]!["body"]!.GetValue<string>());
        Assert.Contains(ids[2], latestItems[1]!["body"]!.GetValue<string>());
        Assert.Equal(latestItems[1]!["id"]!.GetValue<long>(), latest["next"]!.GetValue<long>());
        Assert.Equal("POST", latestItems[1]!["method"]!.GetValue<string>());
        Assert.Equal("success", latestItems[1]!["result"]!["status"]!.GetValue<string>());
        Assert.NotNull(latestItems[1]!["receivedAt"]);

        var mine = JsonNode.Parse(await Herald.Api.GetStringAsync("/api/v1/dlr?provider=Kaleyra_SMS&after=0", Ct))!["items"]!.AsArray();
        Assert.Equal(2, mine.Count);
        Assert.All(mine, item => Assert.Equal(providerId, item!["providerId"]!.GetValue<string>()));

        var next = latest["next"]!.GetValue<long>();
        var empty = JsonNode.Parse(await Herald.Api.GetStringAsync($"/api/v1/dlr?after={next}", Ct))!;
        Assert.Empty(empty["items"]!.AsArray());
        Assert.Equal(next, empty["next"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("after=-1")]
    public async Task GetDlr_BadPaging_Returns400(string query)
    {
        var response = await Herald.Api.GetAsync($"/api/v1/dlr?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
