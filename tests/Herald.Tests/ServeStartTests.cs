using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;

namespace Herald.Tests;

/// <summary>What <c>herald serve</c> says at start, a start that cannot listen, and the sandbox provider's lifetime.</summary>
public sealed class ServeStartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_EveryStart_PrintsDashboardUrlAndKeyFile_KeyOnlyTheFirstTime()
    {
        var dataDir = Directory.CreateTempSubdirectory("herald-start-").FullName;
        var baseUrl = $"http://127.0.0.1:{HeraldProcess.FreePort()}";
        var keyFile = Path.Combine(dataDir, "api-key");
        string key;
        await using (var first = HeraldProcess.Start(["serve", "--urls", baseUrl, "--data-dir", dataDir]))
        {
            await first.WaitForOutputAsync("╰"); // the banner's last line
            key = (await File.ReadAllTextAsync(keyFile, Ct)).Trim();
            await first.WaitForOutputAsync(key);
            Assert.Matches($@"Dashboard\s+{Regex.Escape(baseUrl)}/", first.Output);
        }
        await using var second = HeraldProcess.Start(["serve", "--urls", baseUrl, "--data-dir", dataDir]);
        await second.WaitForOutputAsync("╰");

        Assert.Matches($@"Dashboard\s+{Regex.Escape(baseUrl)}/", second.Output);
        Assert.Matches($@"Admin API key\s+{Regex.Escape(keyFile)}", second.Output);
        Assert.DoesNotContain(key, second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_PortInUse_OneLineExit2_AndTheKeyItCreatedIsShown()
    {
        var baseUrl = $"http://127.0.0.1:{HeraldProcess.FreePort()}";
        await using var running = HeraldProcess.Start(["serve", "--urls", baseUrl, "--data-dir", Directory.CreateTempSubdirectory("herald-a-").FullName]);
        await running.WaitForOutputAsync("Herald is running");
        var otherData = Directory.CreateTempSubdirectory("herald-b-").FullName;

        await using var second = HeraldProcess.Start(["serve", "--urls", baseUrl, "--data-dir", otherData]);
        await second.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, second.ExitCode);
        var lines = second.Output.Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var error = Assert.Single(lines, l => l.StartsWith("herald could not start: ", StringComparison.Ordinal));
        Assert.Equal($"herald could not start: Failed to bind to address {baseUrl}: address already in use. Stop the other server or choose another address with --urls.", error);
        Assert.DoesNotContain(lines, l => l.Contains("Exception", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal)); // no stack trace
        // This data folder got its first key at this start: it is shown, with where it is saved.
        var key = (await File.ReadAllTextAsync(Path.Combine(otherData, "api-key"), Ct)).Trim();
        var shown = lines.IndexOf($"Admin API key (created now, saved in {Path.Combine(otherData, "api-key")}):");
        Assert.True(shown >= 0, second.Output);
        Assert.Equal(key, lines[shown + 1]);
    }

    [Fact]
    public async Task Serve_RestartWithoutSandbox_SandboxProviderRemoved_OtherProvidersKept()
    {
        var dataDir = Directory.CreateTempSubdirectory("herald-sandbox-").FullName;
        await using (var sandbox = await HeraldInstance.StartAsync(dataDir: dataDir, extra: new Dictionary<string, string?> { ["Herald:Sandbox:Enabled"] = "true" }))
        {
            await TestHttp.EventuallyAsync<object>(async () => (await sandbox.Api.GetAsync("/api/v1/providers/Sandbox", Ct)).StatusCode == HttpStatusCode.OK ? true : null, "the Sandbox provider");
            var test = await sandbox.TestSmsAsync("Sandbox", "9812340009");
            Assert.Equal("accepted", test["outcome"]!.GetValue<string>());
            await HeraldInstance.ReadObjectAsync(await sandbox.Api.PostAsync("/api/v1/providers", System.Net.Http.Json.JsonContent.Create(new
            {
                nickname = "Mine", kind = "generic",
                settings = new { endpoint = "http://127.0.0.1:9/connector/sms", parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
            }), Ct), HttpStatusCode.Created);
        }

        await using var plain = await HeraldInstance.StartAsync(dataDir: dataDir);

        Assert.Equal(HttpStatusCode.NotFound, (await plain.Api.GetAsync("/api/v1/providers/Sandbox", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await plain.Api.GetAsync("/api/v1/providers/Mine", Ct)).StatusCode);
        var messages = JsonNode.Parse(await plain.Api.GetStringAsync("/api/v1/messages", Ct))!["items"]!.AsArray();
        Assert.Equal("Sandbox", Assert.Single(messages)!["provider"]!["nickname"]!.GetValue<string>()); // history kept
        var send = await plain.Api.PostAsync("/api/v1/messages", System.Net.Http.Json.JsonContent.Create(new { to = "+919812345678", body = "hi", provider = "Sandbox" }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, send.StatusCode);
    }
}
