using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Providers.Tests.Infrastructure;

/// <summary>One request as the stub provider saw it on the wire.</summary>
public sealed record StubRequest(
    string Method,
    string Path,
    string RawTarget,
    string QueryString,
    IReadOnlyDictionary<string, string[]> Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] RawBody,
    IReadOnlyDictionary<string, string[]>? Form)
{
    /// <summary>The body as UTF-8 text.</summary>
    public string Body => Encoding.UTF8.GetString(RawBody);

    /// <summary>The values of a header (case-insensitive name), joined with ", "; null when absent.</summary>
    public string? Header(string name)
    {
        var values = Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
        return values.Count == 0 ? null : string.Join(", ", values);
    }

    /// <summary>The decoded form, one value per key (fails when a key repeats).</summary>
    public IReadOnlyDictionary<string, string> FormFields =>
        (Form ?? throw new InvalidOperationException($"The request had no form body (Content-Type {Header("Content-Type") ?? "none"})."))
        .ToDictionary(f => f.Key, f => Assert.Single(f.Value));

    /// <summary>The decoded query string, one value per key (fails when a key repeats).</summary>
    public IReadOnlyDictionary<string, string> QueryFields => Query.ToDictionary(f => f.Key, f => Assert.Single(f.Value));
}

/// <summary>How the stub answers.</summary>
public sealed record StubResponse
{
    public int Status { get; init; } = 200;
    public string Body { get; init; } = "";
    public string? ContentType { get; init; } = "application/json";
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Wait this long before answering anything.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Send the status and headers, then wait this long before writing the body.</summary>
    public TimeSpan BodyDelay { get; init; }

    /// <summary>Promise a longer body than is written, then drop the connection mid-body.</summary>
    public bool AbortMidBody { get; init; }

    public static StubResponse Json(string body, int status = 200) => new() { Status = status, Body = body };

    public static StubResponse Text(string body, int status = 200) => new() { Status = status, Body = body, ContentType = "text/plain; charset=utf-8" };
}

/// <summary>
/// A stand-in SMS provider: a Kestrel app on http://127.0.0.1:0 that records every request's
/// method, path, raw target, query, headers and raw body, and answers as the test programs it.
/// </summary>
public sealed class StubProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<StubRequest> _requests = [];
    private Func<StubRequest, StubResponse> _respond = _ => StubResponse.Json("""{"id":"stub-1"}""");

    private StubProvider(WebApplication app) => _app = app;

    /// <summary>The stub's base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every request received, oldest first.</summary>
    public IReadOnlyList<StubRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The one request received (fails when there were none or several).</summary>
    public StubRequest Only => Assert.Single(Requests);

    /// <summary>An absolute URL on the stub.</summary>
    public string Url(string pathAndQuery = "/sms") => new Uri(BaseUrl, pathAndQuery).ToString();

    public static async Task<StubProvider> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var stub = new StubProvider(app);
        app.Run(stub.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        stub.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return stub;
    }

    /// <summary>Answers every request with <paramref name="response"/>.</summary>
    public void RespondWith(StubResponse response) => RespondWith(_ => response);

    /// <summary>Answers each request with what <paramref name="respond"/> returns for it.</summary>
    public void RespondWith(Func<StubRequest, StubResponse> respond)
    {
        lock (_gate)
        {
            _respond = respond;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var aborted = context.RequestAborted;
        request.EnableBuffering();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, aborted);
        request.Body.Position = 0;
        IReadOnlyDictionary<string, string[]>? form = null;
        if (request.HasFormContentType)
        {
            var read = await request.ReadFormAsync(aborted);
            form = read.ToDictionary(f => f.Key, f => f.Value.Select(v => v ?? "").ToArray());
        }
        var recorded = new StubRequest(
            request.Method,
            request.Path.Value ?? "",
            context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget,
            request.QueryString.Value ?? "",
            request.Query.ToDictionary(q => q.Key, q => q.Value.Select(v => v ?? "").ToArray()),
            request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? ""))).ToList(),
            buffer.ToArray(),
            form);
        Func<StubRequest, StubResponse> respond;
        lock (_gate)
        {
            _requests.Add(recorded);
            respond = _respond;
        }
        var answer = respond(recorded);
        try
        {
            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay, aborted);
            }
            var response = context.Response;
            response.StatusCode = answer.Status;
            if (answer.ContentType is not null)
            {
                response.ContentType = answer.ContentType;
            }
            foreach (var (name, value) in answer.Headers)
            {
                response.Headers[name] = value;
            }
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            if (answer.AbortMidBody)
            {
                response.ContentLength = bytes.Length + 1000;
                await response.Body.WriteAsync(bytes, aborted);
                await response.Body.FlushAsync(aborted);
                await Task.Delay(TimeSpan.FromMilliseconds(50), aborted);
                context.Abort();
                return;
            }
            if (answer.BodyDelay > TimeSpan.Zero)
            {
                response.ContentLength = bytes.Length;
                await response.StartAsync(aborted);
                await response.Body.FlushAsync(aborted);
                await Task.Delay(answer.BodyDelay, aborted);
            }
            await response.Body.WriteAsync(bytes, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // the client gave up (a timeout test): nothing to answer
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
