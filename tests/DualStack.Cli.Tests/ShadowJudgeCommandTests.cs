using System.Text;
using DualStack.SampleAgent;
using DualStack.TestUtils;

namespace DualStack.Cli.Tests;

/// <summary>
/// Issue 14: a real `dualstack capture --shadow` process stores the pairs and loads no embedding model; a real
/// `dualstack shadow judge` process over that store finds what the new stack broke and writes a run `report` renders.
/// </summary>
public sealed class ShadowJudgeCommandTests : TempDirectoryTest
{
    [Test]
    public async Task ShadowJudge_StoreFromARealCaptureShadowRun_FindsTheRegressionTheNewStackIntroduced()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill"] });
        var store = Path.Combine(Dir, "captures.db");
        await using (var proxy = await CaptureProcess.StartAsync(Dir, "--old", oldAgent.BaseAddress.AbsoluteUri, "--store", store, "--shadow", newAgent.BaseAddress.AbsoluteUri))
        {
            var turns = 0;
            foreach (var (conversation, message) in new[] { ("c-1", "Where is order 4411?"), ("c-1", "I want a refund for order 4411."), ("c-2", "Hello there!"), ("c-3", "I want a refund for order 4412.") })
            {
                using var response = await proxy.Http.PostAsync($"v1/conversations/{conversation}/turns", new StringContent($$"""{"userId":"u-1","message":"{{message}}"}""", Encoding.UTF8, "application/json"));
                Assert.That(response.IsSuccessStatusCode, Is.True);
                turns++;
            }

            await proxy.WaitForMetricAsync("dualstack_shadow_stored_total", turns);
            var maps = await File.ReadAllTextAsync($"/proc/{proxy.Process.Id}/maps");
            Assert.That(maps, Does.Not.Contain("onnxruntime").IgnoreCase, "the proxy never loads the embedding model by default");
            Assert.That(maps, Does.Not.Contain("SentenceTransformers"));
        }

        var reports = Path.Combine(Dir, "reports");
        var judged = await CliRunner.RunAsync(Dir, "shadow", "judge", "--source", store, "--lexical", "--reports", reports);
        Assert.That(judged.ExitCode, Is.EqualTo(1), judged.ToString());
        Assert.That(judged.Stdout, Does.Contain("judged 4 pair(s) here; 4 of 4 pair(s) in the window judged"));
        var run = Directory.GetDirectories(reports).Single();
        Assert.That(File.Exists(Path.Combine(run, "results.json")) && File.Exists(Path.Combine(run, "index.html")) && Directory.Exists(Path.Combine(run, "allure-results")), Is.True, "a run folder `report` renders");
        var results = await File.ReadAllTextAsync(Path.Combine(run, "results.json"));
        Assert.That(results, Does.Contain("send_email"), "the skill the new stack dropped is named");

        // Nothing left to judge: the second run judges nothing new and reports the same verdicts from the store.
        var again = await CliRunner.RunAsync(Dir, "shadow", "judge", "--source", store, "--lexical", "--reports", Path.Combine(Dir, "reports2"));
        Assert.That(again.ExitCode, Is.EqualTo(1), again.ToString());
        Assert.That(again.Stdout, Does.Contain("judged 0 pair(s) here; 4 of 4 pair(s) in the window judged"));
        var rendered = await CliRunner.RunAsync(Dir, "report", "--run", run);
        Assert.That(rendered.ExitCode, Is.Zero, rendered.ToString());
    }

    [Test]
    public async Task ShadowJudge_Follow_JudgesPairsAsTheyArriveAndWritesTheReportOnInterrupt()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill"] });
        var store = Path.Combine(Dir, "captures.db");
        await using (var proxy = await DualStack.Proxy.ProxyServer.StartAsync(new DualStack.Proxy.ProxyOptions { Old = oldAgent.BaseAddress, StorePath = store, Shadow = newAgent.BaseAddress }))
        {
            // The store exists before the judge starts; the pair arrives while it follows.
            await proxy.FlushAsync(CancellationToken.None);
            var reports = Path.Combine(Dir, "reports");
            await using var judge = DualStackProcess.Start(Dir, "shadow", "judge", "--source", store, "--lexical", "--follow", "--report-seconds", "1", "--reports", reports);
            using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
            using (await http.PostAsync("v1/conversations/c-9/turns", new StringContent("""{"userId":"u-9","message":"I want a refund for order 4411."}""", Encoding.UTF8, "application/json")))
            {
            }

            await judge.WaitForLineAsync(l => l.Contains("regression", StringComparison.Ordinal));
            Assert.That(judge.Output, Does.Contain("conversation c-9 turn 1"), "the live judge prints the regression as it finds it");
            for (var i = 0; i < 600 && !Directory.Exists(reports); i++)
            {
                await Task.Delay(100);
            }

            // Ctrl+C as a service manager sends it.
            await judge.InterruptAsync();
            Assert.That(judge.ExitCode, Is.EqualTo(130), judge.Output);
            Assert.That(Directory.GetFiles(reports, "results.json", SearchOption.AllDirectories), Has.Length.EqualTo(1), "one run folder, rewritten as the judge goes");
        }
    }
}
