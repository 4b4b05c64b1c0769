namespace Herald.Dashboard.Tests;

/// <summary>Every page at 1280×800 and at 390 px wide: no horizontal scrolling, no external requests, no script errors.</summary>
public sealed class LayoutTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task Pages_AtWidth_FitWithoutHorizontalScrollAndLoadOnlyFromHerald(int width, int height)
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Layout"));
        var id = provider["id"]!.GetValue<string>();
        var message = (await Server.TestSmsAsync(id, "9812345678"))["messageId"]!.GetValue<string>();
        await Server.WaitForStatusAsync(message, "delivered");
        await Page.SetViewportSizeAsync(width, height);
        await SignInAsync();

        foreach (var path in new[] { "/providers", "/providers/new", $"/providers/{id}", $"/providers/{id}/health", "/messages", $"/messages/{message}", "/reports", "/keys" })
        {
            var response = await Page.GotoAsync(path);
            Assert.True(response!.Ok, $"{path}: {response.Status}");
            var overflow = await Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 1, $"{path} at {width} px scrolls sideways by {overflow} px");
            if (Environment.GetEnvironmentVariable("HERALD_TEST_LAYOUT_SHOTS") is { Length: > 0 } folder)
            {
                // For people checking the layout by eye: HERALD_TEST_LAYOUT_SHOTS=/some/folder.
                var name = $"{width}{path.Replace('/', '_').Replace(id, "id", StringComparison.Ordinal).Replace(message, "msg", StringComparison.Ordinal)}.png";
                await Page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = true });
            }
        }
        await Page.GotoAsync($"/providers/{id}?test=1");
        await Expect(Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" })).ToBeInViewportAsync();
        await Page.Context.ClearCookiesAsync();
        await Page.GotoAsync("/signin");
        Assert.True(RequestCount > 10);
        AssertOnlyOwnOrigin();
    }
}
