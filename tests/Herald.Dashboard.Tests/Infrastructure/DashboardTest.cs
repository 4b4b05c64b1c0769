using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Herald.Dashboard.Tests.Infrastructure;

/// <summary>
/// A test with its own browser context and page (1280×800) against the class's server. It records every request the
/// page makes and every script error; at the end it fails when a request left the server's origin or a script failed,
/// and it saves a screenshot of a failed test in the test output folder (screenshots/, not committed).
/// </summary>
public abstract class DashboardTest(BrowserFixture browser, DashboardServer server) : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _scriptErrors = new();

    protected DashboardServer Server { get; } = server;
    protected IBrowserContext Context { get; private set; } = null!;
    protected IPage Page { get; private set; } = null!;
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync()
    {
        Context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        Context.SetDefaultTimeout(15_000);
        Context.Request += (_, request) => _requests.Enqueue(request.Url);
        Page = await Context.NewPageAsync();
        Page.PageError += (_, error) => _scriptErrors.Enqueue(error);
        Page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // confirm() before a removal
    }

    public virtual async ValueTask DisposeAsync()
    {
        var state = TestContext.Current.TestState;
        if (state?.Result == TestResult.Failed)
        {
            await ScreenshotOnFailureAsync();
        }
        await Context.CloseAsync();
        if (state?.Result != TestResult.Failed)
        {
            AssertOnlyOwnOrigin();
            Assert.True(_scriptErrors.IsEmpty, "Script errors on the page: " + string.Join(" | ", _scriptErrors));
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Every request the pages made went to Herald itself (or was inline data).</summary>
    protected void AssertOnlyOwnOrigin()
    {
        var external = _requests.Where(url => !url.StartsWith(Server.Origin + "/", StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal)).ToList();
        Assert.True(external.Count == 0, "Requests outside the server's origin: " + string.Join(", ", external));
    }

    protected int RequestCount => _requests.Count;

    private async Task ScreenshotOnFailureAsync()
    {
        try
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(folder);
            var name = Regex.Replace(TestContext.Current.Test?.TestDisplayName ?? "test", "[^A-Za-z0-9_.-]+", "_");
            var path = Path.Combine(folder, name[..Math.Min(name.Length, 150)] + ".png");
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
            TestContext.Current.SendDiagnosticMessage($"Screenshot of the failed test: {path}");
            TestContext.Current.AddAttachment("screenshot.png", await File.ReadAllBytesAsync(path), "image/png");
        }
        catch (PlaywrightException)
        {
            // the page is gone; nothing to show
        }
    }

    // ------------------------------------------------------------ helpers

    protected async Task SignInAsync(string? returnTo = null)
    {
        await Page.GotoAsync("/signin" + (returnTo is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnTo)));
        await Page.GetByLabel("User name").FillAsync(DashboardServer.AdminUser);
        await Page.GetByLabel("Password").FillAsync(DashboardServer.AdminPassword);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    protected ILocator Field(string label) => Page.GetByLabel(label, new() { Exact = true });

    protected static string Unique(string prefix) => $"{prefix}_{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Fills the provider form by hand, as a person following the seed would.</summary>
    protected async Task FillSeedByHandAsync(string nickname)
    {
        await Field("Nickname").FillAsync(nickname);
        await Field("Request Type").SelectOptionAsync("POST");
        await Field("HTTP Endpoint").FillAsync(Server.Simulator.ConnectorUrl.ToString());
        await Field("Authentication type").SelectOptionAsync("none");

        await Page.GetByRole(AriaRole.Tab, new() { Name = "Headers" }).ClickAsync();
        var headers = new[]
        {
            ("api-key", Server.SimulatorOptions.ApiKey), ("sid", Server.SimulatorOptions.Sid),
            ("kaleyra-host", "api.in.kaleyra.io"), ("callback_url", "$$CallbackURL"),
        };
        await FillRowsAsync("Header", "+ Add header", headers);

        await Page.GetByRole(AriaRole.Tab, new() { Name = "Parameters" }).ClickAsync();
        await Page.GetByLabel("x-www-form-urlencoded").CheckAsync();
        await FillRowsAsync("Parameter", "+ Add parameter", DashboardServer.SeedParameters);
    }

    /// <summary>Fills rows 1..n of a key/value editor, adding rows as needed and removing extra ones.</summary>
    protected async Task FillRowsAsync(string noun, string addButton, IReadOnlyList<(string Key, string Value)> rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            var key = Field($"{noun} {i + 1} key");
            if (await key.CountAsync() == 0)
            {
                await Page.GetByRole(AriaRole.Button, new() { Name = addButton }).ClickAsync();
            }
            await key.FillAsync(rows[i].Key);
            await Field($"{noun} {i + 1} value").FillAsync(rows[i].Value);
        }
        while (await Field($"{noun} {rows.Count + 1} key").CountAsync() > 0)
        {
            await Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {noun.ToLowerInvariant()} {rows.Count + 1}", Exact = true }).ClickAsync();
        }
    }
}
