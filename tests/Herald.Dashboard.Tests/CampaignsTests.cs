using Microsoft.Data.Sqlite;

namespace Herald.Dashboard.Tests;

/// <summary>The Campaigns pages: write a campaign, launch it, and watch its report fill in.</summary>
public sealed class CampaignsTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Campaign_WrittenLaunchedFromThePages_ReportShowsEveryMessageDelivered()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Kaleyra"));
        await SeedContactsAsync(12);
        await SignInAsync();

        await Page.GetByRole(AriaRole.Link, new() { Name = "Campaigns" }).ClickAsync();
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("Diwali offer");
        await Page.GetByLabel("Provider", new() { Exact = true }).SelectOptionAsync(provider["id"]!.GetValue<string>());
        await Page.GetByLabel("Sender", new() { Exact = true }).FillAsync("HERALD");
        await Page.GetByLabel("Message", new() { Exact = true }).FillAsync("Diwali sale: 20% off today only");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();

        await Expect(Page.GetByTestId("campaign-status")).ToHaveTextAsync("draft");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("The campaign is");
        await Expect(Page.GetByTestId("audience")).ToHaveTextAsync("12");
        var id = Page.Url.Split('/')[^1].Split('?')[0];
        for (var i = 0; i < 120 && (await Server.GetAsync($"/api/v1/campaigns/{id}/report"))["messages"]?["delivered"]?.GetValue<long>() != 12; i++)
        {
            await Task.Delay(250, Ct);
        }
        await Page.GotoAsync($"/campaigns/{id}");
        await Expect(Page.GetByTestId("campaign-status")).ToHaveTextAsync("completed");
        await Expect(Page.GetByTestId("messages")).ToContainTextAsync("delivered");
        await Expect(Page.GetByTestId("delivery-rate")).ToHaveTextAsync("100.0 %");
        await Expect(Page.GetByTestId("per-minute").Locator("svg")).ToBeVisibleAsync();
        await Page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "herald-campaign-report.png"), FullPage = true });

        await Page.GetByRole(AriaRole.Link, new() { Name = "Campaigns" }).ClickAsync();
        await Expect(Page.Locator("table.campaigns tbody tr").Filter(new() { HasText = "Diwali offer" })).ToContainTextAsync("completed");
    }

    [Fact]
    public async Task Campaign_MissingMessage_SaysWhatToFixOnTheForm()
    {
        await SignInAsync();
        await Page.GotoAsync("/campaigns");
        await Page.EvaluateAsync("document.querySelector('details').open = true");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("No text");
        await Page.EvaluateAsync("document.getElementById('c-body').removeAttribute('required')");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();

        await Expect(Page.Locator("[data-error-for=body]")).ToContainTextAsync("Give the message text");
    }

    /// <summary>Contacts with promotional consent whose numbers end in 0009: the simulator always delivers them.</summary>
    private async Task SeedContactsAsync(int count)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "herald.db")};Pooling=false");
        await connection.OpenAsync(Ct);
        for (var i = 0; i < count; i++)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO contacts (id, phone, country, attributes, created_at, updated_at) VALUES ($id, $phone, 'US', '{}', 0, 0)";
            var id = Unique("ct");
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$phone", $"+49151{300 + i:D4}0009");
            await command.ExecuteNonQueryAsync(Ct);
            await using var consent = connection.CreateCommand();
            consent.CommandText = "INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES ($id, 'promotional', 1, 'test', 0)";
            consent.Parameters.AddWithValue("$id", id);
            await consent.ExecuteNonQueryAsync(Ct);
        }
    }
}
