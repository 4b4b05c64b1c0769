using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Herald.Dashboard.Tests;

/// <summary>The Campaigns pages: write a campaign, launch it, and watch its report fill in.</summary>
/// <summary>What the Campaigns page tests share: contacts and events written straight into the server's database.</summary>
public abstract class CampaignPageTest(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server)
{
    protected async Task WriteEventsAsync(IEnumerable<(string ContactId, string Name, string Properties)> events)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "herald.db")};Pooling=false");
        await connection.OpenAsync(Ct);
        var at = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (contactId, name, properties) in events)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO events (message_id, contact_id, type, name, properties, at, received_at) VALUES ($id, $contact, 'track', $name, $properties, $at, $at)
                """;
            command.Parameters.AddWithValue("$id", Unique("ev"));
            command.Parameters.AddWithValue("$contact", contactId);
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$properties", properties);
            command.Parameters.AddWithValue("$at", at);
            await command.ExecuteNonQueryAsync(Ct);
        }
    }

    /// <summary>Contacts with promotional consent whose numbers end in 0009: the simulator always delivers them.</summary>
    protected async Task<List<string>> SeedContactsAsync(int count, Func<int, string>? phone = null)
    {
        var ids = new List<string>();
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "herald.db")};Pooling=false");
        await connection.OpenAsync(Ct);
        for (var i = 0; i < count; i++)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO contacts (id, phone, country, attributes, created_at, updated_at) VALUES ($id, $phone, 'US', '{}', 0, 0)";
            var id = Unique("ct");
            ids.Add(id);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$phone", phone?.Invoke(i) ?? $"+49151{300 + i:D4}0009");
            await command.ExecuteNonQueryAsync(Ct);
            await using var consent = connection.CreateCommand();
            consent.CommandText = "INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES ($id, 'promotional', 1, 'test', 0)";
            consent.Parameters.AddWithValue("$id", id);
            await consent.ExecuteNonQueryAsync(Ct);
        }
        return ids;
    }
}

/// <summary>The Campaigns pages: write a campaign, launch it, and watch its report fill in.</summary>
public sealed class CampaignsTests(BrowserFixture browser, DashboardServer server) : CampaignPageTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Campaign_WrittenLaunchedFromThePages_ReportShowsEveryMessageDelivered()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Kaleyra"));
        await SeedContactsAsync(12);
        await SignInAsync();

        await Page.GetByRole(AriaRole.Link, new() { Name = "Campaigns" }).ClickAsync();
        // The quick form is folded away once campaigns exist (another test of this class may have made one): open it as a person would.
        if (!await Page.GetByLabel("Name", new() { Exact = true }).IsVisibleAsync())
        {
            await Page.GetByText("New campaign", new() { Exact = true }).ClickAsync();
        }
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
}

/// <summary>A campaign report with A/B variants, a control group and a goal, on a server of its own (its audience is every contact).</summary>
public sealed class CampaignResultsPageTests(BrowserFixture browser, DashboardServer server) : CampaignPageTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task CampaignReport_AbVariantsControlAndGoal_ShowsEachVariantTheLiftAndTheirCharts()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Kaleyra"));
        var contacts = await SeedContactsAsync(40, i => $"+49157{i:D4}0009");
        var created = await DashboardServer.ReadAsync(await Server.Api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Weekend A/B", contactIds = contacts, provider = provider["id"]!.GetValue<string>(), sender = "HERALD", controlPercent = 25,
            goal = new { @event = "purchase", windowHours = 48 },
            variants = new[] { new { name = "Plain", body = "Weekend sale: 20% off", percent = 50.0 }, new { name = "Urgent", body = "Ends Sunday: 20% off", percent = 50.0 } },
        }, Ct), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        await DashboardServer.ReadAsync(await Server.Api.PostAsync($"/api/v1/campaigns/{id}/launch", null, Ct), HttpStatusCode.OK);
        JsonObject report;
        for (var i = 0; ; i++)
        {
            report = await Server.GetAsync($"/api/v1/campaigns/{id}/report");
            if (report["campaign"]!["status"]!.GetValue<string>() == "completed"
                && report["messages"]?["delivered"]?.GetValue<long>() == report["results"]!["sent"]!.GetValue<long>())
            {
                break;
            }
            Assert.True(i < 120, $"the campaign was not delivered: {report}");
            await Task.Delay(250, Ct);
        }
        var recipients = (await Server.GetAsync($"/api/v1/campaigns/{id}/recipients?limit=1000"))["items"]!.AsArray();
        var sent = recipients.Where(r => r!["status"]!.GetValue<string>() == "queued").ToList();
        var control = recipients.Where(r => r!["status"]!.GetValue<string>() == "control").ToList();
        Assert.NotEmpty(control);
        // What short links and the shop would have recorded: clicks on 6 messages, purchases by 8 recipients and 1 held out.
        await WriteEventsAsync(sent.Take(6).Select(r => (r!["contactId"]!.GetValue<string>(), "clicked", $$"""{"messageId":"{{r["messageId"]!.GetValue<string>()}}","url":"https://shop.example","campaignId":"{{id}}"}""")));
        await WriteEventsAsync(sent.Take(8).Concat(control.Take(1)).Select(r => (r!["contactId"]!.GetValue<string>(), "purchase", """{"total":499}""")));
        await SignInAsync();

        await Page.GotoAsync($"/campaigns/{id}");

        await Expect(Page.GetByTestId("converted")).ToContainTextAsync($"8 of {sent.Count} sent");
        await Expect(Page.GetByTestId("variants").Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(Page.Locator("[data-variant=Plain]")).ToContainTextAsync("Weekend sale: 20% off");
        await Expect(Page.Locator("[data-variant=Urgent]")).ToContainTextAsync("Ends Sunday: 20% off");
        await Expect(Page.GetByTestId("variants-chart").Locator("svg g[data-label='Plain clicked']")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("variants-chart").Locator("svg g[data-label='Urgent converted']")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("control")).ToContainTextAsync($"{control.Count} (25 % of this campaign)");
        await Expect(Page.GetByTestId("lift")).ToContainTextAsync("pp (95 % CI");
        await Expect(Page.GetByTestId("lift-chart").Locator("svg")).ToBeVisibleAsync();
        await Expect(Page.Locator("svg path.whisker")).ToHaveCountAsync(1);
        var csv = await Page.APIRequest.GetAsync($"/dashboard/campaigns/{id}/report.csv");
        Assert.Contains(",control,held-out,", await csv.TextAsync(), StringComparison.Ordinal);
        await Page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "herald-campaign-results.png"), FullPage = true });
    }
}
