using System.Net;
using System.Text.Json.Nodes;

namespace Herald.Dashboard.Tests;

/// <summary>Anti-forgery on every form, and the API staying an API: 401 problem details, never a sign-in redirect.</summary>
public sealed class SecurityTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Theory]
    [InlineData("/providers/new", "_handler=provider&Form.Kind=generic&Form.Nickname=Forged")]
    [InlineData("/keys", "_handler=create-key&NewKey.Name=forged")]
    [InlineData("/signout", "")]
    [InlineData("/dashboard/providers/prv_x/test-sms", "mobile=9812345678&message=forged")]
    [InlineData("/segments/new", "_handler=segment&Form.Name=Forged&Form.Rule=%7B%22all%22%3A%5B%5D%7D")]
    [InlineData("/dashboard/segments/count", "Form.Rule=%7B%22all%22%3A%5B%5D%7D")]
    public async Task Post_SignedInWithoutAntiforgeryToken_Returns400AndChangesNothing(string path, string form)
    {
        await SignInAsync();

        // A forged cross-site form: the session cookie rides along, the anti-forgery token does not.
        var response = await Page.APIRequest.PostAsync(path, new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            Data = form,
            MaxRedirects = 0,
        });

        Assert.Equal(400, response.Status);
        var providers = await Server.GetAsync("/api/v1/providers");
        Assert.DoesNotContain("Forged", providers.ToJsonString(), StringComparison.Ordinal);
        var keys = await Page.APIRequest.GetAsync("/keys");
        Assert.DoesNotContain("forged", await keys.TextAsync(), StringComparison.Ordinal);
        await Page.GotoAsync("/providers");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync(); // still signed in
    }

    [Fact]
    public async Task Post_TokenFromAnotherSession_Returns400()
    {
        await Page.GotoAsync("/signin");
        var anonymousToken = await Page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        await SignInAsync();

        var response = await Page.APIRequest.PostAsync("/providers/new", new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            Data = $"_handler=provider&Form.Kind=generic&Form.Nickname=Forged2&__RequestVerificationToken={Uri.EscapeDataString(anonymousToken)}",
            MaxRedirects = 0,
        });

        Assert.Equal(400, response.Status);
    }

    [Theory]
    [InlineData("/api/v1/providers")]
    [InlineData("/api/v1/messages")]
    public async Task Api_NoKey_Returns401ProblemJsonNotARedirect(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);

        var response = await Server.Anonymous.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(path, response.RequestMessage!.RequestUri!.AbsolutePath); // not redirected
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(401, problem["status"]!.GetValue<int>());
        Assert.Contains("Bearer", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_DashboardSessionCookieOnly_StillReturns401()
    {
        await SignInAsync();

        var response = await Page.APIRequest.GetAsync("/api/v1/providers", new() { MaxRedirects = 0 });

        Assert.Equal(401, response.Status);
        Assert.StartsWith("application/problem+json", response.Headers["content-type"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusEndpoint_NoSession_Returns401NotSignInPage()
    {
        var response = await Page.APIRequest.GetAsync("/dashboard/messages/0000/status", new() { MaxRedirects = 0 });

        Assert.Equal(401, response.Status);
    }

    [Fact]
    public async Task Pages_Signed_HaveContentSecurityPolicyAllowingOnlySelf()
    {
        await SignInAsync();

        var response = await Page.GotoAsync("/providers");

        var csp = await response!.HeaderValueAsync("content-security-policy");
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", await response.HeaderValueAsync("x-frame-options"));
    }
}
