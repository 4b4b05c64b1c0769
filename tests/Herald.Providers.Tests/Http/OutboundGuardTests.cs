using System.Net;
using System.Net.Sockets;
using Herald.Providers.Abstractions;
using Herald.Providers.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Providers.Tests.Http;

public sealed class OutboundGuardTests
{
    /// <summary>Every SSRF vector of the security review, spelled as a URL host, and the kind of address it is.</summary>
    public static TheoryData<string, string> Vectors => new()
    {
        { "127.0.0.1", "loopback" },
        { "[::1]", "loopback" },
        { "127.1", "loopback" },
        { "0177.0.0.1", "loopback" },
        { "2130706433", "loopback" },
        { "0x7f.0.0.1", "loopback" },
        { "[::ffff:127.0.0.1]", "loopback" },
        { "user@127.0.0.1", "loopback" },
        { "169.254.169.254", "link-local" },
        { "10.0.0.1", "private" },
        { "172.16.5.4", "private" },
        { "192.168.1.1", "private" },
        { "100.64.0.1", "carrier-grade NAT" },
        { "0.0.0.0", "unspecified" },
        { "255.255.255.255", "broadcast" },
        { "224.0.0.1", "multicast" },
        { "192.0.2.1", "documentation" },
        { "198.51.100.7", "documentation" },
        { "203.0.113.9", "documentation" },
        { "[::]", "unspecified" },
        { "[fc00::1]", "unique-local" },
        { "[fd12:3456::1]", "unique-local" },
        { "[fe80::1]", "link-local" },
        { "[ff02::1]", "multicast" },
        { "[2001:db8::1]", "documentation" },
        { "[::127.0.0.1]", "IPv4-compatible" },
        { "[::ffff:169.254.169.254]", "link-local" },
        { "[::ffff:10.0.0.1]", "private" },
        { "[64:ff9b::a9fe:a9fe]", "link-local" },
        { "[2002:7f00:1::]", "loopback" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Refusal_ForbiddenAddressInAnySpelling_NamesItsKind(string host, string kind)
    {
        var address = HostAddress(host);

        var reason = OutboundAddresses.Refusal(address, allowLoopback: false, allowed: []);

        Assert.NotNull(reason);
        Assert.Contains(kind, reason);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Check_ProviderEndpointAtVector_RefusedNamingTheAllowList(string host, string kind)
    {
        var problem = EndpointRules.Check($"https://{host}/v1/sms", new ProviderValidationContext(AllowInsecureLoopback: false));

        Assert.NotNull(problem);
        Assert.Contains(kind, problem);
        Assert.Contains("Herald:Outbound:AllowedHosts", problem);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("[2606:4700:4700::1111]")]
    [InlineData("[::ffff:8.8.8.8]")]
    [InlineData("api.kaleyra.io")]
    public void Check_PublicHost_Allowed(string host)
    {
        Assert.Null(EndpointRules.Check($"https://{host}/v1/sms", new ProviderValidationContext(AllowInsecureLoopback: false)));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.1", true)]
    [InlineData("[::1]", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    public void Refusal_LoopbackSwitch_AllowsLoopbackOnly(string host, bool allowed)
    {
        Assert.Equal(allowed, OutboundAddresses.Refusal(HostAddress(host), allowLoopback: true, allowed: []) is null);
    }

    [Theory]
    [InlineData("10.20.0.0/16", "10.20.3.4", true)]
    [InlineData("10.20.0.0/16", "[::ffff:10.20.3.4]", true)]
    [InlineData("10.20.0.0/16", "10.21.0.1", false)]
    [InlineData("10.20.0.5", "10.20.0.5", true)]
    [InlineData("fd00:1::/64", "[fd00:1::9]", true)]
    [InlineData("fd00:1::/64", "[fd00:2::9]", false)]
    public void Refusal_AllowListedNetwork_Allowed(string entry, string host, bool allowed)
    {
        Assert.True(OutboundAddresses.TryParseNetwork(entry, out var network));

        Assert.Equal(allowed, OutboundAddresses.Refusal(HostAddress(host), allowLoopback: false, allowed: [network]) is null);
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("intranet.local")]
    [InlineData("10.0.0.0/33")]
    public void Start_BadAllowListEntry_FailsNamingTheSetting(string entry)
    {
        using var services = Services(o => o.AllowedHosts.Add(entry), new FixedResolver());

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OutboundOptions>>().CurrentValue);

        Assert.Contains("Herald:Outbound:AllowedHosts", error.Message);
    }

    [Fact]
    public async Task Send_NameResolvingToLoopback_RefusedBeforeConnecting()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var services = Services(_ => { }, new FixedResolver(IPAddress.Loopback));
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(ProviderHttp.ClientName);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.GetAsync($"http://provider.example:{port}/sms", TestContext.Current.CancellationToken));

        Assert.Equal(OutboundGuard.CouldNotConnect, error.Message);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Send_NameWithPublicAndLoopbackAnswers_Refused()
    {
        using var services = Services(_ => { }, new FixedResolver(IPAddress.Parse("93.184.216.34"), IPAddress.Loopback));
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(ProviderHttp.ClientName);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.GetAsync("http://rebind.example:1/sms", TestContext.Current.CancellationToken));

        Assert.Equal(OutboundGuard.CouldNotConnect, error.Message);
    }

    [Fact]
    public async Task Send_NameResolvingToLoopbackWithLoopbackSwitch_Connects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var services = Services(o => o.AllowLoopback = true, new FixedResolver(IPAddress.Loopback));
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(ProviderHttp.ClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var send = client.GetAsync($"http://provider.example:{port}/sms", timeout.Token);
        using var accepted = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        await timeout.CancelAsync();

        Assert.True(accepted.Connected);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
    }

    [Fact]
    public async Task Send_ClosedAndFilteredPorts_SameTextForBoth()
    {
        using var services = Services(o => o.AllowLoopback = true, new FixedResolver());
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(ProviderHttp.ClientName);

        var closed = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.GetAsync($"http://127.0.0.1:{Infrastructure.ClosedPort.Get()}/", TestContext.Current.CancellationToken));
        var unresolvable = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.GetAsync("http://no-such-host.invalid/", TestContext.Current.CancellationToken));

        Assert.Equal(OutboundGuard.CouldNotConnect, closed.Message);
        Assert.Equal(OutboundGuard.CouldNotConnect, unresolvable.Message);
    }

    private static IPAddress HostAddress(string host)
    {
        var uri = new Uri($"https://{host}/");
        Assert.True(IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address), $"{host} did not parse as an address ({uri.Host})");
        return address;
    }

    private static ServiceProvider Services(Action<OutboundOptions> configure, IOutboundResolver resolver) =>
        new ServiceCollection().AddSingleton(TimeProvider.System).AddLogging()
            .AddSingleton<IOutboundResolver>(resolver)
            .AddHeraldProviders()
            .Configure(configure)
            .BuildServiceProvider();

    private sealed class FixedResolver(params IPAddress[] addresses) : IOutboundResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            addresses.Length == 0 ? throw new SocketException((int)SocketError.HostNotFound) : Task.FromResult(addresses);
    }
}
