using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Bench;

/// <summary>The harness's one IHttpClientFactory (pooled loopback connections, no proxy).</summary>
internal static class Http
{
    public const string Name = "bench";

    private static readonly ServiceProvider Services = Build();

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public static HttpClient Client() => Services.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

    private static ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(Name, c => c.Timeout = TimeSpan.FromMinutes(2))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                UseProxy = false,
                MaxConnectionsPerServer = 256,
                PooledConnectionLifetime = TimeSpan.FromMinutes(10),
                ConnectTimeout = TimeSpan.FromSeconds(5),
            });
        return services.BuildServiceProvider();
    }
}

/// <summary>One message as the list API shows it.</summary>
internal sealed record MessageRow(string Id, string Status);

/// <summary>The calls the harness makes to herald serve.</summary>
internal sealed class HeraldClient(Uri baseUrl, string apiKey)
{
    public static readonly string[] FinalStates = ["delivered", "undelivered", "failed", "expired", "rejected"];
    public static readonly string[] PendingStates = ["queued", "dispatching", "accepted", "sent"];

    private readonly HttpClient _http = Http.Client();

    public Uri BaseUrl => baseUrl;

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(baseUrl, path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return request;
    }

    /// <summary>Waits (bounded) for /readyz; fails early when the process died.</summary>
    public async Task WaitReadyAsync(ChildProcess process, TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        while (time.GetElapsedTime(start) < limit)
        {
            if (process.HasExited)
            {
                throw new BenchException($"herald serve exited during start; log {process.LogPath}:\n{process.Tail()}");
            }
            try
            {
                using var response = await _http.GetAsync(new Uri(baseUrl, "/readyz"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
        throw new BenchException($"herald serve was not ready within {limit}; log {process.LogPath}:\n{process.Tail()}");
    }

    public async Task<string> CreateProviderAsync(object provider, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, "/api/v1/providers", JsonContent(provider));
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new BenchException($"POST /api/v1/providers answered {(int)response.StatusCode}: {body}");
        }
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>GET a JSON object from the API.</summary>
    public async Task<System.Text.Json.Nodes.JsonObject> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new BenchException($"GET {path} answered {(int)response.StatusCode}: {body}");
        }
        return System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>POST /api/v1/messages/batch; the ids of the accepted items by their index, and how many were rejected.</summary>
    public async Task<(List<(int Index, string Id)> Accepted, int Rejected)> SubmitBatchAsync(byte[] json, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = Request(HttpMethod.Post, "/api/v1/messages/batch", content);
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.BadRequest))
        {
            throw new BenchException($"POST /api/v1/messages/batch answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        using var doc = JsonDocument.Parse(body);
        if (!doc.RootElement.TryGetProperty("accepted", out var acceptedItems))
        {
            throw new BenchException($"POST /api/v1/messages/batch answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        var accepted = new List<(int, string)>(acceptedItems.GetArrayLength());
        foreach (var item in acceptedItems.EnumerateArray())
        {
            accepted.Add((item.GetProperty("index").GetInt32(), item.GetProperty("id").GetString()!));
        }
        var rejected = doc.RootElement.GetProperty("rejected");
        if (rejected.GetArrayLength() > 0 && accepted.Count == 0)
        {
            throw new BenchException($"every message of a batch was rejected, e.g. {rejected[0]}");
        }
        return (accepted, rejected.GetArrayLength());
    }

    /// <summary>POST /api/v1/messages (one message) with an Idempotency-Key; the message id.</summary>
    public async Task<string> SendAsync(object message, string idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, "/api/v1/messages", JsonContent(message));
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new BenchException($"POST /api/v1/messages answered {(int)response.StatusCode}: {body}");
        }
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>One page of GET /api/v1/messages.</summary>
    public async Task<(List<MessageRow> Items, string? Next)> ListAsync(string? status, string? to, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = new StringBuilder($"/api/v1/messages?limit={limit}");
        if (status is not null)
        {
            query.Append("&status=").Append(status);
        }
        if (to is not null)
        {
            query.Append("&to=").Append(Uri.EscapeDataString(to));
        }
        if (cursor is not null)
        {
            query.Append("&cursor=").Append(Uri.EscapeDataString(cursor));
        }
        using var request = Request(HttpMethod.Get, query.ToString());
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchException($"GET {query} answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        using var doc = JsonDocument.Parse(body);
        var items = doc.RootElement.GetProperty("items").EnumerateArray()
            .Select(i => new MessageRow(i.GetProperty("id").GetString()!, i.GetProperty("status").GetString()!)).ToList();
        var next = doc.RootElement.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return (items, next);
    }

    /// <summary>Whether any message is in one of <see cref="PendingStates"/> (four one-row queries).</summary>
    public async Task<bool> AnyPendingAsync(CancellationToken cancellationToken)
    {
        foreach (var state in PendingStates)
        {
            if ((await ListAsync(state, null, 1, null, cancellationToken)).Items.Count > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Every message id in <paramref name="status"/>, paging 500 at a time (bounded by <paramref name="maxPages"/>).</summary>
    public async Task<List<string>> AllInStateAsync(string status, int maxPages, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        string? cursor = null;
        for (var page = 0; page < maxPages; page++)
        {
            var (items, next) = await ListAsync(status, null, 500, cursor, cancellationToken);
            ids.AddRange(items.Select(i => i.Id));
            if (next is null || items.Count == 0)
            {
                return ids;
            }
            cursor = next;
        }
        throw new BenchException($"more than {maxPages} pages of '{status}' messages: more messages than the harness submitted?");
    }

    /// <summary>GET /api/v1/messages/{id} (with its timeline).</summary>
    public async Task<JsonDocument> GetMessageAsync(string id, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"/api/v1/messages/{id}");
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchException($"GET /api/v1/messages/{id} answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        return JsonDocument.Parse(body);
    }

    private static StringContent JsonContent(object value) => new(JsonSerializer.Serialize(value, Http.Json), Encoding.UTF8, "application/json");

    private static string Shorten(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length > 600 ? text[..600] + "…" : text;
    }
}

/// <summary>The counters of GET /_sim/stats the harness reads.</summary>
internal sealed record SimStats(
    long Received,
    long Accepted,
    long Rejected,
    long DlrQueued,
    long DlrDelivered,
    long DlrFailed,
    long DlrRetries,
    KeyStats ByMessageId,
    long KaleyraRequests,
    long KaleyraAccepted,
    long KaleyraRecipients,
    KeyStats ByRef,
    long RateLimited,
    long InjectedErrors);

internal sealed record KeyStats(long Duplicates, long Distinct);

/// <summary>A request the simulator logged (GET /_sim/requests).</summary>
internal sealed record SimRequest(long Id, string Path, string Body, SimResponse Response);

internal sealed record SimResponse(int Status);

/// <summary>The simulator's inspection API.</summary>
internal sealed class SimulatorClient(Uri baseUrl)
{
    private readonly HttpClient _http = Http.Client();

    public Uri BaseUrl => baseUrl;

    public async Task<SimStats> StatsAsync(CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsyncOrThrow<SimStats>(new Uri(baseUrl, "/_sim/stats"), cancellationToken);

    /// <summary>Forgets the logged requests and callbacks and resets every counter (DELETE /_sim/requests).</summary>
    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync(new Uri(baseUrl, "/_sim/requests"), cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The newest <paramref name="limit"/> send requests (the simulator keeps 1,000), newest first.</summary>
    public async Task<List<SimRequest>> RequestsAsync(int limit, CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsyncOrThrow<List<SimRequest>>(new Uri(baseUrl, $"/_sim/requests?limit={limit}"), cancellationToken);

    public async Task WaitReadyAsync(ChildProcess process, TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        while (time.GetElapsedTime(start) < limit)
        {
            if (process.HasExited)
            {
                throw new BenchException($"herald simulate exited during start; log {process.LogPath}:\n{process.Tail()}");
            }
            try
            {
                await StatsAsync(cancellationToken);
                return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
        throw new BenchException($"herald simulate was not ready within {limit}; log {process.LogPath}:\n{process.Tail()}");
    }
}

internal static class HttpClientJson
{
    public static async Task<T> GetFromJsonAsyncOrThrow<T>(this HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync<T>(stream, Http.Json, cancellationToken)
            ?? throw new BenchException($"GET {uri} answered null");
    }
}
