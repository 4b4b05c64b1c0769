using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Simulator.Tests.Infrastructure;

/// <summary>
/// A simulator on 127.0.0.1:0 with short delays, a <see cref="CallbackReceiver"/> for its DLRs and an
/// <see cref="HttpClient"/> to call it. One per test.
/// </summary>
public sealed class SimulatorHarness : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";
    public const string Sid = "HXTEST0001";

    private readonly ServiceProvider _services;

    private SimulatorHarness(ServiceProvider services, SimulatorHost host, CallbackReceiver receiver, SimulatorOptions options)
    {
        _services = services;
        Host = host;
        Receiver = receiver;
        Options = options;
        Client = services.GetRequiredService<IHttpClientFactory>().CreateClient();
        Client.BaseAddress = host.BaseUrl;
    }

    public SimulatorHost Host { get; }

    public CallbackReceiver Receiver { get; }

    public SimulatorOptions Options { get; }

    public HttpClient Client { get; }

    public static SimulatorOptions DefaultOptions() => new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = ApiKey,
        Sid = Sid,
        DlrDelay = TimeSpan.FromMilliseconds(20),
        DlrRetryBaseDelay = TimeSpan.FromMilliseconds(50),
        DeliveryRate = 1,
        TimeoutHang = TimeSpan.FromMilliseconds(300),
    };

    public static async Task<SimulatorHarness> StartAsync(Action<SimulatorOptions>? configure = null, CancellationToken ct = default)
    {
        var options = DefaultOptions();
        configure?.Invoke(options);

        var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var receiver = await CallbackReceiver.StartAsync(ct);
        var host = await SimulatorHost.StartAsync(options, ct);
        return new SimulatorHarness(services, host, receiver, options);
    }

    /// <summary>A form-encoded send as CleverTap's generic provider makes it, with valid headers.</summary>
    public HttpRequestMessage NewSend(string to = "+919876543210", string? messageId = null, IDictionary<string, string>? extraFields = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["to"] = to,
            ["sender"] = "HERALD",
            ["body"] = "Your OTP is 123456",
            ["message_id"] = messageId ?? NewMessageId(),
            ["campaign_id"] = "cmp-1",
            ["type"] = "OTP",
        };
        foreach (var (key, value) in extraFields ?? new Dictionary<string, string>())
        {
            fields[key] = value;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "connector/sms") { Content = new FormUrlEncodedContent(fields) };
        AddHeaders(request);
        return request;
    }

    public void AddHeaders(HttpRequestMessage request)
    {
        request.Headers.TryAddWithoutValidation("api-key", ApiKey);
        request.Headers.TryAddWithoutValidation("sid", Sid);
        request.Headers.TryAddWithoutValidation("kaleyra-host", "api.in.kaleyra.io");
        request.Headers.TryAddWithoutValidation("callback_url", Receiver.Url.ToString());
    }

    public async Task<HttpResponseMessage> SendAsync(string to = "+919876543210", string? messageId = null, CancellationToken ct = default)
    {
        using var request = NewSend(to, messageId);
        return await Client.SendAsync(request, ct);
    }

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct = default)
    {
        var element = await Client.GetFromJsonAsync<JsonElement>(path, ct);
        return element;
    }

    public static string NewMessageId() => $"ct-{Guid.NewGuid():N}";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
        await _services.DisposeAsync();
    }
}

public static class HttpResponseMessageExtensions
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, CancellationToken ct = default)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
