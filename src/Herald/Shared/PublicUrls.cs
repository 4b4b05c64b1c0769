using Herald.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Herald.Shared;

/// <summary>The URLs Herald gives out: its public base and each provider's callback URL.</summary>
public interface IPublicUrls
{
    /// <summary>The base URL, without a trailing slash.</summary>
    Uri BaseUrl { get; }

    /// <summary>A provider's delivery-report URL: <c>{base}/dlr/{id}/{token}</c>.</summary>
    Uri CallbackUrl(string providerId, string token);
}

internal sealed class PublicUrls(IOptions<HeraldOptions> options, IServer server, IConfiguration configuration, IHostApplicationLifetime lifetime) : IPublicUrls
{
    // The configured base, or the bound address once the server has started: neither changes afterwards, and every delivery
    // report callback asks for its provider's URL, so it is worked out once (the address list is read under a lock).
    private Uri? _settled;
    private CachedCallback? _lastCallback;

    public Uri BaseUrl
    {
        get
        {
            if (_settled is { } settled)
            {
                return settled;
            }
            if (options.Value.PublicBaseUrl is { } configured)
            {
                return _settled = new Uri(configured.ToString().TrimEnd('/'));
            }
            // The bound address; before the server listens, the configured one (never a guess).
            var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            var address = bound
                ?? configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
                ?? HeraldServer.DefaultUrls;
            // A wildcard listen address is not a place anyone can call back to.
            address = address.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://*", "://127.0.0.1", StringComparison.Ordinal);
            var url = new Uri(address.TrimEnd('/'));
            // Kestrel replaces the configured addresses (port 0) with the bound ones while it starts.
            if (bound is not null && lifetime.ApplicationStarted.IsCancellationRequested)
            {
                _settled = url;
            }
            return url;
        }
    }

    public Uri CallbackUrl(string providerId, string token)
    {
        // The last one asked for is usually asked for again (one provider's callbacks in a row).
        if (_lastCallback is { } last && last.ProviderId == providerId && last.Token == token)
        {
            return last.Url;
        }
        var url = new Uri($"{BaseUrl.ToString().TrimEnd('/')}/dlr/{Uri.EscapeDataString(providerId)}/{Uri.EscapeDataString(token)}");
        if (_settled is not null)
        {
            _lastCallback = new CachedCallback(providerId, token, url);
        }
        return url;
    }

    private sealed record CachedCallback(string ProviderId, string Token, Uri Url);
}
