using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace DualStack.Cli.Tests;

public sealed class LogFormatTests
{
    [TestCase("capture", "--old", "http://127.0.0.1:9/")]
    [TestCase("split", "--old", "http://127.0.0.1:9/", "--new", "http://127.0.0.1:9/")]
    public async Task ProxyHost_UnknownLogFormat_ExitsTwoNamingTheAllowedValues(params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("log-format-").FullName;

        var result = await CliRunner.RunAsync(dir, [.. args, "--log-format", "xml"]);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("--log-format: 'xml' is not one of text, json"));
    }

    [Test]
    public async Task Capture_LogFormatJson_WritesEachLogEntryAsOneJsonObjectPerLine()
    {
        var dir = Directory.CreateTempSubdirectory("log-format-").FullName;
        var port = FreePort();
        var closed = FreePort();
        string? entry = null;
        var request = Task.CompletedTask;

        // A forward to a closed port is logged (rate-limited) as a warning: that line must be a JSON object.
        var result = await CliRunner.RunAsync(dir, (process, line) =>
        {
            if (line.StartsWith("capture proxy on", StringComparison.Ordinal))
            {
                request = Task.Run(async () =>
                {
                    using var http = new HttpClient();
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/v1/health"));
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
                });
            }
            else if (line.StartsWith('{') && line.Contains("failing", StringComparison.Ordinal))
            {
                entry = line;
                process.Kill(entireProcessTree: true);
            }
        }, "capture", "--listen", $"http://127.0.0.1:{port}", "--old", $"http://127.0.0.1:{closed}/", "--no-capture", "--log-format", "json");
        await request;

        Assert.That(entry, Is.Not.Null, result.ToString());
        using var json = JsonDocument.Parse(entry!);
        var root = json.RootElement;
        Assert.That(root.GetProperty("LogLevel").GetString(), Is.EqualTo("Warning"));
        Assert.That(DateTimeOffset.TryParse(root.GetProperty("Timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _), Is.True);
        Assert.That(root.GetProperty("Category").GetString(), Is.EqualTo("DualStack.Proxy"));
        Assert.That(root.GetProperty("Message").GetString(), Does.Contain("failing"));
        Assert.That(root.GetProperty("State").GetProperty("Count").GetString(), Is.EqualTo("1"), "the structured values are fields of their own");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
