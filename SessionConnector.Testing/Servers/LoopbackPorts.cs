using System.Net;
using System.Net.Sockets;

namespace SessionConnector.Testing.Servers;

/// <summary>Free loopback ports for the servers the tests start.</summary>
public static class LoopbackPorts
{
    /// <summary>A port the OS just handed out and released: free now, and unlikely to be taken before the server binds it.</summary>
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
