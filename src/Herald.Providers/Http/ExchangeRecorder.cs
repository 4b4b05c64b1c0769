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

    /// <summary>
    /// The request as it will be sent, masked. The URL is masked now; the headers and body are read now (the request is
    /// disposed after the send) and masked when first read, which for most accepted sends is never.
    /// </summary>
    public async Task<ExchangeRequest> DescribeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = RawHeaders(request.Headers, request.Content?.Headers);
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        // AbsoluteUri is the URL as it goes on the wire; ToString() unescapes spaces and non-ASCII,
        // which would hide an escaped secret from Mask.
        return new ExchangeRequest(request.Method.Method, Mask(request.RequestUri!.AbsoluteUri), () => (MaskHeaders(headers), body is null ? null : Mask(body)));
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
            var headers = RawHeaders(response.Headers, response.Content.Headers);
            var exchange = new HttpExchange(described, new ExchangeResponse((int)response.StatusCode, truncated, () => (MaskHeaders(headers), Mask(body))),
                watch.ElapsedMilliseconds, null);
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

    /// <summary>
    /// The headers as they are (or were) on the wire, without parsing them: the validating enumerator parses every value under
    /// a lock, which was a visible share of a send's CPU.
    /// </summary>
    private static List<KeyValuePair<string, string>> RawHeaders(HttpHeaders first, HttpHeaders? second)
    {
        var headers = new List<KeyValuePair<string, string>>();
        Add(headers, first);
        if (second is not null)
        {
            Add(headers, second);
        }
        return headers;

        static void Add(List<KeyValuePair<string, string>> headers, HttpHeaders source)
        {
            foreach (var (name, values) in source.NonValidated)
            {
                foreach (var value in values)
                {
                    headers.Add(new(name, value));
                }
            }
        }
    }

    private List<KeyValuePair<string, string>> MaskHeaders(List<KeyValuePair<string, string>> headers)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            headers[i] = new(headers[i].Key, MaskHeader(headers[i].Key, headers[i].Value));
        }
        return headers;
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
