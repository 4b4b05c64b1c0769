using System.Text.RegularExpressions;

namespace Herald.Dashboard.Tests;

/// <summary>The message log, a message's timeline with its raw bodies, delivery reports that did not apply, and provider health.</summary>
public sealed class MessagesTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task MessageLog_FilterByStateAndNumber_ShowsOnlyMatchingMessages()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Log"));
        var id = provider["id"]!.GetValue<string>();
        var delivered = (await Server.TestSmsAsync(id, "9812345678"))["messageId"]!.GetValue<string>();
        var failed = (await Server.TestSmsAsync(id, "9812340004"))["messageId"]!.GetValue<string>();
        await Server.WaitForStatusAsync(delivered, "delivered");
        await SignInAsync();
        await Page.GotoAsync("/messages");
        await Expect(Page.Locator($"a[href='/messages/{delivered}']").First).ToBeVisibleAsync();
        await Expect(Page.Locator($"a[href='/messages/{failed}']").First).ToBeVisibleAsync();

        await Page.GetByLabel("State").SelectOptionAsync("failed");
        await Page.GetByLabel("Provider").SelectOptionAsync(id);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/messages\?state=failed&provider=prv_\w+&type=&to=&range=$"));
        await Expect(Page.Locator($"a[href='/messages/{failed}']").First).ToBeVisibleAsync();
        await Expect(Page.Locator($"a[href='/messages/{delivered}']")).ToHaveCountAsync(0);
        await Expect(Page.Locator("table.messages tbody tr")).ToHaveCountAsync(1);

        await Page.GetByLabel("State").SelectOptionAsync("");
        await Page.GetByLabel("Number").FillAsync("+919812345678");
        await Page.GetByLabel("Time").SelectOptionAsync("1h");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(Page.Locator("table.messages tbody tr")).ToHaveCountAsync(1);
        await Expect(Page.Locator($"a[href='/messages/{delivered}']").First).ToBeVisibleAsync();

        await Page.GetByLabel("Number").FillAsync("not a number");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("country code");
    }

    [Fact]
    public async Task MessageLog_StatusQueryAsTheApiTakesIt_FiltersLikeState()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Status"));
        var id = provider["id"]!.GetValue<string>();
        var delivered = (await Server.TestSmsAsync(id, "9812340009"))["messageId"]!.GetValue<string>();
        var failed = (await Server.TestSmsAsync(id, "9812340004"))["messageId"]!.GetValue<string>();
        await Server.WaitForStatusAsync(delivered, "delivered");
        await SignInAsync();

        await Page.GotoAsync($"/messages?status=failed&provider={id}");

        await Expect(Page.Locator($"a[href='/messages/{failed}']").First).ToBeVisibleAsync();
        await Expect(Page.Locator($"a[href='/messages/{delivered}']")).ToHaveCountAsync(0);
        await Expect(Page.GetByLabel("State")).ToHaveValueAsync("failed");
    }

    [Fact]
    public async Task MessageDetail_DeliveredTestSms_ShowsTimelineWithRawRequestResponseAndReport()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Detail"));
        var message = (await Server.TestSmsAsync(provider["id"]!.GetValue<string>(), "9812345678"))["messageId"]!.GetValue<string>();
        await Server.WaitForStatusAsync(message, "delivered");
        await SignInAsync();

        await Page.GotoAsync($"/messages/{message}");

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Message to +919812345678" })).ToBeVisibleAsync();
        var timeline = Page.Locator("ol.timeline > li");
        await Expect(timeline).ToHaveCountAsync(4);
        await Expect(timeline.Nth(2)).ToContainTextAsync("provider-response");
        await Expect(timeline.Nth(2).Locator("pre").First).ToContainTextAsync("api-key: ****");
        await Expect(timeline.Nth(2).Locator("pre").Nth(1)).ToContainTextAsync("HTTP 200");
        await Expect(timeline.Nth(3)).ToContainTextAsync("dlr");
        await Expect(timeline.Nth(3).Locator("pre")).ToContainTextAsync($"\"meta\": \"{message}\"");
    }

    [Fact]
    public async Task Reports_UnknownMessageReport_ListedWithAnswer()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Reports"));
        var callback = provider["callbackUrl"]!.GetValue<string>();
        using var content = new StringContent("""[{"event":"delivered","data":[{"ts":1795903940,"meta":"no-such-message","code":"","description":"Delivered"}]}]""",
            System.Text.Encoding.UTF8, "application/json");
        var answer = await Server.Anonymous.PostAsync(callback, content, Ct);
        Assert.True(answer.IsSuccessStatusCode);
        await SignInAsync();

        await Page.GotoAsync("/reports");

        var report = Page.Locator("ol.reports > li").Filter(new() { HasText = "no-such-message" });
        await Expect(report).ToHaveCountAsync(1);
        await Expect(report).ToContainTextAsync("unknown_message");
        await Expect(report.Locator(".badge")).ToHaveTextAsync("fail");
    }

    [Fact]
    public async Task Reports_FilteredByProviderAndPaged_ShowsOnlyThatProvidersReportsFiftyAtATime()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Paged"));
        var id = provider["id"]!.GetValue<string>();
        var callback = provider["callbackUrl"]!.GetValue<string>();
        for (var i = 0; i < 51; i++)
        {
            using var content = new StringContent($$$"""[{"event":"delivered","data":[{"ts":1795903940,"meta":"paged-{{{i}}}"}]}]""",
                System.Text.Encoding.UTF8, "application/json");
            Assert.True((await Server.Anonymous.PostAsync(callback, content, Ct)).IsSuccessStatusCode);
        }
        await SignInAsync();

        await Page.GotoAsync("/reports");
        await Page.GetByLabel("Provider").SelectOptionAsync(id);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        var reports = Page.Locator("ol.reports > li");
        await Expect(reports).ToHaveCountAsync(50);
        await Expect(reports.First).ToContainTextAsync("paged-50");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Older »" }).ClickAsync();
        await Expect(reports).ToHaveCountAsync(1);
        await Expect(reports.First).ToContainTextAsync("paged-0");
    }

    [Fact]
    public async Task Health_AfterDeliveredAndFailedTests_ShowsCountsRateLatencyErrorsAndChart()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Health"));
        var id = provider["id"]!.GetValue<string>();
        var delivered = (await Server.TestSmsAsync(id, "9812345678"))["messageId"]!.GetValue<string>();
        await Server.TestSmsAsync(id, "9812340004");
        await Server.WaitForStatusAsync(delivered, "delivered");
        await SignInAsync();

        await Page.GotoAsync($"/providers/{id}/health");

        var day = Page.GetByRole(AriaRole.Region, new() { Name = "Last 24 hours" });
        await Expect(day.Locator("dl.numbers > div").Filter(new() { HasText = "Sent" }).Locator("dd")).ToHaveTextAsync("2");
        await Expect(day.Locator("dl.numbers > div").Filter(new() { HasText = "Delivered" }).Locator("dd")).ToHaveTextAsync("1");
        await Expect(day.Locator("dl.numbers > div").Filter(new() { HasText = "Failed" }).Locator("dd")).ToHaveTextAsync("1");
        await Expect(day.Locator("dl.numbers > div").Filter(new() { HasText = "Delivery rate" }).Locator("dd")).ToHaveTextAsync("50.0 %");
        await Expect(day.Locator("dl.numbers > div").Filter(new() { HasText = "p50" }).Locator("dd")).ToHaveTextAsync(new Regex(@"^\d+ ms$|^\d+\.\d s$"));
        await Expect(Page.Locator("svg.chart rect.bar-delivered")).ToHaveCountAsync(1);
        await Expect(Page.Locator("svg.chart rect.bar-failed")).ToHaveCountAsync(1);
        await Expect(Page.GetByRole(AriaRole.Region, new() { Name = "Last errors" })).ToContainTextAsync("permanent-failure");

        await Page.GotoAsync("/providers");
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = provider["nickname"]!.GetValue<string>() });
        await Expect(row).ToContainTextAsync("50.0 %");
    }
}
