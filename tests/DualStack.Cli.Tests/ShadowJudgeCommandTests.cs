using DualStack.TestUtils;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DualStack.SampleAgent;
using Microsoft.Data.Sqlite;

namespace DualStack.Cli.Tests;

/// <summary>
/// Issue 14: a real `dualstack capture --shadow` process stores the pairs and loads no embedding model; a real
/// `dualstack shadow judge` process over that store finds what the new stack broke and writes a run `report` renders.
/// </summary>
public sealed class ShadowJudgeCommandTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("shadow-judge-cli-").FullName;

    [TearDown]
    public void DeleteDir()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public async Task ShadowJudge_StoreFromARealCaptureShadowRun_FindsTheRegressionTheNewStackIntroduced()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill"] });
        var store = Path.Combine(_dir, "captures.db");
        var port = FreePort();
        using var proxy = StartCli("capture", "--listen", $"http://127.0.0.1:{port}", "--old", oldAgent.BaseAddress.AbsoluteUri, "--store", store, "--shadow", newAgent.BaseAddress.AbsoluteUri);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await WaitUntilUp(http, proxy);
            var turns = 0;
            foreach (var (conversation, message) in new[] { ("c-1", "Where is order 4411?"), ("c-1", "I want a refund for order 4411."), ("c-2", "Hello there!"), ("c-3", "I want a refund for order 4412.") })
            {
                using var response = await http.PostAsync($"v1/conversations/{conversation}/turns", new StringContent($$"""{"userId":"u-1","message":"{{message}}"}""", Encoding.UTF8, "application/json"));
                Assert.That(response.IsSuccessStatusCode, Is.True);
                turns++;
            }

            await WaitForMetric(http, "dualstack_shadow_stored_total", turns);
            var maps = await File.ReadAllTextAsync($"/proc/{proxy.Id}/maps");
            Assert.That(maps, Does.Not.Contain("onnxruntime").IgnoreCase, "the proxy never loads the embedding model by default");
            Assert.That(maps, Does.Not.Contain("SentenceTransformers"));
        }
        finally
        {
            proxy.Kill(entireProcessTree: true);
            await proxy.WaitForExitAsync();
        }

        var reports = Path.Combine(_dir, "reports");
        var judged = await CliRunner.RunAsync(_dir, "shadow", "judge", "--source", store, "--lexical", "--reports", reports);
        Assert.That(judged.ExitCode, Is.EqualTo(1), judged.ToString());
        Assert.That(judged.Stdout, Does.Contain("judged 4 pair(s) here; 4 of 4 pair(s) in the window judged"));
        var run = Directory.GetDirectories(reports).Single();
        Assert.That(File.Exists(Path.Combine(run, "results.json")) && File.Exists(Path.Combine(run, "index.html")) && Directory.Exists(Path.Combine(run, "allure-results")), Is.True, "a run folder `report` renders");
        var results = await File.ReadAllTextAsync(Path.Combine(run, "results.json"));
        Assert.That(results, Does.Contain("send_email"), "the skill the new stack dropped is named");

        // Nothing left to judge: the second run judges nothing new and reports the same verdicts from the store.
        var again = await CliRunner.RunAsync(_dir, "shadow", "judge", "--source", store, "--lexical", "--reports", Path.Combine(_dir, "reports2"));
        Assert.That(again.ExitCode, Is.EqualTo(1), again.ToString());
        Assert.That(again.Stdout, Does.Contain("judged 0 pair(s) here; 4 of 4 pair(s) in the window judged"));
        var rendered = await CliRunner.RunAsync(_dir, "report", "--run", run);
        Assert.That(rendered.ExitCode, Is.Zero, rendered.ToString());
    }

    [Test]
    public async Task ShadowJudge_Follow_JudgesPairsAsTheyArriveAndWritesTheReportOnInterrupt()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill"] });
        var store = Path.Combine(_dir, "captures.db");
        await using (var proxy = await DualStack.Proxy.ProxyServer.StartAsync(new DualStack.Proxy.ProxyOptions { Old = oldAgent.BaseAddress, StorePath = store, Shadow = newAgent.BaseAddress }))
        {
            // The store exists before the judge starts; the pair arrives while it follows.
            await proxy.FlushAsync(CancellationToken.None);
            var reports = Path.Combine(_dir, "reports");
            using var judge = StartCli("shadow", "judge", "--source", store, "--lexical", "--follow", "--report-seconds", "1", "--reports", reports);
            var output = new StringBuilder();
            judge.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            judge.BeginOutputReadLine();
            judge.BeginErrorReadLine();
            using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
            using (await http.PostAsync("v1/conversations/c-9/turns", new StringContent("""{"userId":"u-9","message":"I want a refund for order 4411."}""", Encoding.UTF8, "application/json")))
            {
            }

            for (var i = 0; i < 600 && !Snapshot(output).Contains("regression", StringComparison.Ordinal); i++)
            {
                await Task.Delay(100);
            }

            Assert.That(Snapshot(output), Does.Contain("conversation c-9 turn 1"), "the live judge prints the regression as it finds it");
            for (var i = 0; i < 600 && !Directory.Exists(reports); i++)
            {
                await Task.Delay(100);
            }

            // Ctrl+C as a service manager sends it.
            using (var kill = Process.Start("kill", ["-INT", judge.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await judge.WaitForExitAsync();
            Assert.That(judge.ExitCode, Is.EqualTo(130), Snapshot(output));
            Assert.That(Directory.GetFiles(reports, "results.json", SearchOption.AllDirectories), Has.Length.EqualTo(1), "one run folder, rewritten as the judge goes");
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private Process StartCli(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dualstack.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    private static async Task WaitForMetric(HttpClient http, string name, double atLeast)
    {
        var metrics = string.Empty;
        for (var attempt = 0; attempt < 600; attempt++)
        {
            metrics = await http.GetStringAsync("metrics");
            if (PrometheusText.Parse(metrics).Find(name) >= atLeast)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{name} did not reach {atLeast} within 60 s:\n{metrics}");
    }

    private static async Task WaitUntilUp(HttpClient http, Process process)
    {
        for (var attempt = 0; attempt < 600 && !process.HasExited; attempt++)
        {
            try
            {
                using var response = await http.GetAsync("livez");
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

        Assert.Fail("capture proxy did not start: " + (process.HasExited ? await process.StandardError.ReadToEndAsync() : "timeout"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
