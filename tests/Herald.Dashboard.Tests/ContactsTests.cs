using System.Net;
using System.Net.Http.Json;

namespace Herald.Dashboard.Tests;

/// <summary>Contacts from the dashboard: a CSV import with live progress and the refused rows, search, a contact's page, suppressions.</summary>
public sealed class ContactsTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Contacts_ImportSearchAndDetail_ShowCountsAttributesConsentEventsAndSuppression()
    {
        var tag = Unique("city");
        var csv = Path.Combine(Directory.CreateTempSubdirectory("herald-dash-csv-").FullName, "contacts.csv");
        await File.WriteAllTextAsync(csv, $"phone,first_name,city,consent.promotional\n+919812399001,Asha,{tag},yes\nnot-a-phone,Bad,{tag},no\n+919812399002,Ravi,{tag},no\n", Ct);
        await SignInAsync();
        await Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Contacts", Exact = true }).ClickAsync();

        await Page.GetByLabel("CSV file").SetInputFilesAsync(csv);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("completed", new() { Timeout = 30_000 });
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("2 imported");
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("1 failed");
        await Expect(Page.Locator("table.import-errors")).ToContainTextAsync("not-a-phone");
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.GetByRole(AriaRole.Link, new() { Name = "Download the refused rows (CSV)" }).ClickAsync());
        var refused = await File.ReadAllTextAsync(await download.PathAsync(), Ct);
        Assert.Contains("3,", refused, StringComparison.Ordinal);
        Assert.Contains("not-a-phone", refused, StringComparison.Ordinal);

        // Events for one of them, through the Segment-style API.
        var identify = await Server.Api.PostAsJsonAsync("/api/v1/identify", new { userId = $"u-{tag}", traits = new { phone = "+919812399001" }, messageId = $"i-{tag}" }, Ct);
        Assert.Equal(HttpStatusCode.OK, identify.StatusCode);
        var track = await Server.Api.PostAsJsonAsync("/api/v1/track", new { userId = $"u-{tag}", @event = "added_to_cart", properties = new { value = 640 }, messageId = $"t-{tag}" }, Ct);
        Assert.Equal(HttpStatusCode.OK, track.StatusCode);
        await Server.Api.PostAsJsonAsync("/api/v1/suppressions", new { phone = "+919812399001", reason = "complaint" }, Ct);

        await Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Contacts", Exact = true }).ClickAsync();
        await Page.GetByLabel("Search", new() { Exact = true }).FillAsync(tag);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(Page.Locator("table.contacts tbody tr")).ToHaveCountAsync(2);
        var asha = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "+919812399001" });
        await Expect(asha).ToContainTextAsync("granted");
        await Expect(Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "+919812399002" })).ToContainTextAsync("withdrawn");

        await asha.GetByRole(AriaRole.Link).First.ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("+919812399001");
        await Expect(Page.Locator("table.attributes")).ToContainTextAsync("Asha");
        await Expect(Page.Locator("table.attributes")).ToContainTextAsync(tag);
        await Expect(Page.Locator("table.consent").GetByRole(AriaRole.Row).Filter(new() { HasText = "promotional" })).ToContainTextAsync("import");
        await Expect(Page.Locator("table.event-counts")).ToContainTextAsync("added_to_cart");
        await Expect(Page.Locator("table.events")).ToContainTextAsync("640");
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("suppression list");
        await Expect(Page.GetByText($"u-{tag}")).ToBeVisibleAsync();

        await Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Contacts", Exact = true }).ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Suppressions" }).ClickAsync();
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = "+919812399001" });
        await Expect(row).ToContainTextAsync("complaint");
        await row.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("no longer suppressed");
    }
}
