using System.Collections.Concurrent;

namespace Herald.Dashboard.Tests;

/// <summary>The API reference page (Scalar): behind the dashboard sign-in, rendered from Herald's own assets and document.</summary>
public sealed class ApiReferenceTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task ApiReference_SignedIn_RendersTheOperationsAndLoadsNothingFromOutside()
    {
        var requests = new ConcurrentQueue<string>();
        var violations = new ConcurrentQueue<string>();
        Page.Request += (_, request) => requests.Enqueue(request.Url);
        Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                violations.Enqueue(message.Text);
            }
        };
        await SignInAsync();

        var response = await Page.GotoAsync("/api-reference");

        Assert.True(response!.Ok, $"/api-reference: {response.Status}");
        // Scalar renders Herald's document: its title, the endpoints' tags and summaries, and the Bearer scheme.
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Herald API", Level = 1 })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Messages", Exact = true })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "The process answers" })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Selected Auth Type: Bearer" })).ToBeVisibleAsync();
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Contains(requests, url => url.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
        var outside = requests.Where(url => !url.StartsWith("http://127.0.0.1:", StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal)
            && !url.StartsWith("blob:", StringComparison.Ordinal)).ToList();
        Assert.True(outside.Count == 0, "Requests that left Herald: " + string.Join(", ", outside));
        Assert.True(violations.IsEmpty, "Blocked by the content security policy: " + string.Join(" | ", violations));
    }

    [Fact]
    public async Task ApiReference_SignedOut_AsksToSignInFirst()
    {
        await Page.GotoAsync("/api-reference");

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin\\?returnUrl=%2Fapi-reference$"));
        await SignInAsync();
        await Page.GotoAsync("/api-reference");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Herald API", Level = 1 })).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }
}
