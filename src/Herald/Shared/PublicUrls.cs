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

internal sealed class PublicUrls(IOptions<HeraldOptions> options, IServer server, IConfiguration configuration) : IPublicUrls
{
    public Uri BaseUrl
    {
        get
        {
            if (options.Value.PublicBaseUrl is { } configured)
            {
                return new Uri(configured.ToString().TrimEnd('/'));
            }
            // The bound address; before the server listens, the configured one (never a guess).
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
                ?? HeraldServer.DefaultUrls;
            // A wildcard listen address is not a place anyone can call back to.
            address = address.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://*", "://127.0.0.1", StringComparison.Ordinal);
            return new Uri(address.TrimEnd('/'));
        }
    }

    public Uri CallbackUrl(string providerId, string token) =>
        new($"{BaseUrl.ToString().TrimEnd('/')}/dlr/{Uri.EscapeDataString(providerId)}/{Uri.EscapeDataString(token)}");
}
