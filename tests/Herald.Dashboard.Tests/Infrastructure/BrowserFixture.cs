[assembly: AssemblyFixture(typeof(BrowserFixture))]

namespace Herald.Dashboard.Tests.Infrastructure;

/// <summary>
/// One headless Chromium for the whole test run: Debian's chromium (./test.sh installs it and sets HERALD_TEST_CHROMIUM),
/// driven by Playwright's bundled driver. Nothing is downloaded: "playwright install" is never needed.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ChromiumPath()
    {
        var configured = Environment.GetEnvironmentVariable("HERALD_TEST_CHROMIUM");
        foreach (var candidate in new[] { configured, "/usr/bin/chromium", "/usr/bin/chromium-browser" })
        {
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException(
            $"Chromium is missing{(string.IsNullOrEmpty(configured) ? "" : $" (HERALD_TEST_CHROMIUM={configured} does not exist)")}: "
            + "run ./test.sh, which installs chromium (apt-get install -y chromium), or set HERALD_TEST_CHROMIUM to a Chromium binary.");
    }

    public async ValueTask InitializeAsync()
    {
        var executable = ChromiumPath();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic",
            ],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
    }
}
