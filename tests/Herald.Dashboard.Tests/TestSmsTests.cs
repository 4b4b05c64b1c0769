using System.Text.RegularExpressions;

namespace Herald.Dashboard.Tests;

/// <summary>The seed's "Send Test SMS" pop-up against the simulator, live until the delivery report arrives.</summary>
public sealed class TestSmsTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task SendTest_TypingTheMessage_ShowsEncodingAndSegmentsBeforeSending()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Length"));
        await SignInAsync();
        await Page.GotoAsync($"/providers/{provider["id"]!.GetValue<string>()}");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Send Test SMS" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });
        var length = dialog.Locator("[data-length]");
        var message = dialog.GetByLabel("Message", new() { Exact = true });

        await Expect(length).ToHaveTextAsync("41 characters · GSM-7 · 1 segment");

        await message.FillAsync("Namaste 🙏 " + new string('x', 70));
        await Expect(length).ToHaveTextAsync("80 characters · UCS-2 (Unicode) · 2 segments");

        await message.FillAsync(string.Concat(Enumerable.Repeat("🙏", 400)));
        await Expect(length).ToContainTextAsync("13 segments — at most 10 allowed: shorten it");
    }

    [Fact]
    public async Task SendTest_SeedProvider_ShowsRequestAnswerAndReachesDeliveredLive()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Kaleyra_SMS"));
        var id = provider["id"]!.GetValue<string>();
        await SignInAsync();
        await Page.GotoAsync($"/providers/{id}");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Send Test SMS" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("Country code")).ToHaveValueAsync("+91");
        await dialog.GetByLabel("Mobile number").FillAsync("9812345678");
        await dialog.GetByLabel("Template ID").FillAsync("1107160000000012345");
        await Expect(dialog.GetByLabel("Message", new() { Exact = true })).ToHaveValueAsync("This is a test message powered by Kaleyra");
        await dialog.GetByLabel("Field 1 value", new() { Exact = true }).FillAsync("KLRHXA");
        await dialog.GetByLabel("Field 2 value", new() { Exact = true }).FillAsync("OTP");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();

        var result = dialog.Locator("[data-test-result]");
        await Expect(result.Locator("[data-outcome]")).ToHaveTextAsync("accepted");
        var request = result.Locator("[data-request]");
        await Expect(request).ToContainTextAsync($"POST {Server.Simulator.ConnectorUrl}");
        await Expect(request).ToContainTextAsync("api-key: ****");
        await Expect(request).ToContainTextAsync("sid: ****");
        await Expect(request).ToContainTextAsync($"callback_url: {Server.Origin}/dlr/{id}/");
        await Expect(request).ToContainTextAsync("to=%2B919812345678&sender=KLRHXA");
        await Expect(request).Not.ToContainTextAsync(Server.SimulatorOptions.ApiKey);
        await Expect(result.Locator("[data-response]")).ToContainTextAsync("HTTP 200");

        // The delivery report arrives without a reload: queued → accepted → delivered.
        await Expect(result.Locator("[data-live-status]")).ToHaveTextAsync("delivered", new() { Timeout = 15_000 });
        var timeline = result.Locator("[data-live-timeline]");
        await Expect(timeline).ToContainTextAsync("api: queued");
        await Expect(timeline).ToContainTextAsync("provider-response: accepted");
        await Expect(timeline).ToContainTextAsync("dlr: delivered");

        var messageId = await result.Locator("[data-message-id]").TextContentAsync();
        Assert.Equal("delivered", (await Server.GetAsync($"/api/v1/messages/{messageId}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendTest_MissingDynamicField_ShowsErrorInTheDialog()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("NoSender"));
        await SignInAsync();
        await Page.GotoAsync($"/providers/{provider["id"]!.GetValue<string>()}?test=1");
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });

        await dialog.GetByLabel("Mobile number").FillAsync("9812345678");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();

        await Expect(dialog.Locator("[data-error-for='dynamicFields']")).ToContainTextAsync("Sender");
        await Expect(dialog.Locator("[data-test-result]")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task SendTest_ProviderRefusesNumber_ShowsFailureWithProvidersAnswer()
    {
        var provider = await Server.CreateSeedProviderAsync(Unique("Refused"));
        await SignInAsync();
        await Page.GotoAsync($"/providers/{provider["id"]!.GetValue<string>()}?test=1");
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });

        await dialog.GetByLabel("Mobile number").FillAsync("9812340004"); // the simulator answers 400 invalid_number
        await dialog.GetByLabel("Field 1 value", new() { Exact = true }).FillAsync("KLRHXA");
        await dialog.GetByLabel("Field 2 value", new() { Exact = true }).FillAsync("OTP");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();

        var result = dialog.Locator("[data-test-result]");
        await Expect(result.Locator("[data-outcome]")).ToHaveTextAsync("permanent-failure");
        await Expect(result.Locator("[data-response]")).ToContainTextAsync("HTTP 400");
        await Expect(result.Locator("[data-live-status]")).ToHaveTextAsync("failed");
        await Expect(result.GetByRole(AriaRole.Link)).ToHaveAttributeAsync("href", new Regex("^/messages/[0-9a-f]{32}$"));
    }
}
