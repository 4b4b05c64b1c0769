using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
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
