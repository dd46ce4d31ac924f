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

/// <summary>A test class with one WireMock server on 127.0.0.1 for all its tests, its mappings cleared before each.</summary>
public abstract class WireMockTest
{
    /// <summary>The class's server.</summary>
    protected WireMockServer Server { get; private set; } = null!;

    [OneTimeSetUp]
    public void StartServer() => Server = WireMockLoopback.Start();

    [OneTimeTearDown]
    public void StopServer()
    {
        Server.Stop();
        Server.Dispose();
    }

    [SetUp]
    public void ResetServer() => Server.Reset();
}
