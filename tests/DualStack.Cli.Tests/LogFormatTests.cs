using System.Net;
using System.Text.Json;
using DualStack.TestUtils;

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
        using var closed = new ClosedPort();

        // A forward to a closed port is logged (rate-limited) as a warning: that line must be a JSON object.
        await using var proxy = await CaptureProcess.StartAsync(dir, "--old", closed.Url.AbsoluteUri, "--no-capture", "--log-format", "json");
        using (var response = await proxy.Http.GetAsync("v1/health"))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        }

        var entry = await proxy.Process.WaitForLineAsync(l => l.StartsWith('{') && l.Contains("failing", StringComparison.Ordinal));

        using var json = JsonDocument.Parse(entry);
        var root = json.RootElement;
        Assert.That(root.GetProperty("LogLevel").GetString(), Is.EqualTo("Warning"));
        Assert.That(DateTimeOffset.TryParse(root.GetProperty("Timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _), Is.True);
        Assert.That(root.GetProperty("Category").GetString(), Is.EqualTo("DualStack.Proxy"));
        Assert.That(root.GetProperty("Message").GetString(), Does.Contain("failing"));
        Assert.That(root.GetProperty("State").GetProperty("Count").GetString(), Is.EqualTo("1"), "the structured values are fields of their own");
    }
}
