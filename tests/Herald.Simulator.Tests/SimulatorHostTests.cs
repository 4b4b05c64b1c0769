using System.Net;
using System.Text.Json;
using Herald.Simulator.Inspection;
using Herald.Simulator.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Simulator.Tests;

public sealed class SimulatorHostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_PortZero_BaseUrlHasBoundPort()
    {
        await using var host = await SimulatorHost.StartAsync(SimulatorHarness.DefaultOptions(), Ct);

        Assert.Equal("127.0.0.1", host.BaseUrl.Host);
        Assert.NotEqual(0, host.BaseUrl.Port);
        Assert.Equal("/", host.BaseUrl.AbsolutePath);
        Assert.Equal(new Uri(host.BaseUrl, "connector/sms"), host.ConnectorUrl);
    }

    [Fact]
    public async Task StartAsync_WildcardHost_BaseUrlUsesLoopback()
    {
        var options = SimulatorHarness.DefaultOptions();
        options.Urls = "http://0.0.0.0:0";

        await using var host = await SimulatorHost.StartAsync(options, Ct);

        Assert.Equal("127.0.0.1", host.BaseUrl.Host);
        Assert.NotEqual(0, host.BaseUrl.Port);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsNamingOption()
    {
        var options = SimulatorHarness.DefaultOptions();
        options.DeliveryRate = 2;

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(options, Ct));

        Assert.Contains(nameof(SimulatorOptions.DeliveryRate), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_CalledTwiceThenDisposed_DoesNotThrow()
    {
        var host = await SimulatorHost.StartAsync(SimulatorHarness.DefaultOptions(), Ct);

        await host.StopAsync(Ct);
        await host.StopAsync(Ct);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task StartAsync_OptionsChangedAfterStart_HasNoEffect()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);
        sim.Options.ApiKey = "changed";

        using var response = await sim.SendAsync(ct: Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task UnknownPath_Returns404()
    {
        await using var sim = await SimulatorHarness.StartAsync(ct: Ct);

        using var response = await sim.Client.GetAsync("nope", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task StartAsync_FakeTimeProvider_DlrWaitsForSimulatedDelay()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var receiver = await CallbackReceiver.StartAsync(Ct);
        var options = SimulatorHarness.DefaultOptions();
        options.DlrDelay = TimeSpan.FromHours(1);
        await using var host = await SimulatorHost.StartAsync(options, Ct, time);
        await using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        using var client = services.GetRequiredService<IHttpClientFactory>().CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, host.ConnectorUrl)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["to"] = "+919876543210", ["body"] = "hi", ["message_id"] = "fake-1" }),
        };
        request.Headers.TryAddWithoutValidation("api-key", SimulatorHarness.ApiKey);
        request.Headers.TryAddWithoutValidation("sid", SimulatorHarness.Sid);
        request.Headers.TryAddWithoutValidation("callback_url", receiver.Url.ToString());

        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var queued = Assert.Single(host.Inspector.GetCallbacks());
        Assert.Equal(CallbackResult.Pending, queued.Result);
        Assert.Equal(time.GetUtcNow(), queued.QueuedAt);
        Assert.InRange(queued.DueAt - queued.QueuedAt, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(90));
        Assert.Empty(receiver.Received);

        // The dispatcher may read "now" just before an Advance and arm its timer just after it, so advance
        // again if nothing arrived within a while; never while a post may be in flight (its 10 s timeout
        // runs on the same fake clock).
        var sinceAdvance = System.Diagnostics.Stopwatch.StartNew();
        time.Advance(TimeSpan.FromHours(2));
        await Eventually.TrueAsync(
            () =>
            {
                if (receiver.Received.Count == 0 && sinceAdvance.Elapsed > TimeSpan.FromMilliseconds(500))
                {
                    time.Advance(TimeSpan.FromHours(2));
                    sinceAdvance.Restart();
                }

                return receiver.Received.Count > 0;
            },
            what: "the DLR after advancing the fake clock",
            ct: Ct);

        var callback = receiver.Received[0];
        using var body = JsonDocument.Parse(callback.Body);
        Assert.Equal(queued.DueAt.ToUnixTimeSeconds(), body.RootElement[0].GetProperty("data")[0].GetProperty("ts").GetInt64());
    }

    [Fact]
    public async Task MapHeraldSimulator_InAnotherAppWithPrefix_ServesConnectorAndInspection()
    {
        await using var receiver = await CallbackReceiver.StartAsync(Ct);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.AddHeraldSimulator(SimulatorHarness.DefaultOptions());
        await using var app = builder.Build();
        app.MapHeraldSimulator("/sim");
        await app.StartAsync(Ct);
        await using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        using var client = services.GetRequiredService<IHttpClientFactory>().CreateClient();
        client.BaseAddress = new Uri(app.Urls.First());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sim/connector/sms")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["to"] = "+919876543210", ["body"] = "hi", ["message_id"] = "hosted-1" }),
        };
        request.Headers.TryAddWithoutValidation("api-key", SimulatorHarness.ApiKey);
        request.Headers.TryAddWithoutValidation("sid", SimulatorHarness.Sid);
        request.Headers.TryAddWithoutValidation("callback_url", receiver.Url.ToString());

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await receiver.WaitForAcceptedAsync(1, ct: Ct);
        using var stats = JsonDocument.Parse(await client.GetStringAsync("/sim/_sim/stats", Ct));
        Assert.Equal(1, stats.RootElement.GetProperty("accepted").GetInt64());
        Assert.Equal("/sim/connector/sms", app.Services.GetRequiredService<ISimulatorInspector>().GetRequests()[0].Path);
        await app.StopAsync(Ct);
    }

    [Fact]
    public void AddHeraldSimulator_CalledTwice_Throws()
    {
        var services = new ServiceCollection().AddHeraldSimulator(new SimulatorOptions());

        Assert.Throws<InvalidOperationException>(() => services.AddHeraldSimulator(new SimulatorOptions()));
    }
}
