using System.Text.RegularExpressions;

namespace Herald.Dashboard.Tests;

/// <summary>
/// Takes the README's screenshots (1280×800) from the real pages. They go to the test output
/// folder; with HERALD_UPDATE_SCREENSHOTS=1 they replace docs/screenshots, so a page change is
/// refreshed on purpose rather than dirtying the tree on every run.
/// </summary>
public sealed class ScreenshotTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Screenshots_MainPages_WrittenToDocs()
    {
        var folder = Environment.GetEnvironmentVariable("HERALD_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(RepositoryRoot(), "docs", "screenshots")
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        await SignInAsync();

        // The provider form, filled with the Kaleyra preset (Parameters tab, as in the seed's "Set Parameters").
        await Page.GotoAsync("/providers/new");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Fill with Kaleyra preset" }).ClickAsync();
        await Field("Header 1 value").FillAsync(Server.SimulatorOptions.ApiKey);
        await Field("Header 2 value").FillAsync(Server.SimulatorOptions.Sid);
        await Field("HTTP Endpoint").FillAsync(Server.Simulator.ConnectorUrl.ToString());
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Parameters" }).ClickAsync();
        // Request Type at the top: the endpoint, authentication and the tabs with the eight parameters fill the screen.
        await Page.Locator("label[for=request-type]").EvaluateAsync("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 12)");
        await Page.ScreenshotAsync(new() { Path = Path.Combine(folder, "providers-form.png") });

        // Save, and send a test SMS from the dialog that opens, until the delivery report arrives.
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex(@"\?saved=1$"));
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });
        await dialog.GetByLabel("Mobile number").FillAsync("9812345678");
        await dialog.GetByLabel("Field 1 value", new() { Exact = true }).FillAsync("KLRHXA");
        await dialog.GetByLabel("Field 2 value", new() { Exact = true }).FillAsync("OTP");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();
        await Expect(dialog.Locator("[data-live-status]")).ToHaveTextAsync("delivered", new() { Timeout = 15_000 });
        await Page.ScreenshotAsync(new() { Path = Path.Combine(folder, "test-sms.png") });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).First.ClickAsync();

        // A few more messages for the log: delivered, failed by the handset, refused by the provider.
        var id = Regex.Match(Page.Url, @"/providers/(prv_\w+)").Groups[1].Value;
        foreach (var mobile in new[] { "9812345001", "9812340001", "9812340004", "9876543210" })
        {
            await Server.TestSmsAsync(id, mobile);
        }
        await Task.Delay(1500, Ct);
        await Page.GotoAsync("/messages");
        await Page.ScreenshotAsync(new() { Path = Path.Combine(folder, "messages.png") });

        foreach (var name in new[] { "providers-form.png", "test-sms.png", "messages.png" })
        {
            Assert.True(new FileInfo(Path.Combine(folder, name)).Length > 10_000, $"{name} looks empty");
        }
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
        throw new InvalidOperationException("Cannot find the repository root (Herald.slnx) above " + AppContext.BaseDirectory);
    }
}
