using DualStack.TestUtils;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DualStack.Core.Capture;
using DualStack.SampleAgent;
using Microsoft.Data.Sqlite;

namespace DualStack.Cli.Tests;

public sealed class CaptureProcessTests
{
    [Test]
    public async Task Capture_ProxyKilledMidRun_StoreReopensIntactWithAnInOrderPrefixOfTheTraffic()
    {
        var dir = Directory.CreateTempSubdirectory("capture-kill-").FullName;
        var store = Path.Combine(dir, "captures.db");
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "dualstack.dll"), "capture", "--listen", $"http://127.0.0.1:{port}", "--old", agent.BaseAddress.AbsoluteUri, "--store", store })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await WaitUntilUp(http);
            var sent = 0;
            for (var i = 0; i < 120; i++)
            {
                using var response = await http.PostAsync($"v1/conversations/k-{i % 7}/turns", new StringContent($$"""{"userId":"u-{{i % 7}}","message":"Where is order {{4400 + i}}?"}""", Encoding.UTF8, "application/json"));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                sent++;
                if (i == 59)
                {
                    // Mid-run means some batches are on disk and more traffic is in flight when the process dies.
                    await WaitUntilWritten(http);
                }
            }

            process.Kill(entireProcessTree: true); // SIGKILL: no flush, no orderly shutdown
            await process.WaitForExitAsync();

            SqliteConnection.ClearAllPools();
            await using (var check = new SqliteConnection($"Data Source={store};Pooling=false"))
            {
                await check.OpenAsync();
                await using var command = check.CreateCommand();
                command.CommandText = "PRAGMA integrity_check";
                Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("ok"));
            }

            await using var reopened = await SqliteCaptureStore.OpenAsync(store, CancellationToken.None);
            var messages = new List<string>();
            await foreach (var exchange in reopened.ReadAsync(0, null, CancellationToken.None))
            {
                messages.Add(exchange.RequestBody!);
            }

            Assert.That(messages.Count, Is.LessThanOrEqualTo(sent));
            Assert.That(messages.Count, Is.GreaterThan(0), "batches written before the kill survive");
            for (var i = 0; i < messages.Count; i++)
            {
                Assert.That(messages[i], Does.Contain($"order {4400 + i}"), "what survives is the first N exchanges, in order, none torn");
            }

            TestContext.Out.WriteLine($"sent {sent}, survived {messages.Count}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task WaitUntilWritten(HttpClient http)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var metrics = PrometheusText.Parse(await http.GetStringAsync("metrics"));
            if (metrics.Find("dualstack_captures_written_total") > 0)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("no capture batch was written within 30 s");
    }

    private static async Task WaitUntilUp(HttpClient http)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            try
            {
                using var response = await http.GetAsync("healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("capture proxy did not start");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
