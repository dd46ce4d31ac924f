using WireMock.Server;
using WireMock.Settings;

namespace DualStack.Core.Tests.Support;

/// <summary>WireMock servers on 127.0.0.1 only.</summary>
internal static class WireMockLoopback
{
    /// <summary>A WireMock server on 127.0.0.1, on a port the system assigns when it binds (port 0: no race).</summary>
    public static WireMockServer Start() => WireMockServer.Start(new WireMockServerSettings
    {
        Urls = ["http://127.0.0.1:0"],
        StartAdminInterface = false,
    });
}
