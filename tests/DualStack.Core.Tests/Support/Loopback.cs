using System.Net;
using System.Net.Sockets;
using WireMock.Server;
using WireMock.Settings;

namespace DualStack.Core.Tests.Support;

/// <summary>Servers and ports on 127.0.0.1 only.</summary>
internal static class Loopback
{
    /// <summary>A port that was free a moment ago (nothing listens on it once this returns).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A WireMock server on 127.0.0.1, on a port the system assigns when it binds (port 0: no race).</summary>
    public static WireMockServer StartWireMock() => WireMockServer.Start(new WireMockServerSettings
    {
        Urls = ["http://127.0.0.1:0"],
        StartAdminInterface = false,
    });

    /// <summary>A URL on which nothing listens: connecting is refused.</summary>
    public static string ClosedUrl() => $"http://127.0.0.1:{FreePort()}";
}
