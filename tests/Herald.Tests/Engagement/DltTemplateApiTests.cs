using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Engagement;

/// <summary>/api/v1/dlt/templates over real HTTP and a real database.</summary>
public abstract class DltTemplateApiTests(TestDatabase database) : IAsyncLifetime
{
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync() => _herald = await HeraldInstance.StartAsync(database);

    public async ValueTask DisposeAsync() => await _herald.DisposeAsync();

    private static object Template(string id = "1107161234567890123", string text = "Hi {#var#}, {#var#}% off at Shop") =>
        new { templateId = id, entityId = "1201159876543210", header = "shopin", category = "promotional", text };

    [Fact]
    public async Task Crud_RegisterReadReplaceListDelete()
    {
        var ct = TestContext.Current.CancellationToken;
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates", Template(), ct), HttpStatusCode.Created);
        Assert.Equal(("SHOPIN", 2), (created["header"]!.GetValue<string>(), created["variables"]!.GetValue<int>()));
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates", Template(), ct), HttpStatusCode.Conflict);
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates", Template("1107161234567890999"), ct), HttpStatusCode.Created);

        var replaced = await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync("/api/v1/dlt/templates/1107161234567890123",
            Template(text: "Hello {#var#}"), ct), HttpStatusCode.OK);
        Assert.Equal(1, replaced["variables"]!.GetValue<int>());
        var page = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/dlt/templates?limit=1", ct), HttpStatusCode.OK);
        Assert.Equal("1107161234567890123", page["items"]![0]!["templateId"]!.GetValue<string>());
        var next = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/dlt/templates?limit=1&cursor={page["next"]!.GetValue<string>()}", ct), HttpStatusCode.OK);
        Assert.Equal("1107161234567890999", next["items"]![0]!["templateId"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync("/api/v1/dlt/templates/1107161234567890123", ct)).StatusCode);
        await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/dlt/templates/1107161234567890123", ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Post_BadFields_Are400NamingEachField()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates",
            new { templateId = "12", entityId = "x", header = "TOO-LONG-HEADER", category = "marketing", text = "" }, TestContext.Current.CancellationToken);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["category", "entityId", "header", "templateId", "text"], errors.Select(e => e.Key).Order());
    }

    [Fact]
    public async Task Check_LiquidBody_SaysWhetherItCanOnlyProduceTheRegisteredText()
    {
        var ct = TestContext.Current.CancellationToken;
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates", Template(), ct), HttpStatusCode.Created);

        var good = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates/1107161234567890123/check",
            new { body = "Hi {{ contact.first_name | default: \"there\" }}, {{ event.properties.discount }}% off at Shop" }, ct), HttpStatusCode.OK);
        var bad = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/dlt/templates/1107161234567890123/check",
            new { body = "Hi {{ contact.first_name }}, {{ event.properties.discount }}% off at the Shop" }, ct), HttpStatusCode.OK);

        Assert.True(good["matches"]!.GetValue<bool>());
        Assert.False(bad["matches"]!.GetValue<bool>());
        Assert.Contains("after the last output", bad["difference"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

public sealed class SqliteDltTemplateApiTests() : DltTemplateApiTests(TestDatabase.Sqlite);

public sealed class PostgresDltTemplateApiTests() : DltTemplateApiTests(TestDatabase.Postgres);
