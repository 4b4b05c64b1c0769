using System.Net;
using System.Net.Http.Json;

namespace Herald.Dashboard.Tests;

/// <summary>Provider groups on the providers page (read-only), and a provider in a group that cannot be removed.</summary>
public sealed class ProviderGroupListTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    private async Task<string> CreateProviderAsync(string nickname) => (await Server.CreateSeedProviderAsync(nickname))["id"]!.GetValue<string>();

    [Fact]
    public async Task ProvidersPage_WithAGroup_ListsItsProvidersInOrder_AndRefusesToRemoveAMember()
    {
        var primary = Unique("Primary");
        var backup = Unique("Backup");
        var primaryId = await CreateProviderAsync(primary);
        await CreateProviderAsync(backup);
        var name = Unique("route");
        var created = await Server.Api.PostAsJsonAsync("/api/v1/provider-groups", new { name, providers = new[] { backup, primary } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        await SignInAsync("/providers");
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row).ToContainTextAsync("2 transient failure(s)");
        await Expect(row.GetByRole(AriaRole.Listitem)).ToHaveTextAsync([backup, primary]);

        await Page.GotoAsync($"/providers/{primaryId}");
        Page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {primary}" }).ClickAsync();
        await Expect(Page.GetByText($"is in the provider group(s) {name}")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.OK, (await Server.Api.GetAsync($"/api/v1/providers/{primaryId}", Ct)).StatusCode);
    }
}
