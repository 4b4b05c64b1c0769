using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Connect;

/// <summary>One send request as the stub Kaleyra received it.</summary>
public sealed record KaleyraRequest(string Path, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Form)
{
    /// <summary>The <c>callback.url</c> Herald asked Kaleyra to call.</summary>
    public string CallbackUrl => JsonNode.Parse(Form["callback"])!["url"]!.GetValue<string>();
}

/// <summary>
/// A programmable Kaleyra API on a free loopback port: <c>POST /v1/{sid}/sms|messages</c> records the request and
/// answers with <see cref="Answer"/> (default: Kaleyra's documented 200), and it can make Kaleyra's callbacks.
/// </summary>
public sealed class StubKaleyra : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<KaleyraRequest> _requests = new();
    private int _count;

    private StubKaleyra(WebApplication app)
    {
        _app = app;
        BaseUrl = new Uri(app.Urls.First());
        Client = TestHttp.Create(BaseUrl);
    }

    public Uri BaseUrl { get; }
    public string HostPort => BaseUrl.Authority;
    public HttpClient Client { get; }
    public IReadOnlyList<KaleyraRequest> Requests => [.. _requests];

    /// <summary>What to answer: status and JSON body for a request (its number from 1 and form).</summary>
    public Func<int, IReadOnlyDictionary<string, string>, Task<(int Status, string Body)>> Answer { get; set; } = (n, form) =>
        Task.FromResult((200, new JsonObject
        {
            ["id"] = $"kid{n}",
            ["sender"] = "KLRHXA",
            ["type"] = "OTP",
            ["body"] = "..",
            ["createdDateTime"] = "2025-01-01 10:00:00+00:00",
            ["totalCount"] = 1,
            ["data"] = new JsonArray(new JsonObject { ["message_id"] = $"kid{n}:1", ["recipient"] = form["to"].TrimStart('+') }),
            ["dlrurl"] = null,
            ["error"] = new JsonObject(),
        }.ToJsonString()));

    public static async Task<StubKaleyra> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        StubKaleyra? stub = null;
        app.MapPost("/v1/{sid}/{endpoint}", async (HttpContext context) =>
        {
            var form = (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            stub!._requests.Enqueue(new KaleyraRequest(context.Request.Path.Value!, headers, form));
            var (status, body) = await stub.Answer(Interlocked.Increment(ref stub._count), form);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        stub = new StubKaleyra(app);
        return stub;
    }

    /// <summary>Makes a Kaleyra callback for <paramref name="request"/> (POST form, as Kaleyra does by default); returns Herald's answer.</summary>
    public async Task<HttpResponseMessage> CallbackAsync(KaleyraRequest request, string status, string details, int n = 1, string? deliveredAt = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["id"] = $"kid{n}:1",
            ["mobile"] = request.Form["to"].TrimStart('+'),
            ["status"] = status,
            ["status_details"] = details,
            ["ref"] = request.Form["ref"],
        };
        if (request.Form.TryGetValue("ref1", out var ref1))
        {
            fields["ref1"] = ref1;
        }
        if (deliveredAt is not null)
        {
            fields["delivered_at"] = deliveredAt;
        }
        return await Client.PostAsync(request.CallbackUrl, new FormUrlEncodedContent(fields));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One POST the CleverTap stand-in received, and what it answered.</summary>
public sealed record CleverTapPost(string Body, int Answered)
{
    public JsonArray Groups => JsonNode.Parse(Body)!.AsArray();

    /// <summary>Every (event, record) in the POST.</summary>
    public IEnumerable<(string Event, JsonObject Record)> Records =>
        Groups.SelectMany(g => g!["data"]!.AsArray().Select(d => (g["event"]!.GetValue<string>(), d!.AsObject())));
}

/// <summary>
/// CleverTap's callback URL stand-in on a free loopback port: records every POST body and answers 200, or
/// <see cref="FailNext"/> statuses first, or waits on <see cref="Hold"/>.
/// </summary>
public sealed class CleverTapReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CleverTapPost> _posts = new();
    private readonly ConcurrentQueue<int> _failures = new();
    private ReceiverGate? _hold;

    private CleverTapReceiver(WebApplication app)
    {
        _app = app;
        Url = app.Urls.First().TrimEnd('/') + "/a1/sms/dlr/kaleyra";
    }

    /// <summary>The callback URL to give as <c>callback_url</c>.</summary>
    public string Url { get; }
    public IReadOnlyList<CleverTapPost> Posts => [.. _posts];
    public IReadOnlyList<CleverTapPost> Accepted => [.. _posts.Where(p => p.Answered == 200)];

    /// <summary>Answer the next requests with these statuses (in order) before answering 200 again.</summary>
    public void FailNext(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            _failures.Enqueue(status);
        }
    }

    /// <summary>Answers 503 to everything until <see cref="Recover"/>.</summary>
    public bool Down { get; set; }

    /// <summary>The next request waits (after signalling <see cref="ReceiverGate.Arrived"/>) until the gate is released.</summary>
    public ReceiverGate Hold() => _hold = new ReceiverGate();

    /// <param name="urls">Where to listen; default a free loopback port (the upgrade test listens where an old relay goes).</param>
    public static async Task<CleverTapReceiver> StartAsync(string urls = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        CleverTapReceiver? receiver = null;
        app.MapPost("/a1/sms/dlr/kaleyra", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Exchange(ref receiver!._hold, null) is { } hold)
            {
                hold.Arrived.TrySetResult();
                await hold.Released.Task;
            }
            var status = receiver.Down ? 503 : receiver._failures.TryDequeue(out var failure) ? failure : 200;
            receiver._posts.Enqueue(new CleverTapPost(body, status));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var count = JsonNode.Parse(body)!.AsArray().Sum(g => g!["data"]!.AsArray().Count);
            await context.Response.WriteAsync(status == 200 ? $$"""{"status":"success","processed":{{count}},"unprocessed":[]}""" : """{"status":"fail"}""");
        });
        await app.StartAsync();
        receiver = new CleverTapReceiver(app);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        _hold?.Released.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Holds one request of <see cref="CleverTapReceiver"/>.</summary>
public sealed class ReceiverGate
{
    public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
