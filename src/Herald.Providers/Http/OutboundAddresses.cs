using System.Net;
using System.Net.Sockets;

namespace Herald.Providers.Http;

/// <summary>
/// Which addresses an outbound connection (provider, relay, webhook) may reach: public unicast only, unless the
/// operator allows loopback (<c>--allow-insecure-loopback</c>) or allow-lists a network (<c>Herald:Outbound:AllowedHosts</c>).
/// </summary>
public static class OutboundAddresses
{
    private static readonly (IPNetwork Network, string Reason)[] Forbidden =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this network\")"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private (RFC 1918)"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local (cloud metadata)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private (RFC 1918)"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol"),
        (IPNetwork.Parse("192.0.2.0/24"), "a documentation"),
        (IPNetwork.Parse("192.88.99.0/24"), "a 6to4 relay"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private (RFC 1918)"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "a documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "a documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved or broadcast"),
        (IPNetwork.Parse("::/128"), "an unspecified"),
        (IPNetwork.Parse("::1/128"), "a loopback"),
        (IPNetwork.Parse("::/96"), "an IPv4-compatible IPv6"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "a local NAT64"),
        (IPNetwork.Parse("100::/64"), "a discard-only"),
        (IPNetwork.Parse("2001::/23"), "an IETF protocol (Teredo, ORCHID)"),
        (IPNetwork.Parse("2001:db8::/32"), "a documentation"),
        (IPNetwork.Parse("3fff::/20"), "a documentation"),
        (IPNetwork.Parse("fc00::/7"), "a unique-local (private)"),
        (IPNetwork.Parse("fe80::/10"), "a link-local"),
        (IPNetwork.Parse("fec0::/10"), "a site-local"),
        (IPNetwork.Parse("ff00::/8"), "a multicast"),
    ];

    private static readonly IPNetwork Mapped = IPNetwork.Parse("::ffff:0:0/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>
    /// Null when <paramref name="address"/> may be connected to; otherwise what kind of address it is, e.g.
    /// "a loopback". IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
    /// </summary>
    public static string? Refusal(IPAddress address, bool allowLoopback, IReadOnlyList<IPNetwork> allowed)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes()); // the zone does not change what the address is
        }
        foreach (var network in allowed)
        {
            if (network.Contains(address) || (address.IsIPv4MappedToIPv6 && network.Contains(address.MapToIPv4())))
            {
                return null;
            }
        }
        if (Embedded(address) is { } v4)
        {
            return Refusal(v4, allowLoopback, allowed) is { } inner ? $"{inner} (inside the IPv6 address {address})" : null;
        }
        if (allowLoopback && IPAddress.IsLoopback(address))
        {
            return null;
        }
        foreach (var (network, reason) in Forbidden)
        {
            if (network.Contains(address))
            {
                return reason;
            }
        }
        return address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 ? null : "a non-IP";
    }

    /// <summary>The IPv4 address an IPv6 address carries (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16), if any.</summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }
        var bytes = address.GetAddressBytes();
        if (Mapped.Contains(address) || Nat64.Contains(address))
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }
        return SixToFour.Contains(address) ? new IPAddress(bytes.AsSpan(2, 4)) : null;
    }

    /// <summary>Parses one allow-list entry: a CIDR (<c>10.20.0.0/16</c>, <c>fd00::/8</c>) or a single address.</summary>
    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            return false;
        }
        if (IPNetwork.TryParse(value, out network))
        {
            // 10.0.0.1/8 is most likely a typo for an address or for 10.0.0.0/8: say so rather than guess.
            return IPAddress.TryParse(value[..value.IndexOf('/', StringComparison.Ordinal)], out var written) && written.Equals(network.BaseAddress);
        }
        if (IPAddress.TryParse(value.Trim('[', ']'), out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return false;
    }
}
