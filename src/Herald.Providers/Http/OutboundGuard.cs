using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Providers.Http;

/// <summary>Where outbound connections may go (<c>Herald:Outbound</c>; env <c>Herald__Outbound__*</c>).</summary>
public sealed class OutboundOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Outbound";

    /// <summary>
    /// Networks a provider, relay or webhook may reach although they are not public (private, CGNAT, link-local...),
    /// as CIDRs (<c>10.20.0.0/16</c>, <c>fd00:1::/64</c>) or single addresses. One entry per index
    /// (<c>Herald__Outbound__AllowedHosts__0=10.20.0.0/16</c>). Default none.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Whether loopback addresses may be reached. Default false; <c>Herald:Providers:AllowInsecureLoopback</c>
    /// (<c>--allow-insecure-loopback</c>, <c>--sandbox</c>) turns it on for simulators and tests.
    /// </summary>
    public bool AllowLoopback { get; set; }

    /// <summary>The parsed <see cref="AllowedHosts"/> (entries that do not parse are reported at start).</summary>
    public IReadOnlyList<IPNetwork> AllowedNetworks() =>
        AllowedHosts.Select(h => OutboundAddresses.TryParseNetwork(h, out var n) ? n : (IPNetwork?)null).OfType<IPNetwork>().ToList();
}

internal sealed class OutboundOptionsValidator : IValidateOptions<OutboundOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboundOptions options)
    {
        var bad = options.AllowedHosts.Where(h => !OutboundAddresses.TryParseNetwork(h, out _)).ToList();
        return bad.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(bad.Select(h =>
            $"Herald:Outbound:AllowedHosts entry '{h}' is not a network: write a CIDR such as 10.20.0.0/16 (no host bits set) or one address such as 10.20.0.5."));
    }
}

/// <summary>Resolves a host name to the addresses an outbound connection may use (replaceable in tests).</summary>
public interface IOutboundResolver
{
    /// <summary>Every address of <paramref name="host"/>.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

internal sealed class DnsOutboundResolver : IOutboundResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>Thrown when the guard refuses a destination (its reason is logged, never shown).</summary>
public sealed class OutboundRefusedException() : IOException(OutboundGuard.CouldNotConnect);

/// <summary>
/// The one outbound guard: a <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host itself and checks
/// every address it would connect to, so odd spellings and DNS rebinding cannot reach loopback, private or metadata
/// addresses; and the one text callers see when a connection fails.
/// </summary>
public sealed partial class OutboundGuard(IOptionsMonitor<OutboundOptions> options, IOutboundResolver resolver, ILogger<OutboundGuard> logger)
{
    /// <summary>What a caller sees of any connection failure; the reason is in the server log only.</summary>
    public const string CouldNotConnect = "could not connect to the provider";

    /// <summary>Connects to the request's host after checking every address it resolves to.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var port = context.DnsEndPoint.Port;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await resolver.ResolveAsync(host, cancellationToken);
            }
            catch (SocketException ex)
            {
                LogUnresolved(logger, host, ex.SocketErrorCode.ToString());
                throw new OutboundRefusedException();
            }
        }
        var current = options.CurrentValue;
        var allowed = current.AllowedNetworks();
        foreach (var address in addresses)
        {
            // Every address is checked, not only the first: a name that answers a public and a private address
            // would otherwise reach inside on the next attempt.
            if (OutboundAddresses.Refusal(address, current.AllowLoopback, allowed) is { } reason)
            {
                LogRefused(logger, host, port, address.ToString(), reason);
                throw new OutboundRefusedException();
            }
        }
        if (addresses.Length == 0)
        {
            LogUnresolved(logger, host, "no addresses");
            throw new OutboundRefusedException();
        }
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        LogConnectFailed(logger, host, port, last?.SocketErrorCode.ToString() ?? "unknown");
        throw new OutboundRefusedException();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound connection to {Host}:{Port} refused: {Address} is {Reason} address (allow it with Herald:Outbound:AllowedHosts if it is meant to be reached)")]
    private static partial void LogRefused(ILogger logger, string host, int port, string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound connection to {Host} failed: the name did not resolve ({Error})")]
    private static partial void LogUnresolved(ILogger logger, string host, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound connection to {Host}:{Port} failed: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, string error);
}

/// <summary>Replaces every transport error with <see cref="OutboundGuard.CouldNotConnect"/>, logging the detail.</summary>
internal sealed partial class OutboundErrorHandler(ILogger<OutboundGuard> logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.Message != OutboundGuard.CouldNotConnect)
        {
            if (!Refused(ex))
            {
                LogFailed(logger, request.RequestUri?.Host ?? "", ex.HttpRequestError.ToString(), Detail(ex));
            }
            throw new HttpRequestException(ex.HttpRequestError, OutboundGuard.CouldNotConnect);
        }
    }

    private static bool Refused(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is OutboundRefusedException)
            {
                return true;
            }
        }
        return false;
    }

    private static string Detail(Exception ex)
    {
        var parts = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            parts.Add(e.Message);
        }
        return string.Join(" → ", parts);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound request to {Host} failed ({Error}): {Detail}")]
    private static partial void LogFailed(ILogger logger, string host, string error, string detail);
}
