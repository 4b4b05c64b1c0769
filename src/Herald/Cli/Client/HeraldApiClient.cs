using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Cli.Client;

/// <summary>A small client for Herald's API v1, over an <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/>.</summary>
internal sealed class HeraldApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services;
    private readonly HttpClient _http;
    private readonly ClientSettings _settings;

    public HeraldApiClient(ClientSettings settings)
    {
        _settings = settings;
        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        _http = _services.GetRequiredService<IHttpClientFactory>().CreateClient();
        _http.BaseAddress = new Uri(settings.Server.ToString().TrimEnd('/') + "/");
        _http.Timeout = RequestTimeout;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("herald-cli", "1"));
        if (settings.ApiKey is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        }
    }

    public Uri Server => _settings.Server;

    public Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, null, cancellationToken);

    public Task<JsonNode?> PostAsync(string path, JsonNode? body, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? headers = null) =>
        SendAsync(HttpMethod.Post, path, body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), headers, cancellationToken);

    /// <summary>Posts a file as the body (streamed, not read into memory), e.g. a CSV as text/csv.</summary>
    public Task<JsonNode?> PostStreamAsync(string path, Stream body, string contentType, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, new StreamContent(body) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType) } }, null, cancellationToken);

    public Task<JsonNode?> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, null, cancellationToken);

    /// <summary>GETs a text answer as it is (e.g. a CSV export); an error answer is thrown like the JSON calls'.</summary>
    public Task<string> GetTextAsync(string path, CancellationToken cancellationToken) =>
        ExchangeAsync(HttpMethod.Get, path, null, null, cancellationToken);

    /// <summary>Escapes one path segment.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>A query string from the values that are set.</summary>
    public static string Query(params (string Name, string? Value)[] values)
    {
        var set = values.Where(v => !string.IsNullOrEmpty(v.Value)).Select(v => $"{v.Name}={Uri.EscapeDataString(v.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join('&', set);
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, HttpContent? content, IReadOnlyDictionary<string, string>? headers,
        CancellationToken cancellationToken)
    {
        var text = await ExchangeAsync(method, path, content, headers, cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw new CliException(ExitCodes.Usage, $"{Server} answered with something that is not JSON: is it Herald?");
        }
    }

    /// <summary>Sends the request; the answer's text on success, otherwise the problem it describes as an <see cref="ApiException"/>.</summary>
    private async Task<string> ExchangeAsync(HttpMethod method, string path, HttpContent? content, IReadOnlyDictionary<string, string>? headers,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException socket ? socket.Message : ex.Message;
            throw new CliException(ExitCodes.Usage, $"cannot reach Herald at {Server}: {reason}. Is `herald serve` running? (--server or HERALD_URL says where it is)");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Usage, $"Herald at {Server} did not answer within {RequestTimeout.TotalSeconds:0} s.");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return text;
            }
            JsonNode? json = null;
            if (!string.IsNullOrWhiteSpace(text))
            {
                try
                {
                    json = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    json = null;
                }
            }
            throw Problem(response.StatusCode, json, text);
        }
    }

    private ApiException Problem(HttpStatusCode status, JsonNode? json, string text)
    {
        var details = new List<string>();
        string message;
        if (json is JsonObject problem && (problem["detail"] is not null || problem["title"] is not null))
        {
            message = Json.Str(problem, "detail") ?? Json.Str(problem, "title") ?? $"Herald answered {(int)status}.";
            if (problem["errors"] is JsonObject errors)
            {
                foreach (var (field, messages) in errors)
                {
                    foreach (var item in messages as JsonArray ?? [])
                    {
                        var line = $"{field}: {item?.GetValue<string>()}";
                        if (!message.Contains(item?.GetValue<string>() ?? "\u0000", StringComparison.Ordinal))
                        {
                            details.Add(line);
                        }
                    }
                }
            }
        }
        else
        {
            var snippet = text.Length > 300 ? text[..300] + "…" : text;
            message = $"Herald answered {(int)status} {status}{(string.IsNullOrWhiteSpace(snippet) ? "." : ": " + snippet)}";
        }
        if (status == HttpStatusCode.Unauthorized)
        {
            details.Add(_settings.ApiKey is null
                ? "No API key was given: pass --api-key, set HERALD_API_KEY, or run where data/api-key is (the key `herald serve` printed on its first start)."
                : $"The key came from {_settings.ApiKeySource}.");
        }
        return new ApiException((int)status, message, details, json);
    }

    public void Dispose()
    {
        _http.Dispose();
        _services.Dispose();
    }
}
