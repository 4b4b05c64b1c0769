using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>Issue 14, "Public callback endpoints unbounded": rate limits and capped stored answers on /dlr.</summary>
public sealed class PublicEndpointLimitTests
{
    private static async Task<string> CallbackUrlAsync(HeraldInstance herald)
    {
        var created = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Limited",
            kind = "generic",
            settings = new { endpoint = "https://sms.example.com/send", parameters = new[] { new { key = "to", value = "$$To" }, new { key = "text", value = "$$Body" } } },
        }, TestContext.Current.CancellationToken), HttpStatusCode.Created);
        return created["callbackUrl"]!.GetValue<string>();
    }

    private static StringContent Report(int i) =>
        new($$"""[{"event":"delivered","data":[{"ts":1654512921,"meta":"msg_unknown_{{i}}"}]}]""", Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("PerClientIpPerSecond")]
    [InlineData("PerProviderPerSecond")]
    public async Task Dlr_OverTheLimit_429WithRetryAfter_AndEveryAcknowledgedReportStored(string limit)
    {
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            [$"Herald:PublicEndpoints:{limit}"] = "3",
            ["Herald:PublicEndpoints:BurstSeconds"] = "1",
        });
        var callbackUrl = await CallbackUrlAsync(herald);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await herald.Anonymous.PostAsync(callbackUrl, Report(i), TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
            }
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var acknowledged = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.True(acknowledged >= 3, string.Join(", ", statuses));
        var stored = await herald.Services.GetRequiredService<IDlrInbox>().RecentAsync(null, 100, TestContext.Current.CancellationToken);
        Assert.Equal(acknowledged, stored.Count);
    }

    [Fact]
    public async Task Dlr_ReportsForAcceptedMessages_PassAboveTheLimits_WrongTokensAndSurplusStayLimited()
    {
        var options = new SimulatorOptions { Urls = "http://127.0.0.1:0", DlrDelay = TimeSpan.FromHours(1), Seed = 1 };
        await using var simulator = await SimulatorHost.StartAsync(options);
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:PublicEndpoints:PerClientIpPerSecond"] = "2",
            ["Herald:PublicEndpoints:PerProviderPerSecond"] = "2",
            ["Herald:PublicEndpoints:BurstSeconds"] = "1",
            ["Herald:PublicEndpoints:ExpectedReportsPerMessage"] = "4",
        });
        var provider = await herald.CreateSeedProviderAsync(simulator, options);
        var callbackUrl = provider["callbackUrl"]!.GetValue<string>();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var sent = await herald.TestSmsAsync(provider["id"]!.GetValue<string>(), $"981234001{i}");
            Assert.Equal("accepted", sent["outcome"]!.GetValue<string>());
            ids.Add(sent["messageId"]!.GetValue<string>());
        }
        var ct = TestContext.Current.CancellationToken;

        // Guessing the token is limited per address as before, even while the provider has reports to come.
        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var guess = await herald.Anonymous.PostAsync(callbackUrl[..^4] + "nope", Report(i), ct);
            guesses.Add(guess.StatusCode);
        }
        Assert.Contains(HttpStatusCode.NotFound, guesses);
        Assert.Contains(HttpStatusCode.TooManyRequests, guesses);

        // Five accepted messages, four reports expected each: twenty callbacks pass at once, ten times the limits.
        var expected = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var response = await herald.Anonymous.PostAsync(callbackUrl,
                new StringContent($$"""[{"event":"delivered","data":[{"ts":1654512921,"meta":"{{ids[i % 5]}}"}]}]""", Encoding.UTF8, "application/json"), ct);
            return response.StatusCode;
        }));
        Assert.All(expected, s => Assert.Equal(HttpStatusCode.OK, s));
        foreach (var id in ids)
        {
            Assert.Equal("delivered", (await herald.GetMessageAsync(id))["status"]!.GetValue<string>());
        }

        // Past what was expected, the provider's limit applies again.
        var surplus = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await herald.Anonymous.PostAsync(callbackUrl, Report(i), ct);
            surplus.Add(response.StatusCode);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, surplus);
    }

    [Fact]
    public async Task Dlr_AfterARestart_ReportsStillToComeAreExpectedAgain()
    {
        var options = new SimulatorOptions { Urls = "http://127.0.0.1:0", DlrDelay = TimeSpan.FromHours(1), Seed = 1 };
        await using var simulator = await SimulatorHost.StartAsync(options);
        var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:PublicEndpoints:PerClientIpPerSecond"] = "2",
            ["Herald:PublicEndpoints:PerProviderPerSecond"] = "2",
            ["Herald:PublicEndpoints:BurstSeconds"] = "1",
        });
        try
        {
            var provider = await herald.CreateSeedProviderAsync(simulator, options);
            var providerId = provider["id"]!.GetValue<string>();
            var ids = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                ids.Add((await herald.TestSmsAsync(providerId, $"981234002{i}"))["messageId"]!.GetValue<string>());
            }

            // Herald goes down with five messages waiting for their reports; the provider holds them back meanwhile.
            herald = await herald.RestartAsync();
            var limiter = herald.Services.GetRequiredService<Herald.Api.PublicLimits.PublicEndpointLimiter>();
            await TestHttp.EventuallyAsync(() => Task.FromResult<object?>(limiter.Expects(providerId) ? true : null), "the reports still to come counted");

            var ct = TestContext.Current.CancellationToken;
            var answers = await Task.WhenAll(ids.Select(async id =>
            {
                // The restarted server listens on another port: the same callback path.
                using var response = await herald.Anonymous.PostAsync(new Uri(provider["callbackUrl"]!.GetValue<string>()).PathAndQuery,
                    new StringContent($$"""[{"event":"delivered","data":[{"ts":1654512921,"meta":"{{id}}"}]}]""", Encoding.UTF8, "application/json"), ct);
                return response.StatusCode;
            }));
            Assert.All(answers, s => Assert.Equal(HttpStatusCode.OK, s));
        }
        finally
        {
            await herald.DisposeAsync();
        }
    }

    [Fact]
    public async Task Dlr_DefaultLimits_LetABurstOfThousandsThrough()
    {
        await using var herald = await HeraldInstance.StartAsync();
        var callbackUrl = await CallbackUrlAsync(herald);

        var answers = await Task.WhenAll(Enumerable.Range(0, 2000).Select(async i =>
        {
            using var response = await herald.Anonymous.PostAsync(callbackUrl, Report(i), TestContext.Current.CancellationToken);
            return response.StatusCode;
        }));

        Assert.All(answers, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task Dlr_ThousandsOfUnknownRecords_StoredAnswerCapped()
    {
        await using var herald = await HeraldInstance.StartAsync();
        var callbackUrl = await CallbackUrlAsync(herald);
        var records = string.Join(",", Enumerable.Range(0, 5000).Select(i => $$"""{"event":"delivered","data":[{"ts":1654512921,"meta":"nope_{{i}}"}]}"""));

        using var response = await herald.Anonymous.PostAsync(callbackUrl, new StringContent($"[{records}]", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = (await herald.Services.GetRequiredService<IDlrInbox>().RecentAsync(null, 1, TestContext.Current.CancellationToken)).Single();
        var answer = JsonNode.Parse(stored.Result!)!;
        Assert.Equal(100, answer["unprocessed"]!.AsArray().Count);
        Assert.Contains("5000", answer["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dlr_RawCallbacksPastRetention_PurgedInTheBackground()
    {
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:Dlr:Retention"] = "00:00:01",
            ["Herald:Dlr:SweepInterval"] = "00:00:00.100",
        });
        var callbackUrl = await CallbackUrlAsync(herald);
        for (var i = 0; i < 3; i++)
        {
            using var response = await herald.Anonymous.PostAsync(callbackUrl, Report(i), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var inbox = herald.Services.GetRequiredService<IDlrInbox>();
        Assert.Equal(3, (await inbox.RecentAsync(null, 10, TestContext.Current.CancellationToken)).Count);

        await TestHttp.EventuallyAsync(async () => (await inbox.RecentAsync(null, 10, TestContext.Current.CancellationToken)).Count == 0 ? (object)true : null,
            "the callbacks past retention to be purged");
    }
}
