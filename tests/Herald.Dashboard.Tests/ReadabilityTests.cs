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

    [Theory]
    [InlineData("/messages/msg_does_not_exist", "Message not found")]
    [InlineData("/providers/prv_does_not_exist", "Provider not found")]
    [InlineData("/providers/prv_does_not_exist/health", "Provider not found")]
    [InlineData("/no/such/page", "Page not found")]
    public async Task UnknownPage_SignedIn_ShowsADashboardPageNotJson(string path, string heading)
    {
        await SignInAsync();

        var response = await Page.GotoAsync(path);

        Assert.Equal(404, response!.Status);
        Assert.StartsWith("text/html", response.Headers["content-type"], StringComparison.Ordinal);
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync(); // the dashboard's layout, with its menu
        Assert.DoesNotContain("\"status\":404", await Page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendTestDialog_EmptyDynamicFields_MarksThemInTheUsersWords()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Words"));
        await SignInAsync();
        await Page.GotoAsync($"/providers/{provider["id"]!.GetValue<string>()}?test=1");
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });
        await dialog.GetByLabel("Mobile number").FillAsync("9812345678");
        await dialog.GetByLabel("Field 2 value", new() { Exact = true }).FillAsync("OTP");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();

        var error = dialog.Locator("[data-error-for='dynamicFields']");
        await Expect(error).ToBeVisibleAsync();
        await Expect(error).ToContainTextAsync("Sender");
        await Expect(error).Not.ToContainTextAsync("dynamicFields");
        var sender = dialog.GetByLabel("Field 1 value", new() { Exact = true });
        await Expect(sender).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(sender).ToBeFocusedAsync();
        await Expect(dialog.GetByLabel("Field 2 value", new() { Exact = true })).Not.ToHaveAttributeAsync("aria-invalid", "true"); // filled in

        // Filling it in and sending again clears the mark.
        await sender.FillAsync("KLRHXA");
        await dialog.GetByLabel("Field 3 value", new() { Exact = true }).FillAsync("https://shop.example/cart");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();
        await Expect(dialog.Locator("[data-test-result]")).ToBeVisibleAsync();
        await Expect(sender).Not.ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task Timeline_NotesWithTimes_ShowReadableLocalTimes()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Times"));
        await SignInAsync();
        await Page.GotoAsync($"/providers/{provider["id"]!.GetValue<string>()}?test=1");
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });
        await dialog.GetByLabel("Mobile number").FillAsync("9812345678");
        await dialog.GetByLabel("Field 1 value", new() { Exact = true }).FillAsync("KLRHXA");
        await dialog.GetByLabel("Field 2 value", new() { Exact = true }).FillAsync("OTP");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();
        var live = dialog.Locator("[data-live-timeline]");
        await Expect(live).ToContainTextAsync("dlr: delivered");

        // The delivery report's note carries the time the provider reported: shown like the other times, in the browser's zone.
        await Expect(live).ToContainTextAsync("reported at");
        Assert.DoesNotMatch(RawIsoTime(), await live.InnerTextAsync());
        var messageId = await dialog.Locator("[data-message-id]").TextContentAsync();
        await Page.GotoAsync($"/messages/{messageId}");
        var notes = Page.Locator("ol.timeline .note");
        await Expect(notes.Filter(new() { HasText = "reported at" })).ToHaveCountAsync(1);
        var text = await Page.Locator("ol.timeline").InnerTextAsync();
        Assert.DoesNotMatch(RawIsoTime(), text);
        var time = notes.Filter(new() { HasText = "reported at" }).Locator("time");
        await Expect(time).ToHaveAttributeAsync("datetime", new Regex(@"^\d{4}-\d{2}-\d{2}T"));
        await Expect(time).ToHaveTextAsync(new Regex(@"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2}$")); // en-GB, as the browser shows times
    }

    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task HealthChart_AxisLabels_AreInsideTheChart(int width)
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Axis"));
        await Page.SetViewportSizeAsync(width, 800);
        await SignInAsync();
        await Page.GotoAsync($"/providers/{provider["id"]!.GetValue<string>()}/health");

        var boxes = await Page.EvaluateAsync<double[][]>("""
            () => {
              const svg = document.querySelector('svg.chart').getBoundingClientRect();
              return [[svg.left, svg.right], ...Array.from(document.querySelectorAll('svg.chart text.axis'), t => {
                const r = t.getBoundingClientRect();
                return [r.left, r.right];
              })];
            }
            """);

        var (left, right) = (boxes[0][0], boxes[0][1]);
        Assert.True(boxes.Length > 5, "The chart has no axis labels.");
        foreach (var label in boxes.Skip(1))
        {
            Assert.True(label[0] >= left - 0.5 && label[1] <= right + 0.5, $"An axis label spans {label[0]:0.#}-{label[1]:0.#}, outside the chart's {left:0.#}-{right:0.#}.");
        }
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")]
    private static partial Regex RawIsoTime();
}
