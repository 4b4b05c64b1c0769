using System.Net;
using System.Net.Sockets;

namespace Herald.Providers.Tests.Infrastructure;

/// <summary>A loopback port nobody listens on (bound, read, released).</summary>
public static class ClosedPort
{
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
