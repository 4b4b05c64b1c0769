using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Simulator.Tests.Infrastructure;

/// <summary>
/// A simulator on 127.0.0.1:0 with short delays, a <see cref="CallbackReceiver"/> for its DLRs and an
/// <see cref="HttpClient"/> to call it (connector face and Kaleyra face helpers). One per test.
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

    public static Task<SimulatorHarness> StartAsync(Action<SimulatorOptions>? configure = null, CancellationToken ct = default) =>
        StartAsync(configure, null, ct);

    /// <summary>As <see cref="StartAsync(Action{SimulatorOptions}?, CancellationToken)"/>, on <paramref name="time"/>'s clock.</summary>
    public static async Task<SimulatorHarness> StartAsync(Action<SimulatorOptions>? configure, TimeProvider? time, CancellationToken ct = default)
    {
        var options = DefaultOptions();
        configure?.Invoke(options);

        var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var receiver = await CallbackReceiver.StartAsync(ct);
        var host = await SimulatorHost.StartAsync(options, ct, time);
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

    /// <summary>Relative path of the Kaleyra face's send endpoint (<c>sms</c> or <c>messages</c>).</summary>
    public static string KaleyraPath(string endpoint = "sms", string sid = Sid) => $"v1/{sid}/{endpoint}";

    /// <summary>
    /// A form-encoded Kaleyra send with a valid api-key: <c>to</c>, <c>sender</c>, <c>body</c> and
    /// <c>type</c> OTP by default; <paramref name="fields"/> override or add (an empty value removes a field).
    /// </summary>
    public HttpRequestMessage NewKaleyraSend(IDictionary<string, string>? fields = null, string endpoint = "sms", string sid = Sid)
    {
        var form = new Dictionary<string, string>
        {
            ["to"] = "+919876543210",
            ["sender"] = "HERALD",
            ["body"] = "Your OTP is 123456",
            ["type"] = "OTP",
        };
        foreach (var (key, value) in fields ?? new Dictionary<string, string>())
        {
            if (value.Length == 0)
            {
                form.Remove(key);
            }
            else
            {
                form[key] = value;
            }
        }

        var request = new HttpRequestMessage(HttpMethod.Post, KaleyraPath(endpoint, sid)) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation("api-key", ApiKey);
        return request;
    }

    public async Task<HttpResponseMessage> KaleyraSendAsync(IDictionary<string, string>? fields = null, CancellationToken ct = default)
    {
        using var request = NewKaleyraSend(fields);
        return await Client.SendAsync(request, ct);
    }

    /// <summary>A Kaleyra <c>callback</c> field pointing at <see cref="Receiver"/>.</summary>
    public string CallbackJson(string method = "POST", string? extra = null) =>
        $$"""{"url":"{{Receiver.Url}}","method":"{{method}}"{{(extra is null ? "" : "," + extra)}}}""";

    /// <summary>GET <c>/v1/{sid}/messages/status?message_ids=..</c> with a valid api-key.</summary>
    public async Task<HttpResponseMessage> KaleyraStatusAsync(string messageIds, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/{Sid}/messages/status?message_ids={Uri.EscapeDataString(messageIds)}");
        request.Headers.TryAddWithoutValidation("api-key", ApiKey);
        return await Client.SendAsync(request, ct);
    }

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
