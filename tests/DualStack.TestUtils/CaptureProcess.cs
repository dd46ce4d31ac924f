using System.Globalization;
using NUnit.Framework;

namespace DualStack.TestUtils;

/// <summary>
/// A real <c>dualstack capture</c> process on 127.0.0.1 port 0: it prints the address it bound
/// (<c>capture proxy on URL</c>) once it listens, and <see cref="Http"/> talks to it there. Killed on dispose.
/// </summary>
public sealed class CaptureProcess : IAsyncDisposable
{
    private const string Banner = "capture proxy on ";

    private CaptureProcess(DualStackProcess process, Uri baseAddress)
    {
        Process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress };
    }

    /// <summary>The process (output, id, kill).</summary>
    public DualStackProcess Process { get; }

    /// <summary>The bound address, ending in <c>/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client with <see cref="BaseAddress"/> set.</summary>
    public HttpClient Http { get; }

    /// <summary>Runs <c>dualstack capture --listen http://127.0.0.1:0 ARGS</c> and waits until it listens.</summary>
    public static async Task<CaptureProcess> StartAsync(string workingDirectory, params string[] args)
    {
        var process = DualStackProcess.Start(workingDirectory, ["capture", "--listen", "http://127.0.0.1:0", .. args]);
        try
        {
            var banner = await process.WaitForLineAsync(l => l.StartsWith(Banner, StringComparison.Ordinal), TimeSpan.FromSeconds(120));
            return new CaptureProcess(process, new Uri(banner[Banner.Length..].Split(' ')[0]));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>A label-less sample's value on <c>/metrics</c> text (read by the strict exposition parser), 0 when absent.</summary>
    public static double Metric(string metrics, string name) => PrometheusText.Parse(metrics).Find(name) ?? 0;

    /// <summary>Polls <c>/metrics</c> until <paramref name="done"/> accepts it; fails the test after 60 s, showing the last.</summary>
    public async Task WaitForMetricsAsync(Func<string, bool> done, string what)
    {
        var metrics = string.Empty;
        for (var attempt = 0; attempt < 600; attempt++)
        {
            metrics = await Http.GetStringAsync("metrics");
            if (done(metrics))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{what} not reached within 60 s:\n{metrics}");
    }

    /// <summary>Polls <c>/metrics</c> until <paramref name="name"/> is at least <paramref name="atLeast"/>.</summary>
    public Task WaitForMetricAsync(string name, double atLeast) =>
        WaitForMetricsAsync(m => Metric(m, name) >= atLeast, $"{name} ≥ {atLeast.ToString(CultureInfo.InvariantCulture)}");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync();
    }
}
