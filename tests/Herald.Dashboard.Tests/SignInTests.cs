using System.Text.RegularExpressions;

namespace Herald.Dashboard.Tests;

/// <summary>Sign-in, first-run setup, sign-out and what an unauthenticated browser sees.</summary>
public sealed partial class SignInTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Setup_FirstStartWithoutAdmin_AsksForAdminThenSignsIn()
    {
        await using var fresh = await DashboardServer.StartWithoutAdminAsync();
        var context = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = fresh.BaseUrl.ToString() });
        var page = await context.NewPageAsync();

        await page.GotoAsync("/");

        await Expect(page).ToHaveURLAsync(new Regex("/setup$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Create the admin user" })).ToBeVisibleAsync();
        await page.GetByLabel("User name").FillAsync("ops");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("first-run-secret");
        await page.GetByLabel("Repeat the password").FillAsync("another-secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create and sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The two passwords differ");

        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("first-run-secret");
        await page.GetByLabel("Repeat the password").FillAsync("first-run-secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create and sign in" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/providers$"));
        await Expect(page.Locator(".signout .user")).ToHaveTextAsync("ops");
        // Setup is closed once a user exists.
        await page.GotoAsync("/setup");
        await Expect(page).ToHaveURLAsync(new Regex("/signin$"));
        await context.CloseAsync();
    }

    [Fact]
    public async Task Setup_FromAnotherMachine_NeedsTheSetupCodePrintedAtStart()
    {
        await using var fresh = await DashboardServer.StartWithoutAdminAsync();
        // A browser elsewhere, reaching Herald through a reverse proxy on the server.
        var context = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fresh.BaseUrl.ToString(),
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.7" },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/setup");
        await page.GetByLabel("User name").FillAsync("intruder");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("first-visitor-wins");
        await page.GetByLabel("Repeat the password").FillAsync("first-visitor-wins");
        await page.GetByLabel("Setup code").FillAsync("000000000000");

        await page.GetByRole(AriaRole.Button, new() { Name = "Create and sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The setup code is not right");
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/setup$")); // still no user

        var code = (await File.ReadAllTextAsync(Path.Combine(fresh.DataDir, "setup-code"), TestContext.Current.CancellationToken)).Trim();
        await page.GetByLabel("User name").FillAsync("owner");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("the-owners-secret");
        await page.GetByLabel("Repeat the password").FillAsync("the-owners-secret");
        await page.GetByLabel("Setup code").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create and sign in" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/providers$"));
        await Expect(page.Locator(".signout .user")).ToHaveTextAsync("owner");
        Assert.False(File.Exists(Path.Combine(fresh.DataDir, "setup-code")));
        await context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksTheUserEvenForTheRightOne()
    {
        await using var own = new DashboardServer(); // its own server: the lockout must not touch the other tests' admin
        await own.InitializeAsync();
        var context = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = own.BaseUrl.ToString() });
        var page = await context.NewPageAsync();

        for (var i = 0; i < 5; i++)
        {
            await page.GotoAsync("/signin");
            await page.GetByLabel("User name").FillAsync(DashboardServer.AdminUser);
            await page.GetByLabel("Password").FillAsync($"guess {i}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        }
        await page.GotoAsync("/signin");
        await page.GetByLabel("User name").FillAsync(DashboardServer.AdminUser);
        await page.GetByLabel("Password").FillAsync(DashboardServer.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Too many failed sign-ins");
        await Expect(page).ToHaveURLAsync(new Regex("/signin"));
        await context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_WrongPasswordThenRight_ShowsErrorThenProviders()
    {
        await Page.GotoAsync("/signin");
        await Page.GetByLabel("User name").FillAsync(DashboardServer.AdminUser);
        await Page.GetByLabel("Password").FillAsync("not the password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The user name or password is not right.");
        await Expect(Page.GetByLabel("User name")).ToHaveValueAsync(DashboardServer.AdminUser);

        await SignInAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/providers$"));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "SMS providers" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Page_Unauthenticated_RedirectsToSignInAndBackAfterSignIn()
    {
        var response = await Page.GotoAsync("/messages?state=delivered");

        await Expect(Page).ToHaveURLAsync(new Regex(@"/signin\?returnUrl=%2Fmessages%3Fstate%3Ddelivered$"));
        Assert.Equal(200, response!.Status);

        await Page.GetByLabel("User name").FillAsync(DashboardServer.AdminUser);
        await Page.GetByLabel("Password").FillAsync(DashboardServer.AdminPassword);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/messages\?state=delivered$"));
        await Expect(Page.GetByLabel("State")).ToHaveValueAsync("delivered");
    }

    [Fact]
    public async Task Page_RequestWithoutSession_Is302ToSignInWithReturnUrl()
    {
        var response = await Page.APIRequest.GetAsync("/providers/new", new() { MaxRedirects = 0 });

        Assert.Equal(302, response.Status);
        Assert.Equal($"{Server.Origin}/signin?returnUrl=%2Fproviders%2Fnew", response.Headers["location"]);
    }

    [Fact]
    public async Task SignIn_ReturnUrlToAnotherSite_StaysOnHerald()
    {
        await SignInAsync(returnTo: "//evil.example/phish");

        await Expect(Page).ToHaveURLAsync(new Regex("/providers$"));
    }

    [Fact]
    public async Task SignOut_SignedIn_EndsTheSession()
    {
        await SignInAsync();

        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex(@"/signin\?signedOut=1$"));
        await Expect(Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You are signed out.");
        await Page.GotoAsync("/keys");
        await Expect(Page).ToHaveURLAsync(new Regex(@"/signin\?returnUrl=%2Fkeys$"));
    }

    [Fact]
    public async Task SignOut_CopiedSessionCookie_NoLongerWorks()
    {
        await SignInAsync();
        var session = (await Context.CookiesAsync()).Single(c => c.Name == "herald_session");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex(@"/signin\?signedOut=1$"));

        // Someone who copied the cookie before the sign-out puts it back.
        var replay = await Context.Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseUrl.ToString() });
        await replay.AddCookiesAsync([new Cookie { Name = session.Name, Value = session.Value, Domain = session.Domain, Path = session.Path }]);
        var page = await replay.NewPageAsync();
        await page.GotoAsync("/keys");
        await Expect(page).ToHaveURLAsync(new Regex(@"/signin\?returnUrl=%2Fkeys$"));
        await replay.CloseAsync();
    }
}
