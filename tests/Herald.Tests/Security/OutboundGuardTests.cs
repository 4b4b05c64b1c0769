using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Security;

/// <summary>SSRF: a provider setting cannot make Herald connect inside the network (issue 14, "SSRF with read-back").</summary>
public sealed class OutboundGuardTests : IAsyncLifetime
{
    private HeraldInstance _herald = null!;

    // Without --allow-insecure-loopback, as a production server runs.
    public async ValueTask InitializeAsync() =>
        _herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?> { ["Herald:Providers:AllowInsecureLoopback"] = "false" });

    public async ValueTask DisposeAsync() => await _herald.DisposeAsync();

    public static TheoryData<string> Vectors =>
    [
        "127.0.0.1", "[::1]", "127.1", "0177.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "user@127.0.0.1",
        "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "0.0.0.0", "[fc00::1]", "[fe80::1]", "[::]",
        "[::127.0.0.1]", "[::ffff:169.254.169.254]", "224.0.0.1", "255.255.255.255", "192.0.2.1",
    ];

    private static object Generic(string endpoint) => new
    {
        nickname = "Inside",
        kind = "generic",
        settings = new
        {
            requestType = "POST",
            endpoint,
            authentication = new { type = "none" },
            bodyType = "form",
            parameters = new[] { new { key = "to", value = "$$To" }, new { key = "text", value = "$$Body" } },
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task CreateProvider_EndpointAtInternalAddress_400NamingTheField(string host)
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/providers", Generic($"https://{host}/sms"), TestContext.Current.CancellationToken);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        var error = problem["errors"]!["settings.endpoint"]![0]!.GetValue<string>();
        Assert.Contains("Herald:Outbound:AllowedHosts", error);
    }

    [Theory]
    [InlineData("127.0.0.1:8443")]
    [InlineData("169.254.169.254")]
    public async Task CreateProvider_KaleyraCustomHostInternal_400NamingTheHost(string host)
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Kal",
            kind = "kaleyra",
            settings = new { apiKey = "kl-0123456789abcdef", sid = "HXIN1234567890AB", host, allowCustomHost = true },
        }, TestContext.Current.CancellationToken);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("Herald:Outbound:AllowedHosts", problem["errors"]!["settings.host"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateProvider_ToInternalAddress_400NamingTheField()
    {
        var created = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/providers", Generic("https://sms.example.com/send"), TestContext.Current.CancellationToken), HttpStatusCode.Created);

        var response = await _herald.Api.PutAsJsonAsync($"/api/v1/providers/{created["id"]}", Generic("https://169.254.169.254/latest/meta-data/"), TestContext.Current.CancellationToken);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("settings.endpoint"), problem.ToJsonString());
    }

    [Fact]
    public async Task TestSms_NameResolvingToLoopback_RefusedAtConnectWithoutDetail()
    {
        // Something listens on loopback (an "internal service"): the name passes creation, the connect is refused.
        using var inside = new TcpListener(IPAddress.Loopback, 0);
        inside.Start();
        var port = ((IPEndPoint)inside.LocalEndpoint).Port;
        var created = await HeraldInstance.ReadObjectAsync(
            await _herald.Api.PostAsJsonAsync("/api/v1/providers", Generic($"https://localhost:{port}/sms"), TestContext.Current.CancellationToken), HttpStatusCode.Created);

        var answer = await _herald.Api.PostAsJsonAsync($"/api/v1/providers/{created["id"]}/test-sms",
            new { countryCode = "+91", mobile = "9812345678", message = "hi" }, TestContext.Current.CancellationToken);

        var result = await HeraldInstance.ReadObjectAsync(answer, HttpStatusCode.OK);
        var text = result.ToJsonString();
        Assert.Contains("could not connect to the provider", text);
        Assert.DoesNotContain("refused", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("loopback", text, StringComparison.OrdinalIgnoreCase);
        Assert.Null(result["response"]);
        Assert.False(inside.Pending(), "Herald connected to the loopback service");
        var timeline = (await _herald.GetMessageAsync(result["messageId"]!.GetValue<string>())).ToJsonString();
        Assert.Contains("could not connect to the provider", timeline);
        Assert.DoesNotContain("loopback", timeline, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TestSms_ClosedPortOnAllowListedNetwork_SameTextAsRefused()
    {
        await using var allowed = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:Providers:AllowInsecureLoopback"] = "false",
            ["Herald:Outbound:AllowedHosts:0"] = "127.0.0.0/8",
        });
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var created = await HeraldInstance.ReadObjectAsync(
            await allowed.Api.PostAsJsonAsync("/api/v1/providers", Generic($"https://127.0.0.1:{closed}/sms"), TestContext.Current.CancellationToken), HttpStatusCode.Created);

        var answer = await allowed.Api.PostAsJsonAsync($"/api/v1/providers/{created["id"]}/test-sms",
            new { countryCode = "+91", mobile = "9812345678", message = "hi" }, TestContext.Current.CancellationToken);

        var text = (await HeraldInstance.ReadObjectAsync(answer, HttpStatusCode.OK)).ToJsonString();
        Assert.Contains("could not connect to the provider", text);
        Assert.DoesNotContain("refused", text, StringComparison.OrdinalIgnoreCase);
    }
}
