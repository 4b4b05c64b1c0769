using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Tests.Infrastructure;

/// <summary>A callback answered by <see cref="CallbackReceiver"/>.</summary>
public sealed record ReceivedCallback(
    DateTimeOffset At, string Method, string Path, string? ContentType, string Body, int AnsweredStatus)
{
    public bool WasAccepted => AnsweredStatus is >= 200 and < 300;

    /// <summary>The raw query string, with its leading <c>?</c>, or empty.</summary>
    public string Query { get; init; } = "";

    /// <summary>Request headers (repeated ones joined with <c>,</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The fields the callback carried: the query string (GET), a form body, or a JSON object body
    /// (string values as is, others as raw JSON), whichever applies; names case-sensitive as sent.
    /// </summary>
    public IReadOnlyDictionary<string, string> Fields
    {
        get
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Query.Length > 1)
            {
                foreach (var (name, value) in QueryHelpers.ParseQuery(Query))
                {
                    fields[name] = value.ToString();
                }
            }

            if (Body.Length == 0)
            {
                return fields;
            }

            if (ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
            {
                using var document = JsonDocument.Parse(Body);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    fields[property.Name] = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()!
                        : property.Value.GetRawText();
                }
            }
            else if (ContentType?.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
            {
                foreach (var (name, value) in QueryHelpers.ParseQuery(Body))
                {
                    fields[name] = value.ToString();
                }
            }

            return fields;
        }
    }
}

/// <summary>
/// A tiny Kestrel app on 127.0.0.1:0 standing in for a callback URL (CleverTap's DLR URL, or a Kaleyra
/// <c>callback.url</c>): records every request to <see cref="Url"/> (method, query, headers, body) and
/// answers 200, or a chosen failure status for the next N requests.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<ReceivedCallback> _received = [];
    private int _failuresLeft;
    private int _failureStatus = StatusCodes.Status503ServiceUnavailable;

    private CallbackReceiver(WebApplication app) => _app = app;

    /// <summary>The URL to hand to the simulator as <c>callback_url</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Every request received, oldest first, whatever it was answered.</summary>
    public IReadOnlyList<ReceivedCallback> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>The requests answered 2xx, oldest first.</summary>
    public IReadOnlyList<ReceivedCallback> Accepted => [.. Received.Where(r => r.WasAccepted)];

    public static async Task<CallbackReceiver> StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new CallbackReceiver(app);
        app.Map("/dlr", receiver.HandleAsync);
        await app.StartAsync(ct);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/dlr");
        return receiver;
    }

    /// <summary>Answers the next <paramref name="count"/> requests with <paramref name="status"/> instead of 200.</summary>
    public void FailNext(int count, int status = StatusCodes.Status503ServiceUnavailable)
    {
        lock (_gate)
        {
            _failuresLeft = count;
            _failureStatus = status;
        }
    }

    /// <summary>Polls until at least <paramref name="count"/> requests were answered 2xx; returns them.</summary>
    public async Task<IReadOnlyList<ReceivedCallback>> WaitForAcceptedAsync(int count, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        await Eventually.TrueAsync(() => Accepted.Count >= count, timeout, $"{count} accepted callback(s)", ct);
        return Accepted;
    }

    /// <summary>Polls until at least <paramref name="count"/> requests arrived (whatever they were answered).</summary>
    public async Task<IReadOnlyList<ReceivedCallback>> WaitForReceivedAsync(int count, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        await Eventually.TrueAsync(() => Received.Count >= count, timeout, $"{count} received callback(s)", ct);
        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);

        int status;
        lock (_gate)
        {
            status = _failuresLeft > 0 ? _failureStatus : StatusCodes.Status200OK;
            if (_failuresLeft > 0)
            {
                _failuresLeft--;
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in context.Request.Headers)
            {
                headers[name] = value.ToString();
            }

            _received.Add(new ReceivedCallback(
                TimeProvider.System.GetUtcNow(), context.Request.Method, context.Request.Path, context.Request.ContentType, body, status)
            {
                Query = context.Request.QueryString.ToString(),
                Headers = headers,
            });
        }

        context.Response.StatusCode = status;
    }
}
