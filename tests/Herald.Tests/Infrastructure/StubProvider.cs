using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Infrastructure;

/// <summary>A programmable HTTP provider on a free loopback port.</summary>
public sealed class StubProvider : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubProvider(WebApplication app)
    {
        _app = app;
        Url = new Uri(app.Urls.First().TrimEnd('/') + "/send");
    }

    public Uri Url { get; }

    public static async Task<StubProvider> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHttpClient();
        var app = builder.Build();
        app.Map("/send", handler);
        await app.StartAsync();
        return new StubProvider(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
