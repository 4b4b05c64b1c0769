using Herald.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Dashboard.Tests;

/// <summary>
/// Photographs the report page of issue 12's 10,000-contact campaign for docs/screenshots/campaign-report.png. Explicit, as it
/// needs that campaign's data: run the end-to-end test with <c>HERALD_E2E_REPORT=/tmp/e2e</c> (it keeps the data folder and
/// writes its path to <c>/tmp/e2e.sqlite.datadir</c>), then this one with <c>HERALD_CAMPAIGN_DATA</c> set to that folder
/// (docs/campaigns.md shows the commands). It serves a copy of the folder and saves the page, whole, and with
/// <c>HERALD_CAMPAIGN_REPORT_JSON</c> the report's JSON from the same server.
/// </summary>
public sealed class CampaignReportScreenshotTests(BrowserFixture browser)
{
    [Fact(Explicit = true)]
    [Trait("Purpose", "docs")]
    public async Task Screenshot_TenThousandContactCampaign_WrittenToDocs()
    {
        var ct = TestContext.Current.CancellationToken;
        var source = Environment.GetEnvironmentVariable("HERALD_CAMPAIGN_DATA") is { Length: > 0 } set ? set
            : throw new InvalidOperationException("Set HERALD_CAMPAIGN_DATA to the data folder the end-to-end campaign test kept.");
        var data = Directory.CreateTempSubdirectory("herald-campaign-report-").FullName;
        // The whole folder: the database and the keys its provider secrets were sealed with.
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(data, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var campaign = (await File.ReadAllTextAsync(Path.Combine(data, "campaign-id"), ct)).Trim();
        var app = HeraldServer.Build(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Herald:DataDir"] = data,
            ["Herald:ApiKey"] = DashboardServer.ApiKey,
            ["Herald:Dashboard:AdminUser"] = DashboardServer.AdminUser,
            ["Herald:Dashboard:AdminPassword"] = DashboardServer.AdminPassword,
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await HeraldServer.InitializeAsync(app, ct);
        await app.StartAsync(ct);
        try
        {
            var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = app.Urls.First(), ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, Locale = "en-GB", TimezoneId = "UTC",
            });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/signin");
            await page.GetByLabel("User name").FillAsync(DashboardServer.AdminUser);
            await page.GetByLabel("Password").FillAsync(DashboardServer.AdminPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();

            await page.GotoAsync($"/campaigns/{campaign}");
            await Expect(page.GetByTestId("audience")).ToHaveTextAsync("10,000");
            await Expect(page.GetByTestId("deferred")).ToContainTextAsync("legal-window");
            var path = Path.Combine(RepositoryRoot(), "docs", "screenshots", "campaign-report.png");
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
            Assert.True(new FileInfo(path).Length > 10_000, "the screenshot looks empty");
            await context.CloseAsync();
            if (Environment.GetEnvironmentVariable("HERALD_CAMPAIGN_REPORT_JSON") is { Length: > 0 } json)
            {
                // The same campaign's report, from the same server, for docs/campaigns.md.
                using var api = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
                api.BaseAddress = new Uri(app.Urls.First());
                api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DashboardServer.ApiKey);
                var report = System.Text.Json.Nodes.JsonNode.Parse(await api.GetStringAsync($"/api/v1/campaigns/{campaign}/report", ct))!;
                await File.WriteAllTextAsync(json, report.ToJsonString(new() { WriteIndented = true }), ct);
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
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
