using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Hosting;
using Herald.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Dashboard.Tests.Infrastructure;

/// <summary>A real Herald server on a free loopback port (own data folder, SQLite) and the simulator standing in for Kaleyra.</summary>
public sealed class DashboardServer : IAsyncLifetime
{
    public const string ApiKey = "hk_dashboard_test_key_0123456789";
    public const string AdminUser = "admin";
    public const string AdminPassword = "correct horse battery";

    private static readonly IHttpClientFactory HttpClients =
        new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    private readonly bool _withAdmin;
    private WebApplication? _app;

    public DashboardServer() : this(withAdmin: true)
    {
    }

    private DashboardServer(bool withAdmin) => _withAdmin = withAdmin;

    public SimulatorOptions SimulatorOptions { get; } = new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = "kaleyra-api-key-secret",
        Sid = "HXIN1234567890",
        DlrDelay = TimeSpan.FromMilliseconds(300),
        DeliveryRate = 1.0,
        DlrRetryBaseDelay = TimeSpan.FromMilliseconds(100),
        Seed = 11,
    };

    public SimulatorHost Simulator { get; private set; } = null!;
    public Uri BaseUrl { get; private set; } = null!;
    public string Origin => BaseUrl.GetLeftPart(UriPartial.Authority);
    public HttpClient Api { get; private set; } = null!;
    public HttpClient Anonymous { get; private set; } = null!;
    public string DataDir { get; } = Directory.CreateTempSubdirectory("herald-dashboard-test-").FullName;

    /// <summary>A server with no dashboard user (first-run setup); the caller disposes it.</summary>
    public static async Task<DashboardServer> StartWithoutAdminAsync()
    {
        var server = new DashboardServer(withAdmin: false);
        await server.InitializeAsync();
        return server;
    }

    public async ValueTask InitializeAsync()
    {
        Simulator = await SimulatorHost.StartAsync(SimulatorOptions);
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Herald:DataDir"] = DataDir,
            ["Herald:ApiKey"] = ApiKey,
            ["Herald:Providers:AllowInsecureLoopback"] = "true",
        };
        if (_withAdmin)
        {
            settings["Herald:Dashboard:AdminUser"] = AdminUser;
            settings["Herald:Dashboard:AdminPassword"] = AdminPassword;
        }
        _app = HeraldServer.Build(settings, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await HeraldServer.InitializeAsync(_app, CancellationToken.None);
        await _app.StartAsync();
        BaseUrl = new Uri(_app.Urls.First());
        Api = Client(ApiKey);
        Anonymous = Client(null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Simulator.DisposeAsync();
        Api?.Dispose();
        Anonymous?.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open; the temp folder is cleaned up later
        }
    }

    public HttpClient Client(string? apiKey)
    {
        var client = HttpClients.CreateClient();
        client.BaseAddress = BaseUrl;
        client.Timeout = TimeSpan.FromSeconds(60);
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        return client;
    }

    /// <summary>The seed's configuration through the API, with callback_url = $$CallbackURL; returns the provider.</summary>
    public async Task<JsonObject> CreateSeedProviderAsync(string nickname)
    {
        var response = await Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname,
            kind = "generic",
            settings = new
            {
                requestType = "POST",
                endpoint = Simulator.ConnectorUrl.ToString(),
                authentication = new { type = "none" },
                headers = new[]
                {
                    new { key = "api-key", value = SimulatorOptions.ApiKey },
                    new { key = "sid", value = SimulatorOptions.Sid },
                    new { key = "kaleyra-host", value = "api.in.kaleyra.io" },
                    new { key = "callback_url", value = "$$CallbackURL" },
                },
                bodyType = "form",
                parameters = SeedParameters.Select(p => new { key = p.Key, value = p.Value }).ToArray(),
            },
        });
        return await ReadAsync(response, HttpStatusCode.Created);
    }

    public static IReadOnlyList<(string Key, string Value)> SeedParameters { get; } =
    [
        ("to", "$$To"), ("sender", "$$Sender"), ("body", "$$Body"), ("template_id", "$$TemplateID"),
        ("message_id", "$$MessageID"), ("campaign_id", "$$CampaignID"), ("type", "$$TYPE"), ("long_url", "$$LongURL"),
    ];

    public async Task<JsonObject> TestSmsAsync(string providerId, string mobile)
    {
        var response = await Api.PostAsJsonAsync($"/api/v1/providers/{providerId}/test-sms", new
        {
            countryCode = "+91",
            mobile,
            message = "This is a test message powered by Kaleyra",
            dynamicFields = new { sender = "KLRHXA", type = "OTP" },
        });
        return await ReadAsync(response, HttpStatusCode.OK);
    }

    /// <summary>The running server's services (to seed what no public call makes quickly).</summary>
    public IServiceProvider Services => _app!.Services;

    public async Task<JsonObject> GetAsync(string path) => await ReadAsync(await Api.GetAsync(path), HttpStatusCode.OK);

    /// <summary>Waits until a message reaches <paramref name="status"/>.</summary>
    public async Task WaitForStatusAsync(string messageId, string status)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (15 * TimeProvider.System.TimestampFrequency);
        while ((await GetAsync($"/api/v1/messages/{messageId}"))["status"]!.GetValue<string>() != status)
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Message {messageId} did not become {status}.");
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
