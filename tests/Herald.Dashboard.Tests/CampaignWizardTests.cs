using Microsoft.Data.Sqlite;

namespace Herald.Dashboard.Tests;

/// <summary>The campaign wizard: audience → message with a per-contact preview → schedule and throttle → dry run → launch.</summary>
public sealed class CampaignWizardTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Wizard_AudienceMessagePreviewScheduleDryRunLaunch_ShowsTheDryRunNumbersAndLaunches()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Kaleyra"));
        var ids = await SeedContactsAsync(4, withoutConsent: 1);
        await SignInAsync();

        await Page.GetByRole(AriaRole.Link, new() { Name = "Campaigns" }).ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "New campaign, step by step" }).ClickAsync();
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("Wizard offer");
        await Page.GetByLabel("These contacts:").CheckAsync();
        await Page.GetByLabel("Contact ids").FillAsync(string.Join("\n", ids));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Next: message" }).ClickAsync();

        await Page.GetByLabel("Provider", new() { Exact = true }).SelectOptionAsync(provider["id"]!.GetValue<string>());
        await Page.GetByLabel("Sender", new() { Exact = true }).FillAsync("HERALD");
        await Page.GetByLabel("Message", new() { Exact = true }).FillAsync("Hi {{ contact.first_name | default: \"there\" }}, 20% off today");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save and preview" }).ClickAsync();
        await Expect(Page.GetByTestId("preview-body")).ToHaveTextAsync("Hi Asha, 20% off today");
        await Expect(Page.GetByTestId("preview-segments")).ToHaveTextAsync("1");
        await Expect(Page.GetByTestId("preview-outcome")).ToHaveTextAsync("send");
        await Expect(Page.GetByTestId("preview-dlt")).ToContainTextAsync("no template named");
        await Page.GetByLabel("Preview for").SelectOptionAsync(ids[^1]);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save and preview" }).ClickAsync();
        await Expect(Page.GetByTestId("preview-outcome")).ToHaveTextAsync("skipped: no-consent");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Next: schedule" }).ClickAsync();

        await Page.GetByLabel("Throttle (messages a second, empty for as fast as the provider takes them)").FillAsync("50");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Next: dry run" }).ClickAsync();

        await Expect(Page.GetByTestId("dry-audience")).ToHaveTextAsync("4");
        await Expect(Page.GetByTestId("dry-would-send")).ToHaveTextAsync("3");
        await Expect(Page.GetByTestId("dry-skipped-no-consent")).ToHaveTextAsync("1");
        await Expect(Page.GetByTestId("dry-skipped-suppressed")).ToHaveTextAsync("0");
        await Expect(Page.GetByTestId("dry-segments")).ToHaveTextAsync("3");
        await Expect(Page.GetByTestId("dry-samples")).ToContainTextAsync("Hi Asha, 20% off today");
        var id = Page.Url.Split('/')[^2];
        Assert.Equal("draft", (await Server.GetAsync($"/api/v1/campaigns/{id}"))["status"]!.GetValue<string>());
        await Page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "herald-campaign-dry-run.png"), FullPage = true });

        await Page.GetByRole(AriaRole.Link, new() { Name = "Next: launch" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Launch campaign" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("The campaign is");
        await Expect(Page.GetByTestId("audience")).ToHaveTextAsync("4");
    }

    /// <summary>Contacts named Asha whose numbers end in 0009 (the simulator always delivers them), the last <paramref name="withoutConsent"/> without promotional consent; their ids.</summary>
    private async Task<IReadOnlyList<string>> SeedContactsAsync(int count, int withoutConsent)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "herald.db")};Pooling=false");
        await connection.OpenAsync(Ct);
        var ids = new List<string>();
        var run = Unique("ct"); // ids in order: the preview starts with the first audience member by id
        for (var i = 0; i < count; i++)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """INSERT INTO contacts (id, phone, country, attributes, created_at, updated_at) VALUES ($id, $phone, 'DE', '{"first_name":"Asha"}', 0, 0)""";
            var id = $"{run}_{i}";
            ids.Add(id);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$phone", $"+49152{400 + i:D4}0009");
            await command.ExecuteNonQueryAsync(Ct);
            if (i < count - withoutConsent)
            {
                await using var consent = connection.CreateCommand();
                consent.CommandText = "INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES ($id, 'promotional', 1, 'test', 0)";
                consent.Parameters.AddWithValue("$id", id);
                await consent.ExecuteNonQueryAsync(Ct);
            }
        }
        return ids;
    }
}
