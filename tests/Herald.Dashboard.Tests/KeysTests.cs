using System.Net;
using System.Net.Http.Json;

namespace Herald.Dashboard.Tests;

/// <summary>API keys from the dashboard: created (shown once), listed by prefix, revoked.</summary>
public sealed class KeysTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Keys_CreateThenRevoke_KeyWorksOnceShownThenGets401()
    {
        var name = Unique("ci");
        await SignInAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();

        await Page.GetByLabel("Name").FillAsync(name);
        await Page.GetByLabel("Scope").SelectOptionAsync("read");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();

        var key = await Page.GetByLabel("New API key").InputValueAsync();
        Assert.StartsWith("hk_", key, StringComparison.Ordinal);
        using var client = Server.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/providers", Ct)).StatusCode);
        // A read key reads and changes nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/keys", new { name = "escalate" }, Ct)).StatusCode);
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row).ToContainTextAsync("read");
        await Expect(row).ToContainTextAsync(key[..8] + "…");
        await Expect(row).Not.ToContainTextAsync(key);
        await Expect(row).ToContainTextAsync("active");

        // Shown once: the page visited again lists the prefix only.
        await Page.GotoAsync("/keys");
        await Expect(Page.GetByLabel("New API key")).ToHaveCountAsync(0);
        Assert.DoesNotContain(key, await Page.ContentAsync(), StringComparison.Ordinal);

        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Revoked the key");
        await Expect(Page.GetByRole(AriaRole.Row).Filter(new() { HasText = name })).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/providers", Ct)).StatusCode);

        // Both changes are in the audit log, made by the signed-in user, and the page never shows the key.
        await Page.GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        var created = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "key.create" }).Filter(new() { HasText = name });
        await Expect(created).ToContainTextAsync("scope read");
        await Expect(created).ToContainTextAsync("user " + DashboardServer.AdminUser);
        await Expect(Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "key.revoke" }).First).ToBeVisibleAsync();
        Assert.DoesNotContain(key, await Page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_RevokeTheConfiguredKey_RefusedSayingWhyAndKeyStillWorks()
    {
        await SignInAsync();
        await Page.GotoAsync("/keys");
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = DashboardServer.ApiKey[..8] + "…" });

        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("HERALD_API_KEY");
        await Expect(Page.GetByRole(AriaRole.Row).Filter(new() { HasText = DashboardServer.ApiKey[..8] + "…" })).ToContainTextAsync("active");
        Assert.Equal(HttpStatusCode.OK, (await Server.Api.GetAsync("/api/v1/providers", Ct)).StatusCode);
    }

    [Fact]
    public async Task Keys_EmptyName_ShowsErrorAndCreatesNothing()
    {
        await SignInAsync();
        await Page.GotoAsync("/keys");
        var before = await Page.Locator("table.list tbody tr").CountAsync();

        await Page.GetByLabel("Name").EvaluateAsync("e => e.removeAttribute('required')");
        await Page.GetByLabel("Name").FillAsync("   ");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Give the key a name");
        await Expect(Page.Locator("table.list tbody tr")).ToHaveCountAsync(before);
    }
}
