using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary><c>herald keys create|list|revoke</c> through the real executable.</summary>
public sealed class KeysCliTests : CliTestBase
{
    [Fact]
    public async Task Keys_CreateUseAndRevoke_RevokedKeyIsRefused()
    {
        var created = await RunAsync("keys", "create", "--name", "ci", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = created.Json["key"]!.GetValue<string>();
        var id = created.Json["id"]!.GetValue<string>();
        Assert.StartsWith("hk_", key);
        Assert.Equal(key[..8], created.Json["prefix"]!.GetValue<string>());

        using (var api = TestHttp.Create(Herald.BaseUrl, key))
        {
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/providers", Ct)).StatusCode);
        }

        var list = await RunAsync("keys", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(id, list.Stdout);
        Assert.Contains("ci", list.Stdout);
        Assert.Contains(key[..8], list.Stdout);
        Assert.DoesNotContain(key, list.Stdout);

        var revoked = await RunAsync("keys", "revoke", id);
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Contains($"Revoked key {id}.", revoked.Stdout);

        using (var api = TestHttp.Create(Herald.BaseUrl, key))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/providers", Ct)).StatusCode);
        }
        var refused = await HeraldCliRunner.RunAsync(["providers", "list", .. Connection(key)]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("The API key is unknown or revoked.", refused.Stderr);
        Assert.Contains("--api-key", refused.Stderr);
    }

    [Fact]
    public async Task KeysCreate_Table_ShowsTheKeyOnItsOwnLine()
    {
        var created = await RunAsync("keys", "create", "--name", "laptop");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("shown only now", created.Stdout);
        var key = created.Stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("hk_", StringComparison.Ordinal));
        using var api = TestHttp.Create(Herald.BaseUrl, key);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/keys", Ct)).StatusCode);
    }

    [Fact]
    public async Task KeysCreate_WithScope_KeyHasItAndListShowsIt()
    {
        var created = await RunAsync("keys", "create", "--name", "shop-backend", "--scope", "send", "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("send", created.Json["scope"]!.GetValue<string>());
        using (var api = TestHttp.Create(Herald.BaseUrl, created.Json["key"]!.GetValue<string>()))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync("/api/v1/providers", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/messages", Ct)).StatusCode);
        }
        var list = await RunAsync("keys", "list");
        Assert.Contains(list.Stdout.Split('\n'), l => l.Contains("shop-backend", StringComparison.Ordinal) && l.Contains("send", StringComparison.Ordinal));
        var wrong = await RunAsync("keys", "create", "--name", "x", "--scope", "root");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("root", wrong.Stderr);
    }

    [Fact]
    public async Task KeysRevoke_UnknownKey_ExitsOne()
    {
        var result = await RunAsync("keys", "revoke", "key_nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No API key has the id 'key_nope'", result.Stderr);
    }
}
