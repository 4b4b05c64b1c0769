using System.Diagnostics;
using System.Net.Http.Headers;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Http;

/// <summary>
/// Sends one request and keeps what people need to see of it: the request as sent with every
/// secret masked, and the answer with its body cut at 64 KiB.
/// </summary>
public sealed class ExchangeRecorder
{
    /// <summary>The largest response body kept.</summary>
    public const int MaxBody = 64 * 1024;

    private readonly List<string> _secrets = [];
    private string[]? _longestFirst;

    /// <summary>Adds a value that must never be shown (a password, an api key).</summary>
    public void AddSecret(string? secret)
    {
        if (!string.IsNullOrEmpty(secret) && secret.Length >= 3 && secret != Secrets.Mask)
        {
            _secrets.Add(secret);
            _secrets.Add(Uri.EscapeDataString(secret));
            // FormUrlEncodedContent writes spaces as '+' and escapes the rest like EscapeDataString
            _secrets.Add(Uri.EscapeDataString(secret).Replace("%20", "+", StringComparison.Ordinal));
            _secrets.Add(System.Net.WebUtility.UrlEncode(secret));
            _secrets.Add(System.Text.Json.JsonEncodedText.Encode(secret).ToString());
            _longestFirst = null;
        }
    }

    /// <summary>Replaces every known secret in <paramref name="text"/> with <c>****</c>.</summary>
    public string Mask(string text)
    {
        _longestFirst ??= _secrets.Distinct().OrderByDescending(s => s.Length).ToArray();
        foreach (var secret in _longestFirst)
        {
            text = text.Replace(secret, Secrets.Mask, StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>The request as it will be sent, masked.</summary>
    public async Task<ExchangeRequest> DescribeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
        {
            foreach (var value in values)
            {
                headers.Add(new(name, MaskHeader(name, value)));
            }
        }
        var body = request.Content is null ? null : Mask(await request.Content.ReadAsStringAsync(cancellationToken));
        // AbsoluteUri is the URL as it goes on the wire; ToString() unescapes spaces and non-ASCII,
        // which would hide an escaped secret from Mask.
        return new ExchangeRequest(request.Method.Method, Mask(request.RequestUri!.AbsoluteUri), headers, body);
    }

    /// <summary>Sends <paramref name="request"/> and returns the answer with the exchange.</summary>
    public async Task<(HttpResponseMessage? Response, string Body, HttpExchange Exchange, Exception? Error)> SendAsync(
        HttpClient client, HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var described = await DescribeAsync(request, cancellationToken);
        var watch = Stopwatch.StartNew();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        HttpResponseMessage? response = null;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            var (body, truncated) = await ReadBodyAsync(response.Content, timeoutSource.Token);
            var headers = response.Headers.Concat(response.Content.Headers)
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, MaskHeader(h.Key, v)))).ToList();
            var exchange = new HttpExchange(described, new ExchangeResponse((int)response.StatusCode, headers, Mask(body), truncated), watch.ElapsedMilliseconds, null);
            return (response, body, exchange, null);
        }
        // IOException: the connection dropped while the body was being read (HttpIOException is not an HttpRequestException).
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            var error = ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.#} s (timeout)"
                : response is null ? OutboundGuard.CouldNotConnect
                : $"the connection failed while reading the HTTP {(int)response.StatusCode} answer: {ex.Message}";
            return (null, "", new HttpExchange(described, null, watch.ElapsedMilliseconds, Mask(error)), ex);
        }
    }

    private string MaskHeader(string name, string value)
    {
        if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
        {
            var space = value.IndexOf(' ', StringComparison.Ordinal);
            return space > 0 ? value[..space] + " " + Secrets.Mask : Secrets.Mask;
        }
        return Secrets.IsSecretKey(name) ? Secrets.Mask : Mask(value);
    }

    private static async Task<(string Body, bool Truncated)> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(MaxBody + 1);
        try
        {
            var read = 0;
            int n;
            while (read <= MaxBody && (n = await stream.ReadAsync(buffer.AsMemory(read, MaxBody + 1 - read), cancellationToken)) > 0)
            {
                read += n;
            }
            var truncated = read > MaxBody;
            var encoding = EncodingOf(content.Headers.ContentType);
            return (encoding.GetString(buffer, 0, Math.Min(read, MaxBody)), truncated);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static System.Text.Encoding EncodingOf(MediaTypeHeaderValue? contentType)
    {
        try
        {
            return contentType?.CharSet is { Length: > 0 } charset ? System.Text.Encoding.GetEncoding(charset.Trim('"')) : System.Text.Encoding.UTF8;
        }
        catch (ArgumentException)
        {
            return System.Text.Encoding.UTF8;
        }
    }
}
