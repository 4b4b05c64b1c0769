using System.Net;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>Issue 14: <c>Secure</c> cookies behind a TLS proxy (forwarded headers from trusted proxies only).</summary>
public sealed partial class TrustedProxyTests
{
    private const string Password = "proxy-admin-password";

    // Cookies by hand: a Secure cookie would not be sent back over http by a cookie container.
    private static readonly IHttpClientFactory Clients = new ServiceCollection()
        .AddHttpClient("raw").ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }).Services
        .BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    private static Task<HeraldInstance> StartAsync(bool trustLoopback)
    {
        var settings = new Dictionary<string, string?> { ["Herald:Dashboard:AdminUser"] = "admin", ["Herald:Dashboard:AdminPassword"] = Password };
        if (trustLoopback)
        {
            settings["Herald:TrustedProxies:0"] = "127.0.0.1";
        }
        return HeraldInstance.StartAsync(extra: settings);
    }

    /// <summary>Signs in through a "TLS proxy" (X-Forwarded-Proto: https) and returns the session cookie's Set-Cookie.</summary>
    private static async Task<string?> SessionCookieAsync(HeraldInstance herald)
    {
        using var client = Clients.CreateClient("raw");
        client.BaseAddress = herald.BaseUrl;
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.20");
        using var page = await client.GetAsync("/signin", TestContext.Current.CancellationToken);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var cookies = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var fields = HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        fields["Input.Username"] = "admin";
        fields["Input.Password"] = Password;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin") { Content = new FormUrlEncodedContent(fields) };
        post.Headers.Add("Cookie", cookies);
        using var signedIn = await client.SendAsync(post, TestContext.Current.CancellationToken);
        Assert.True(signedIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.OK, signedIn.StatusCode.ToString());
        return signedIn.Headers.TryGetValues("Set-Cookie", out var set) ? set.FirstOrDefault(c => c.StartsWith("herald_session", StringComparison.Ordinal)) : null;
    }

    [Fact]
    public async Task SignIn_BehindTrustedTlsProxy_SessionCookieIsSecure()
    {
        await using var herald = await StartAsync(trustLoopback: true);

        var cookie = await SessionCookieAsync(herald);

        Assert.NotNull(cookie);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignIn_ForwardedHeadersFromUntrustedClient_Ignored()
    {
        await using var herald = await StartAsync(trustLoopback: false);

        var cookie = await SessionCookieAsync(herald);

        Assert.NotNull(cookie);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex("""<input type="hidden" name="([^"]+)" value="([^"]*)"\s*/?>""")]
    private static partial Regex HiddenInput();
}
