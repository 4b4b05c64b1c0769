using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Herald.Tests.Security.BadInput;

/// <summary>What came back: the status (0 when the server closed without answering), its content type, how long it took.</summary>
public sealed record HostileAnswer(int Status, string? ContentType, TimeSpan Elapsed, string Body);

/// <summary>Sends the suite's requests: HttpClient where it can, hand-written HTTP/1.1 where HttpClient would refuse or fix the request.</summary>
internal sealed class HostileSender(Uri baseUrl, HttpClient client, Func<Caller, RouteInfo, IReadOnlyList<KeyValuePair<string, string>>> headers)
{
    /// <summary>System.Uri refuses longer strings.</summary>
    private const int MaxUriLength = 60_000;

    public async Task<HostileAnswer> SendAsync(HostileRequest request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            // Over-limit bodies on their own connection: the server answers 413 and closes it while the client still sends.
            var (status, type, body, answered) = request.Wire == Wire.Http && request.Target.Length < MaxUriLength && (request.Body?.Length ?? 0) < 512 * 1024
                ? await SendHttpAsync(request, started, timeout.Token)
                : await SendRawAsync(request, started, timeout.Token);
            return new HostileAnswer(status, type, answered, body);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new HostileAnswer(-1, null, Stopwatch.GetElapsedTime(started), "no answer within 20 s");
        }
        catch (HttpRequestException ex)
        {
            return new HostileAnswer(0, null, Stopwatch.GetElapsedTime(started), ex.Message);
        }
    }

    // The time to the answer's status line and headers: how long Herald took, not how long a large body (the API reference's
    // script) takes to download on a busy machine.
    private async Task<(int, string?, string, TimeSpan)> SendHttpAsync(HostileRequest request, long started, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(baseUrl.GetLeftPart(UriPartial.Authority) + request.Target));
        foreach (var (name, value) in headers(request.Caller, request.Route))
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        if (request.Body is not null || request.ContentType is not null)
        {
            message.Content = new ByteArrayContent(request.Body ?? []);
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }
        using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
        var answered = Stopwatch.GetElapsedTime(started);
        var text = await response.Content.ReadAsStringAsync(ct);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text.Length > 600 ? text[..600] : text, answered);
    }

    private async Task<(int, string?, string, TimeSpan)> SendRawAsync(HostileRequest request, long started, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUrl.Host, baseUrl.Port, ct);
        var stream = tcp.GetStream();
        var head = new StringBuilder();
        head.Append(request.Method).Append(' ');
        var target = request.RawTarget ?? Encoding.UTF8.GetBytes(request.Target);
        var lines = new StringBuilder();
        lines.Append(" HTTP/1.1\r\nHost: ").Append(baseUrl.Authority).Append("\r\nConnection: close\r\n");
        foreach (var (name, value) in headers(request.Caller, request.Route))
        {
            lines.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (request.ContentType is not null)
        {
            lines.Append("Content-Type: ").Append(request.ContentType).Append("\r\n");
        }
        var body = request.Body ?? [];
        switch (request.Wire)
        {
            case Wire.TruncatedBody:
                lines.Append("Content-Length: ").Append(body.Length + 1000).Append("\r\n\r\n");
                break;
            case Wire.BrokenChunks:
                lines.Append("Transfer-Encoding: chunked\r\n\r\n");
                body = [.. "zz\r\n"u8, .. body, .. "\r\n0\r\n\r\n"u8];
                break;
            default:
                lines.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
                break;
        }
        byte[] bytes = [.. Encoding.ASCII.GetBytes(head.ToString()), .. target, .. Encoding.UTF8.GetBytes(lines.ToString()), .. body];
        try
        {
            await stream.WriteAsync(bytes, ct);
            if (request.Wire == Wire.TruncatedBody)
            {
                tcp.Client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (IOException)
        {
            // The server may answer (414, 431) and close before it has read everything: read what it said.
        }
        var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        TimeSpan? answered = null;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                answered ??= Stopwatch.GetElapsedTime(started);
                answer.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (answer.Length > 0)
        {
            // reset after the answer
        }
        catch (IOException)
        {
            return (0, null, "connection reset without an answer", Stopwatch.GetElapsedTime(started));
        }
        var text = Encoding.UTF8.GetString(answer.ToArray());
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || text.Length < 12)
        {
            return (0, null, "connection closed without an answer", Stopwatch.GetElapsedTime(started));
        }
        var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headerText = headerEnd < 0 ? text : text[..headerEnd];
        var contentType = headerText.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?[13..].Trim();
        var mediaType = contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType : contentType;
        var content = headerEnd < 0 ? "" : text[(headerEnd + 4)..];
        return (status, mediaType, content.Length > 600 ? content[..600] : content, answered ?? Stopwatch.GetElapsedTime(started));
    }
}
