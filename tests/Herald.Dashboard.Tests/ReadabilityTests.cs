using System.Text.RegularExpressions;

namespace Herald.Dashboard.Tests;

/// <summary>What a new user could not read: underscores in inputs, raw timestamps, JSON error pages, API words in the dialog, a clipped axis.</summary>
public sealed partial class ReadabilityTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task HeaderKeyInput_CallbackUrl_RendersItsUnderscoreAtOneX()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Underscore"));
        await SignInAsync();
        await Page.GotoAsync($"/providers/{provider["id"]!.GetValue<string>()}");
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Headers" }).ClickAsync();
        var input = Field("Header 4 key");
        await Expect(input).ToHaveValueAsync("callback_url");
        Assert.Equal(1, await Page.EvaluateAsync<double>("() => window.devicePixelRatio"));
        await input.EvaluateAsync("el => el.blur()");

        // The same input, the same geometry: with "_" the pixels must differ from a space, or the underscore is not drawn.
        var withUnderscore = await input.ScreenshotAsync(new() { Animations = ScreenshotAnimations.Disabled });
        await input.EvaluateAsync("el => { el.value = 'callback url'; el.blur(); }");
        var withSpace = await input.ScreenshotAsync(new() { Animations = ScreenshotAnimations.Disabled });
        await input.EvaluateAsync("el => { el.value = 'callback_url'; el.blur(); }");
        var again = await input.ScreenshotAsync(new() { Animations = ScreenshotAnimations.Disabled });

        Assert.Equal(withUnderscore, again); // the comparison is stable
        Assert.NotEqual(withSpace, withUnderscore);
        if (Environment.GetEnvironmentVariable("HERALD_TEST_LAYOUT_SHOTS") is { Length: > 0 } folder)
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, "underscore.png"), withUnderscore, TestContext.Current.CancellationToken);
        }
    }
}
