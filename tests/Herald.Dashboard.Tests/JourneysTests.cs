using System.Net.Http.Json;

namespace Herald.Dashboard.Tests;

/// <summary>The Journeys pages: write a journey in the JSON editor, publish it, and see the diagram and report fill in as events come.</summary>
public sealed class JourneysTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Journey_WrittenPublishedFromThePages_DiagramAndReportCountTheContacts()
    {
        await Server.CreateSeedProviderAsync(Unique("Kaleyra"));
        await SignInAsync();

        await Page.GetByRole(AriaRole.Link, new() { Name = "Journeys" }).ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "New journey" }).ClickAsync();
        var editor = Page.GetByLabel("Journey (JSON)");
        await Expect(editor).ToContainTextAsync("added_to_cart");

        // The editor says at once where JSON breaks, and the server names each field to fix.
        await editor.FillAsync("{ \"name\": \"Broken\", ");
        await Expect(Page.Locator("[data-journey-json-status]")).ToContainTextAsync("Not valid JSON");
        var name = Unique("Abandoned cart");
        var example = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "examples", "abandoned-cart.json"), Ct);
        await editor.FillAsync(example.Replace("\"Abandoned cart\"", $"\"{name}\"", StringComparison.Ordinal).Replace("\"PT30M\"", "\"30 minutes\"", StringComparison.Ordinal));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(Page.Locator("#form-errors")).ToContainTextAsync("nodes[1].timeout");

        await Page.GetByLabel("Journey (JSON)").FillAsync(example.Replace("\"Abandoned cart\"", $"\"{name}\"", StringComparison.Ordinal));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(Page.GetByTestId("journey-status")).ToHaveTextAsync("draft");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("The journey is active, version 1");
        var id = Page.Url.Split('/')[^1].Split('?')[0];

        // Two carts; one is bought at once.
        var tag = Unique("j");
        for (var i = 0; i < 2; i++)
        {
            (await Server.Api.PostAsJsonAsync("/api/v1/identify", new { userId = $"{tag}-{i}", traits = new { phone = $"+49151{Random.Shared.Next(10_000_000, 99_999_999)}" } }, Ct))
                .EnsureSuccessStatusCode();
            (await Server.Api.PostAsJsonAsync("/api/v1/track", new
            {
                userId = $"{tag}-{i}", @event = "added_to_cart", messageId = $"{tag}-cart-{i}",
                properties = new { cart_id = $"{tag}-c{i}", item_name = "blue shoes", cart_url = "https://shop.example/c" },
            }, Ct)).EnsureSuccessStatusCode();
        }
        (await Server.Api.PostAsJsonAsync("/api/v1/track", new { userId = $"{tag}-0", @event = "checkout_completed", messageId = $"{tag}-buy", properties = new { cart_id = $"{tag}-c0" } }, Ct))
            .EnsureSuccessStatusCode();
        for (var i = 0; i < 120 && (await Server.GetAsync($"/api/v1/journeys/{id}/report"))["activeByNode"]?["wait_checkout"]?.GetValue<long>() != 1; i++)
        {
            await Task.Delay(250, Ct);
        }

        await Page.GotoAsync($"/journeys/{id}");
        await Expect(Page.GetByTestId("entered")).ToHaveTextAsync("2");
        await Expect(Page.GetByTestId("converted")).ToHaveTextAsync("1");
        await Expect(Page.GetByTestId("conversion-rate")).ToHaveTextAsync("50.0 %");
        await Expect(Page.GetByTestId("exited-by-reason")).ToContainTextAsync("goal");
        var diagram = Page.GetByTestId("journey-diagram").Locator("svg");
        await Expect(diagram).ToBeVisibleAsync();
        await Expect(diagram.Locator("[data-node=wait_checkout]")).ToContainTextAsync("1 here");
        await Expect(diagram.Locator("[data-from=cart][data-to=wait_checkout]")).ToHaveAttributeAsync("data-count", new System.Text.RegularExpressions.Regex("^[12]$"));
        await Expect(diagram.Locator("[data-from=wait_checkout][data-to=first_reminder]")).ToContainTextAsync("timed out · 0");
        await Page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "herald-journey.png"), FullPage = true });

        await Page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(Page.GetByTestId("journey-status")).ToHaveTextAsync("paused");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Journeys" }).First.ClickAsync();
        await Expect(Page.Locator("table.journeys tbody tr").Filter(new() { HasText = name })).ToContainTextAsync("paused");
    }

    [Fact]
    public async Task Journey_TriggeredByEnteringASegment_DiagramNamesTheSegment()
    {
        var segmentName = Unique("VIP");
        var segment = await (await Server.Api.PostAsJsonAsync("/api/v1/segments", new { name = segmentName, rule = new { attribute = "tier", op = "eq", value = "vip" } }, Ct))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct);
        var journey = await (await Server.Api.PostAsJsonAsync("/api/v1/journeys", new
        {
            name = Unique("VIP welcome"),
            nodes = new object[]
            {
                new { id = "became_vip", type = "trigger", segment = segment!["id"]!.GetValue<string>(), next = "hello" },
                new { id = "hello", type = "sendSms", body = "Welcome, VIP", next = "done" },
                new { id = "done", type = "exit" },
            },
        }, Ct)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct);
        var id = journey!["id"]!.GetValue<string>();
        (await Server.Api.PostAsync($"/api/v1/journeys/{id}/publish", null, Ct)).EnsureSuccessStatusCode();
        await SignInAsync();

        await Page.GotoAsync($"/journeys/{id}");

        var trigger = Page.GetByTestId("journey-diagram").Locator("svg [data-node=became_vip]");
        await Expect(trigger).ToContainTextAsync($"enters segment {segmentName}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Herald.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (Herald.slnx) is not above the test's folder.");
    }
}
