using System.Net;
using System.Net.Http.Json;

namespace Herald.Dashboard.Tests;

/// <summary>The Replies page: what people sent to the providers' numbers, filtered by keyword and by number.</summary>
public sealed class RepliesTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Replies_FilterByKeywordAndNumber_ShowOnlyTheMatchingMessages()
    {
        var provider = await Server.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = Unique("kaleyra"),
            kind = "kaleyra",
            settings = new { apiKey = "kaleyra-api-key", sid = "HXIN0000000001", host = "http://127.0.0.1:9", allowCustomHost = true, sender = "KLRHXA" },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, provider.StatusCode);
        var inboundUrl = (await provider.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct))!["inboundUrl"]!.GetValue<string>();
        foreach (var (from, text, id) in new[] { ("+4915155000301", "STOP", "r-1"), ("+4915155000302", "Thanks, see you Friday", "r-2") })
        {
            using var answer = await Server.Anonymous.PostAsJsonAsync(inboundUrl, new { sender = from, receiver = "4930901820", message = text, id }, Ct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        await SignInAsync();
        await Page.GotoAsync(Server.BaseUrl + "inbound");
        var rows = Page.Locator("table.inbound tbody tr");
        await Expect(rows).ToHaveCountAsync(2);

        await Field("Keyword").SelectOptionAsync("stop");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync("+4915155000301");
        await Expect(rows).ToContainTextAsync("STOP");

        await Page.GetByRole(AriaRole.Link, new() { Name = "Clear", Exact = true }).ClickAsync();
        await Field("From").FillAsync("+4915155000302");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync("Thanks, see you Friday");

        await Field("Keyword").SelectOptionAsync("help");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(Page.GetByText("No replies match.")).ToBeVisibleAsync();
    }
}
