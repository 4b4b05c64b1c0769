using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests;

/// <summary>The README's quick start through the real executable: herald serve --sandbox, then the seed's flow.</summary>
public sealed class BinaryTests
{
    [Fact]
    public async Task Serve_Sandbox_GeneratesAKeyOnce_AndATestSmsIsDelivered()
    {
        var dataDir = Directory.CreateTempSubdirectory("herald-bin-").FullName;
        var port = HeraldProcess.FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        string key;
        await using (var herald = HeraldProcess.Start(["serve", "--sandbox", "--urls", baseUrl.ToString(), "--data-dir", dataDir]))
        {
            await herald.WaitForOutputAsync("Herald is running");
            key = (await File.ReadAllTextAsync(Path.Combine(dataDir, "api-key"), TestContext.Current.CancellationToken)).Trim();
            await herald.WaitForOutputAsync(key); // printed once, on a line of its own, after the banner
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "api-key")));
            }
            Assert.Contains("sqlite", herald.Output);

            using var api = TestHttp.Create(baseUrl, key);
            var response = await api.PostAsJsonAsync("/api/v1/providers/Sandbox/test-sms", new
            {
                countryCode = "+91",
                mobile = "9812340009",
                message = "This is a test message powered by Kaleyra",
                dynamicFields = new { sender = "KLRHXA", type = "OTP" },
            }, TestContext.Current.CancellationToken);
            var result = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.OK);
            Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
            var id = result["messageId"]!.GetValue<string>();
            await TestHttp.EventuallyAsync(async () =>
            {
                var message = JsonNode.Parse(await api.GetStringAsync($"/api/v1/messages/{id}"))!;
                return message["status"]!.GetValue<string>() == "delivered" ? message : null;
            }, "the sandbox DLR");
        }

        // A restart keeps the key (not printed again) and the provider.
        await using (var again = HeraldProcess.Start(["serve", "--sandbox", "--urls", baseUrl.ToString(), "--data-dir", dataDir]))
        {
            await again.WaitForOutputAsync("Herald is running");
            Assert.DoesNotContain(key, again.Output);
            using var api = TestHttp.Create(baseUrl, key);
            var providers = JsonNode.Parse(await api.GetStringAsync("/api/v1/providers", TestContext.Current.CancellationToken))!["items"]!.AsArray();
            Assert.Single(providers);
            var messages = JsonNode.Parse(await api.GetStringAsync("/api/v1/messages", TestContext.Current.CancellationToken))!["items"]!.AsArray();
            Assert.Single(messages);
        }
    }

    [Fact]
    public async Task Serve_Help_ExplainsEveryOptionWithItsDefault()
    {
        var (exitCode, output) = await HeraldProcess.RunAsync("serve", "--help");
        Assert.Equal(0, exitCode);
        foreach (var option in new[] { "--urls", "--data-dir", "--sandbox", "--database", "--connection-string", "--public-url", "--allow-insecure-loopback" })
        {
            Assert.Contains(option, output);
        }
        Assert.Contains("http://127.0.0.1:8080", output);
        Assert.Contains("./data", output);
    }

    [Fact]
    public async Task Serve_InvalidDatabaseProvider_ExitsWithAClearMessage()
    {
        var (exitCode, output) = await HeraldProcess.RunAsync("serve", "--database", "oracle", "--data-dir", Directory.CreateTempSubdirectory("herald-bad-").FullName);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("sqlite or postgres", output);
    }

    [Fact]
    public async Task Simulate_AnswersTheConnectorFace()
    {
        var port = HeraldProcess.FreePort();
        await using var simulator = HeraldProcess.Start(["simulate", "--urls", $"http://127.0.0.1:{port}", "--api-key", "k1", "--sid", "S1"]);
        await simulator.WaitForOutputAsync("Simulator listening");
        using var client = TestHttp.Create(new Uri($"http://127.0.0.1:{port}"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connector/sms")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["to"] = "+919812340007", ["body"] = "hi", ["message_id"] = "m1" }),
        };
        request.Headers.Add("api-key", "k1");
        request.Headers.Add("sid", "S1");
        request.Headers.Add("callback_url", "http://127.0.0.1:9/cb");
        var answer = await HeraldInstance.ReadObjectAsync(await client.SendAsync(request, TestContext.Current.CancellationToken), HttpStatusCode.OK);
        Assert.Equal("m1", answer["message_id"]!.GetValue<string>());
        var (helpCode, help) = await HeraldProcess.RunAsync("simulate", "--help");
        Assert.Equal(0, helpCode);
        Assert.Contains("0001", help);
    }
}
