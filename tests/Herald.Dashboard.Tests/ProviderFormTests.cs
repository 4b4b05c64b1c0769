using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Herald.Dashboard.Tests;

/// <summary>The seed's Settings > Channels > SMS > + Add Provider > Other (Generic) form, through a real browser.</summary>
public sealed partial class ProviderFormTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task AddProvider_KaleyraPreset_SavesSeedConfigurationAndOpensTestSms()
    {
        var nickname = Unique("Kaleyra_SMS");
        await SignInAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "+ Add Provider" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/providers/new$"));
        await Expect(Field("Callback URL")).ToHaveAttributeAsync("placeholder", "Appears after you save");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Fill with Kaleyra preset" }).ClickAsync();
        await Expect(Field("Header 1 key")).ToHaveValueAsync("api-key");
        await Expect(Field("Header 4 value")).ToHaveValueAsync("$$CallbackURL");
        await Expect(Field("Parameter 8 key")).ToHaveValueAsync("long_url");
        await Field("Header 1 value").FillAsync(Server.SimulatorOptions.ApiKey);
        await Field("Header 2 value").FillAsync(Server.SimulatorOptions.Sid);
        await Field("Nickname").FillAsync(nickname);
        await Field("HTTP Endpoint").FillAsync(Server.Simulator.ConnectorUrl.ToString());
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/providers/prv_\w+\?saved=1$"));
        await Expect(Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" })).ToBeVisibleAsync();
        var id = Regex.Match(Page.Url, @"/providers/(prv_\w+)").Groups[1].Value;
        await Expect(Field("Callback URL")).ToHaveValueAsync(new Regex($"^{Regex.Escape(Server.Origin)}/dlr/{id}/[A-Za-z0-9_-]{{22}}$"));
        await AssertSeedSettingsAsync(id, nickname);
        // The dialog's dynamic fields are the provider's custom placeholders.
        await Expect(Field("Field 1 key")).ToHaveValueAsync("Sender");
        await Expect(Field("Field 2 key")).ToHaveValueAsync("TYPE");
        await Expect(Field("Field 3 key")).ToHaveValueAsync("LongURL");

        // Callback URL: read-only, with a copy button.
        await Page.Keyboard.PressAsync("Escape");
        await Expect(Field("Callback URL")).ToHaveAttributeAsync("readonly", "");
        await Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Copied" })).ToBeVisibleAsync();
        Assert.Equal(await Field("Callback URL").InputValueAsync(), await Page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
    }

    [Fact]
    public async Task AddProvider_ByHand_SavesSeedConfiguration()
    {
        var nickname = Unique("ByHand");
        await SignInAsync();
        await Page.GotoAsync("/providers/new");

        await FillSeedByHandAsync(nickname);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/providers/prv_\w+\?saved=1$"));
        var id = Regex.Match(Page.Url, @"/providers/(prv_\w+)").Groups[1].Value;
        await AssertSeedSettingsAsync(id, nickname);
        await Page.GotoAsync("/providers");
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = nickname });
        await Expect(row).ToContainTextAsync("Other (Generic)");
        await Expect(row).ToContainTextAsync("127.0.0.1:" + Server.Simulator.ConnectorUrl.Port);
        await Expect(row).ToContainTextAsync("never");
    }

    [Fact]
    public async Task AddProvider_PlainHttpToRemoteHost_ShowsErrorAtEndpointAndKeepsInput()
    {
        await SignInAsync();
        await Page.GotoAsync("/providers/new");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Fill with Kaleyra preset" }).ClickAsync();
        await Field("Nickname").FillAsync(Unique("Invalid"));
        await Field("HTTP Endpoint").FillAsync("http://sms.example.com/send");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        var error = Page.Locator("[data-error-for='settings.endpoint']");
        await Expect(error).ToContainTextAsync("https");
        await Expect(Field("HTTP Endpoint")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(Field("HTTP Endpoint")).ToHaveValueAsync("http://sms.example.com/send");
        await Expect(Field("Parameter 8 value")).ToHaveValueAsync("$$LongURL");
        await Expect(Page.GetByRole(AriaRole.Alert).First).ToContainTextAsync("Not saved");
    }

    [Fact]
    public async Task AddProvider_DuplicateParameterKey_ShowsErrorAtThatRowInParametersTab()
    {
        await SignInAsync();
        await Page.GotoAsync("/providers/new");
        await FillSeedByHandAsync(Unique("Dup"));
        await Field("Parameter 2 key").FillAsync("to");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        // The tab holding the error opens by itself; the message sits in the row it is about.
        var row = Page.Locator("#panel-parameters [data-row]").Nth(1);
        await Expect(row.Locator("[data-error-for='settings.parameters[1].key']")).ToContainTextAsync("appears more than once");
        await Expect(Page.GetByRole(AriaRole.Tab, new() { Name = "Parameters" })).ToHaveAttributeAsync("aria-selected", "true");
    }

    [Fact]
    public async Task EditProvider_SecretsShownMaskedAndKeptWhenUnchanged_DeleteRemovesIt()
    {
        var nickname = Unique("Edit");
        var created = await Server.CreateSeedProviderAsync(nickname);
        var id = created["id"]!.GetValue<string>();
        await SignInAsync();

        await Page.GotoAsync($"/providers/{id}");
        await Expect(Field("Header 1 value")).ToHaveValueAsync("****");
        await Expect(Field("Header 2 value")).ToHaveValueAsync("****");
        await Field("Header 3 value").FillAsync("api.kaleyra.io");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex($@"/providers/{id}\?saved=1$"));
        await Page.Keyboard.PressAsync("Escape"); // the Send Test SMS dialog opened after saving

        // The secrets were kept: a test SMS through the simulator (which checks api-key and sid) is accepted.
        var result = await Server.TestSmsAsync(id, "9812345609");
        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        var settings = (await Server.GetAsync($"/api/v1/providers/{id}"))["settings"]!;
        Assert.Equal("api.kaleyra.io", settings["headers"]![2]!["value"]!.GetValue<string>());

        await Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {nickname}" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex(@"/providers\?deleted="));
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Removed the provider {nickname}");
        var gone = await Server.Api.GetAsync($"/api/v1/providers/{id}", Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task EditProvider_RowMarkedSecret_MaskedAfterSavingAndStillSent()
    {
        var created = await Server.CreateSeedProviderAsync(Unique("Flag"));
        var id = created["id"]!.GetValue<string>();
        await SignInAsync();

        await Page.GotoAsync($"/providers/{id}");
        await Expect(Field("Header 3 value")).ToHaveValueAsync("api.in.kaleyra.io");
        await Expect(Field("Header 3 secret")).ToHaveValueAsync(""); // Auto: kaleyra-host does not look secret
        await Field("Header 3 secret").SelectOptionAsync("true");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex($@"/providers/{id}\?saved=1$"));
        await Page.Keyboard.PressAsync("Escape");

        var header = (await Server.GetAsync($"/api/v1/providers/{id}"))["settings"]!["headers"]![2]!;
        Assert.Equal("****", header["value"]!.GetValue<string>());
        Assert.True(header["secret"]!.GetValue<bool>());
        await Page.GotoAsync($"/providers/{id}");
        await Expect(Field("Header 3 value")).ToHaveValueAsync("****");
        await Expect(Field("Header 3 secret")).ToHaveValueAsync("true");
        var result = await Server.TestSmsAsync(id, "9812345608"); // the stored value still reaches the provider
        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        Assert.DoesNotContain("api.in.kaleyra.io", result.ToJsonString());
    }

    [Fact]
    public async Task AddProvider_KeyboardOnly_TabsSwitchWithArrowKeys()
    {
        await SignInAsync();
        await Page.GotoAsync("/providers/new");
        var headersTab = Page.GetByRole(AriaRole.Tab, new() { Name = "Headers" });

        await headersTab.FocusAsync();
        await Page.Keyboard.PressAsync("ArrowRight");

        await Expect(Page.GetByRole(AriaRole.Tab, new() { Name = "Parameters" })).ToBeFocusedAsync();
        await Expect(Page.GetByRole(AriaRole.Tab, new() { Name = "Parameters" })).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(Page.Locator("#panel-headers")).ToBeHiddenAsync();
        await Expect(Page.Locator("#panel-parameters")).ToBeVisibleAsync();
        // Every input of the form has a label.
        var unlabelled = await Page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('#provider-form input:not([type=hidden]), #provider-form select, #provider-form textarea')]
                .filter(e => !e.labels || e.labels.length === 0).map(e => e.name || e.id)
            """);
        Assert.Empty(unlabelled);
    }

    [Fact]
    public async Task AddProvider_KaleyraKind_CustomHostNeedsTheCheckboxThenSavesAndSends()
    {
        var nickname = Unique("KaleyraApi");
        await SignInAsync();
        await Page.GotoAsync("/providers/new");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Kaleyra", Exact = true }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex(@"/providers/new\?kind=kaleyra$"));

        await Field("Nickname").FillAsync(nickname);
        await Field("API key").FillAsync(Server.SimulatorOptions.ApiKey);
        await Field("SID").FillAsync(Server.SimulatorOptions.Sid);
        await Field("API host").FillAsync(Server.Simulator.BaseUrl.GetLeftPart(UriPartial.Authority));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Page.Locator("[data-error-for='settings.host']")).ToContainTextAsync("allowCustomHost");

        await Expect(Field("API key")).ToHaveValueAsync(Server.SimulatorOptions.ApiKey); // what was typed stays
        await Page.GetByLabel("Allow a host outside Kaleyra's list").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/providers/prv_\w+\?saved=1$"));
        var id = Regex.Match(Page.Url, @"/providers/(prv_\w+)").Groups[1].Value;
        var provider = await Server.GetAsync($"/api/v1/providers/{id}");
        Assert.Equal("kaleyra", provider["kind"]!.GetValue<string>());
        Assert.Equal("****", provider["settings"]!["apiKey"]!.GetValue<string>());
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });
        await dialog.GetByLabel("Mobile number").FillAsync("9812345678");
        await Expect(dialog.GetByLabel("Field 1 key", new() { Exact = true })).ToHaveValueAsync("sender"); // no default sender id set
        await dialog.GetByLabel("Field 1 value", new() { Exact = true }).FillAsync("KLRHXA");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();
        await Expect(dialog.Locator("[data-outcome]")).ToHaveTextAsync("accepted");
        await Expect(dialog.Locator("[data-request]")).ToContainTextAsync("api-key: ****");
    }

    [Fact]
    public async Task AddProvider_TwilioKind_SavesWithSecretsMaskedAndSendsATestSms()
    {
        var nickname = Unique("Twilio");
        await SignInAsync();
        await Page.GotoAsync("/providers/new");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Twilio", Exact = true }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex(@"/providers/new\?kind=twilio$"));
        await Expect(Field("API host")).ToHaveValueAsync("api.twilio.com");

        await Field("Nickname").FillAsync(nickname);
        await Field("Account SID").FillAsync(Server.SimulatorOptions.TwilioAccountSid);
        await Field("Auth Token").FillAsync(Server.SimulatorOptions.TwilioAuthToken);
        await Field("From (default sender)").FillAsync("+15005550006");
        await Field("API host").FillAsync(Server.Simulator.BaseUrl.GetLeftPart(UriPartial.Authority));
        await Page.GetByLabel("Allow a host other than Twilio's (a simulator)").CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/providers/prv_\w+\?saved=1$"));
        var id = Regex.Match(Page.Url, @"/providers/(prv_\w+)").Groups[1].Value;
        var provider = await Server.GetAsync($"/api/v1/providers/{id}");
        Assert.Equal("twilio", provider["kind"]!.GetValue<string>());
        Assert.Equal("****", provider["settings"]!["authToken"]!.GetValue<string>());
        Assert.Equal("****", provider["settings"]!["accountSid"]!.GetValue<string>());
        await Expect(Page.GetByText("StatusCallback").First).ToBeVisibleAsync(); // the callback URL's hint: nothing to set at Twilio
        var dialog = Page.GetByRole(AriaRole.Dialog, new() { Name = "Send Test SMS" });
        await dialog.GetByLabel("Mobile number").FillAsync("9812345678");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send Test" }).ClickAsync();
        await Expect(dialog.Locator("[data-outcome]")).ToHaveTextAsync("accepted");
        await Expect(dialog.Locator("[data-request]")).ToContainTextAsync("Authorization: Basic ****");
        await Expect(dialog.Locator("[data-request]")).Not.ToContainTextAsync(Server.SimulatorOptions.TwilioAuthToken);
    }

    private async Task AssertSeedSettingsAsync(string id, string nickname)
    {
        var provider = await Server.GetAsync($"/api/v1/providers/{id}");
        Assert.Equal(nickname, provider["nickname"]!.GetValue<string>());
        Assert.Equal("generic", provider["kind"]!.GetValue<string>());
        var settings = provider["settings"]!.AsObject();
        Assert.Equal("POST", settings["requestType"]!.GetValue<string>());
        Assert.Equal(Server.Simulator.ConnectorUrl.ToString(), settings["endpoint"]!.GetValue<string>());
        Assert.Equal("none", settings["authentication"]!["type"]!.GetValue<string>());
        Assert.Equal("form", settings["bodyType"]!.GetValue<string>());
        Assert.Equal(
            [("api-key", "****"), ("sid", "****"), ("kaleyra-host", "api.in.kaleyra.io"), ("callback_url", "$$CallbackURL")],
            Rows(settings["headers"]!));
        Assert.Equal(DashboardServer.SeedParameters, Rows(settings["parameters"]!));
        Assert.Equal(["Sender", "TYPE", "LongURL"], provider["customPlaceholders"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    private static List<(string, string)> Rows(JsonNode rows) =>
        rows.AsArray().Select(r => (r!["key"]!.GetValue<string>(), r["value"]!.GetValue<string>())).ToList();
}
