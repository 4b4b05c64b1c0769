using Dapper;
using Microsoft.Data.Sqlite;

namespace Herald.Dashboard.Tests;

/// <summary>The Segments page in Chromium: conditions added in the builder, the live count, raw JSON, save and the list.</summary>
public sealed class SegmentsTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Segments_BuildWithTheBuilder_CountsLiveAndSaves()
    {
        var city = Unique("city");
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "herald.db")};Pooling=False"))
        {
            await connection.ExecuteAsync("""
                INSERT INTO contacts (id, phone, country, attributes, created_at, updated_at)
                VALUES (@Id, @Phone, @Country, @Attributes, 0, 0)
                """, Enumerable.Range(0, 5).Select(i => new
            {
                Id = $"ct_{city}_{i}", Phone = $"+9198{Random.Shared.Next(10_000_000, 99_999_999)}", Country = i < 3 ? "IN" : "US",
                Attributes = $$"""{"city":"{{city}}","age":{{20 + i * 10}}}""",
            }));
        }
        await SignInAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Segments" }).ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "New segment" }).ClickAsync();
        await Field("Name").FillAsync($"Segment {city}");
        await Field("Rule (JSON)").FillAsync("""{"all": []}""");
        await Expect(Page.Locator("[data-builder-rows] li")).ToHaveCountAsync(0);

        // An attribute condition: city = the test's own city (5 contacts).
        await Page.GetByRole(AriaRole.Button, new() { Name = "Attribute" }).ClickAsync();
        await Field("Attribute").FillAsync("city");
        await Field("Value").FillAsync(city);
        await Expect(Page.Locator("[data-segment-count]")).ToHaveTextAsync("5 contacts match now.");

        // A country condition narrows it to the 3 in India; the JSON follows the builder.
        await Page.GetByRole(AriaRole.Button, new() { Name = "Country" }).ClickAsync();
        await Field("Country").FillAsync("IN");
        await Expect(Page.Locator("[data-segment-count]")).ToHaveTextAsync("3 contacts match now.");
        await Expect(Field("Rule (JSON)")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"country\": \"IN\""));

        // A numeric comparison typed as a number: age > 25 among them (30, 40).
        await Page.GetByRole(AriaRole.Button, new() { Name = "Attribute" }).ClickAsync();
        await Field("Attribute").Last.FillAsync("age");
        await Page.GetByLabel("Operator", new() { Exact = true }).Last.SelectOptionAsync("gt");
        await Field("Value").Last.FillAsync("25");
        await Expect(Page.Locator("[data-segment-count]")).ToHaveTextAsync("2 contacts match now.");

        // The other kinds can be added too.
        await Page.GetByRole(AriaRole.Button, new() { Name = "Consent" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Event" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Random sample" }).ClickAsync();
        await Expect(Page.Locator("[data-builder-rows] li")).ToHaveCountAsync(6);
        await Expect(Page.Locator("[data-segment-count]")).ToContainTextAsync("$.all[4].event");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Remove condition 6" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Remove condition 5" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Remove condition 4" }).ClickAsync();
        await Expect(Page.Locator("[data-segment-count]")).ToHaveTextAsync("2 contacts match now.");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Save segment" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status).First).ToContainTextAsync($"Saved Segment {city}");
        await Expect(Page.Locator("[data-segment-count]")).ToHaveTextAsync("2 contacts match now.");
        await Expect(Page.Locator("[data-builder-rows] li")).ToHaveCountAsync(3);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Segments" }).First.ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Row).Filter(new() { HasText = $"Segment {city}" })).ToContainTextAsync("\"country\":\"IN\"");
    }

    [Fact]
    public async Task Segments_RawJsonWithABadOperator_ShowsThePathAndSavesNothing()
    {
        var name = Unique("bad");
        await SignInAsync();
        await Page.GotoAsync("/segments/new");
        await Field("Name").FillAsync(name);

        await Field("Rule (JSON)").FillAsync("""{"all": [{"country": "IN"}, {"attribute": "city", "op": "equals", "value": "Pune"}]}""");

        await Expect(Page.Locator("[data-segment-count]")).ToContainTextAsync("$.all[1].op: unknown operator \"equals\"");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save segment" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("$.all[1].op");
        await Page.GotoAsync("/segments");
        await Expect(Page.GetByText(name)).ToHaveCountAsync(0);
    }
}
