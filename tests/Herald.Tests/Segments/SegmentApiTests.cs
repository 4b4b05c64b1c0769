using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Segments;

/// <summary>/api/v1/segments through real HTTP on a real SQLite file: save, count, preview, the live count, and 400s that point at the bad node.</summary>
public sealed class SegmentApiTests : IAsyncLifetime
{
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync()
    {
        _herald = await HeraldInstance.StartAsync();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_herald.DataDir, "herald.db"), Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO contacts (id, phone, external_id, country, timezone, locale, attributes, erased_at, created_at, updated_at)
            VALUES (@Id, @Phone, NULL, @Country, 'Asia/Kolkata', 'en-IN', @Attributes, @Erased, 0, 0)
            """, new[]
        {
            new { Id = "ct_1", Phone = (string?)"+919800000001", Country = "IN", Attributes = """{"city":"Pune","age":30}""", Erased = (long?)null },
            new { Id = "ct_2", Phone = (string?)"+919800000002", Country = "IN", Attributes = """{"city":"Mumbai","age":41}""", Erased = (long?)null },
            new { Id = "ct_3", Phone = (string?)"+14155550100", Country = "US", Attributes = """{"city":"Pune"}""", Erased = (long?)null },
            new { Id = "ct_4", Phone = (string?)null, Country = "IN", Attributes = """{"city":"Pune"}""", Erased = (long?)1 },
        });
    }

    public async ValueTask DisposeAsync() => await _herald.DisposeAsync();

    private static object Pune => new { all = new object[] { new { country = "IN" }, new { attribute = "city", op = "eq", value = "Pune" } } };

    [Fact]
    public async Task Create_ValidRule_SavesItAndCountsAndPreviewsItsContacts()
    {
        var created = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/segments", new { name = "Pune, India", rule = Pune }), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        Assert.StartsWith("seg_", id, StringComparison.Ordinal);
        Assert.Equal("IN", created["rule"]!["all"]![0]!["country"]!.GetValue<string>());

        var count = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/segments/{id}/count"), HttpStatusCode.OK);
        Assert.Equal(1, count["count"]!.GetValue<long>());

        var preview = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/segments/{id}/preview?limit=20"), HttpStatusCode.OK);
        var contact = Assert.Single(preview["items"]!.AsArray())!;
        Assert.Equal(("ct_1", "+919800000001", "Pune"), (contact["id"]!.GetValue<string>(), contact["phone"]!.GetValue<string>(),
            contact["attributes"]!["city"]!.GetValue<string>()));

        var listed = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/segments"), HttpStatusCode.OK);
        Assert.Contains(listed["items"]!.AsArray(), s => s!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Update_NewRule_ChangesTheCount()
    {
        var created = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/segments", new { name = "Pune", rule = Pune }), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();

        var updated = await HeraldInstance.ReadObjectAsync(await _herald.Api.PutAsJsonAsync($"/api/v1/segments/{id}",
            new { name = "Pune anywhere", rule = new { attribute = "city", op = "eq", value = "Pune" } }), HttpStatusCode.OK);

        Assert.Equal("Pune anywhere", updated["name"]!.GetValue<string>());
        var count = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/segments/{id}/count"), HttpStatusCode.OK);
        Assert.Equal(2, count["count"]!.GetValue<long>());
    }

    [Fact]
    public async Task Delete_Segment_IsGoneAfterwards()
    {
        var created = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/segments", new { name = "Gone", rule = Pune }), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync($"/api/v1/segments/{id}")).StatusCode);

        var problem = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync($"/api/v1/segments/{id}"), HttpStatusCode.NotFound);
        Assert.Contains(id, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _herald.Api.GetAsync($"/api/v1/segments/{id}/count")).StatusCode);
    }

    [Fact]
    public async Task CountUnsaved_Rule_AnswersWithoutSaving()
    {
        var count = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/segments/count",
            new { rule = new { attribute = "age", op = "gt", value = 25 } }), HttpStatusCode.OK);

        Assert.Equal(2, count["count"]!.GetValue<long>());
        var listed = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/segments"), HttpStatusCode.OK);
        Assert.Empty(listed["items"]!.AsArray());
    }

    [Fact]
    public async Task Create_UnknownOperator_Is400AtThePathOfTheBadNode()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/segments", new
        {
            name = "Bad",
            rule = new { all = new object[] { new { country = "IN" }, new { attribute = "city", op = "equals", value = "Pune" } } },
        });

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        var message = problem["errors"]!["$.all[1].op"]![0]!.GetValue<string>();
        Assert.StartsWith("unknown operator \"equals\"; use one of eq, neq", message, StringComparison.Ordinal);
        Assert.Contains("$.all[1].op: unknown operator", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_NoNameNoRule_NamesBoth()
    {
        var problem = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/segments", new { }), HttpStatusCode.BadRequest);

        Assert.NotNull(problem["errors"]!["name"]);
        Assert.NotNull(problem["errors"]!["rule"]);
    }

    [Fact]
    public async Task Preview_LimitOutOfRange_Is400()
    {
        var created = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/segments", new { name = "P", rule = Pune }), HttpStatusCode.Created);

        var problem = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.GetAsync($"/api/v1/segments/{created["id"]}/preview?limit=1000"), HttpStatusCode.BadRequest);

        Assert.NotNull(problem["errors"]!["limit"]);
    }
}
