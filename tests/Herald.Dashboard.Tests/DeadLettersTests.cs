namespace Herald.Dashboard.Tests;

/// <summary>The dead-letter page: failed messages with their reason, and a Retry button that requeues one.</summary>
public sealed class DeadLettersTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task DeadLetters_FailedMessage_ListedFromTheNav_AndRetryRequeuesIt()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Dead"));
        var providerId = provider["id"]!.GetValue<string>();
        var failed = (await Server.TestSmsAsync(providerId, "9812340004"))["messageId"]!.GetValue<string>();
        await Server.WaitForStatusAsync(failed, "failed");
        await SignInAsync();

        await Page.GetByRole(AriaRole.Link, new() { Name = "Dead letters" }).ClickAsync();
        await Page.GetByLabel("Provider").SelectOptionAsync(providerId);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        var row = Page.Locator("table.dead-letters tbody tr").Filter(new() { Has = Page.Locator($"a[href='/messages/{failed}']") });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("failed");
        await Expect(row).ToContainTextAsync("+919812340004");

        await row.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Requeued {failed}");
        var message = await Server.GetAsync($"/api/v1/messages/{failed}");
        var requeued = message["timeline"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "requeued");
        Assert.Equal("dashboard", requeued!["source"]!.GetValue<string>());
    }
}
