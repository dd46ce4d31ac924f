using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DualStack.TestUtils;

/// <summary>
/// Ports on 127.0.0.1 for tests. Servers in this process bind port 0 and read the port back; nothing here hands out a
/// port that "was free a moment ago" for a port-0 server to take.
/// </summary>
public static class Loopback
{
    /// <summary>
    /// A port for a child process that cannot bind port 0 and report it (PostgreSQL, the OpenClaw gateway). It lies
    /// below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>), where port-0 binds never
    /// land, so no loopback server of the tests can take it between this call and the child's bind; it was free when
    /// checked. Another process asking for the same explicit port can still win it: callers retry on "address in use".
    /// </summary>
    public static int PortForChildProcess()
    {
        var low = EphemeralLow();
        // 10,000 ports under the ephemeral range, above the well-known and registered services most machines run.
        var first = Math.Max(1024, low - 10_000);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(first, low);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
            }
        }

        throw new InvalidOperationException($"no free port found in {first}–{low - 1} on 127.0.0.1");
    }

    private static int EphemeralLow()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(range)
            && File.ReadAllText(range).Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries) is [var low, ..]
            && int.TryParse(low, CultureInfo.InvariantCulture, out var value)
            && value > 2048)
        {
            return value;
        }

        return 32768; // Linux's default
    }
}

/// <summary>
/// A loopback address on which nothing listens, held for the fixture's lifetime: the port is bound without listening,
/// so connections are refused at once and no other server can bind it meanwhile (unlike a port probed and released).
/// </summary>
public sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Binds a port on 127.0.0.1 (port 0: the system chooses) without listening.</summary>
    public ClosedPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        Url = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>The bound port.</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Url { get; }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}
