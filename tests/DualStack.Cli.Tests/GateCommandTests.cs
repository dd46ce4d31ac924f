using System.Text;
using DualStack.Proxy;
using DualStack.SampleAgent;

namespace DualStack.Cli.Tests;

public sealed class GateCommandTests
{
    private const string Token = "gate-token-7";

    [Test]
    public async Task Gate_PromotedSplitWithTrafficOnNew_PassesAndAFailingItemFailsTheGate()
    {
        var dir = Directory.CreateTempSubdirectory("gate-").FullName;
        await using var old = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var @new = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = old.BaseAddress, New = @new.BaseAddress, Split = new SplitSettings { InitialPercent = 100, AdminToken = Token } });
        using (var http = new HttpClient { BaseAddress = proxy.BaseAddress })
        {
            for (var i = 0; i < 20; i++)
            {
                using var turn = await http.PostAsync($"v1/conversations/g-{i}/turns", new StringContent($$"""{"userId":"u-{{i}}","message":"Please remember that I prefer email."}""", Encoding.UTF8, "application/json"));
                Assert.That(turn.IsSuccessStatusCode, Is.True);
            }

            using var webhook = await http.PostAsync("v1/webhooks/payment", new StringContent("""{"conversationId":"g-1"}""", Encoding.UTF8, "application/json"));
            Assert.That(webhook.IsSuccessStatusCode, Is.True);
        }

        File.WriteAllText(Path.Combine(dir, "token"), Token);
        string Config(int requiredSeconds) => $$"""
            {
              "proxyUrl": "{{proxy.BaseAddress}}",
              "oldStackUrl": "{{old.BaseAddress}}",
              "newStackUrl": "{{@new.BaseAddress}}",
              "requiredAtFullSeconds": {{requiredSeconds}},
              "baselineErrorRate": 0.01,
              "baselineP95Ms": 1000,
              "windowStart": "2026-01-01T00:00:00Z",
              "dns": { "name": "localhost", "expectedAddresses": [ "127.0.0.1" ] }
            }
            """;
        File.WriteAllText(Path.Combine(dir, "pass.json"), Config(0));
        File.WriteAllText(Path.Combine(dir, "fail.json"), Config(86400));
        try
        {
            var pass = await CliRunner.RunAsync(dir, "gate", "--config", "pass.json", "--token-file", "token");
            var fail = await CliRunner.RunAsync(dir, "gate", "--config", "fail.json", "--token-file", "token");

            Assert.That(pass.ExitCode, Is.Zero, pass.ToString());
            Assert.That(pass.Stdout, Does.Contain("cutover gate: PASS"));
            Assert.That(pass.Stdout, Does.Contain("webhooks").IgnoreCase);
            Assert.That(fail.ExitCode, Is.EqualTo(1), fail.ToString());
            Assert.That(fail.Stdout, Does.Contain("FAIL"));
            Assert.That(pass.Stdout + pass.Stderr + fail.Stdout + fail.Stderr, Does.Not.Contain(Token), "the token is never printed");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Gate_UnknownVerificationFailOn_ExitsTwoNamingFileFieldAndValue()
    {
        var dir = Directory.CreateTempSubdirectory("gate-failon-").FullName;
        File.WriteAllText(Path.Combine(dir, "cutover.json"), """
            { "proxyUrl": "http://127.0.0.1:9", "oldStackUrl": "http://127.0.0.1:9", "newStackUrl": "http://127.0.0.1:9", "windowStart": "2026-12-01T00:00:00Z",
              "verification": { "results": "run/results.json", "failOn": "severe" } }
            """);
        try
        {
            var result = await CliRunner.RunAsync(dir, "gate", "--config", "cutover.json", "--token-env", "NO_SUCH_TOKEN_VAR");

            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Stderr, Does.Contain("cutover.json: verification.failOn: 'severe' is not one of minor, major, critical"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Gate_MalformedConfig_ExitsTwoNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("gate-bad-").FullName;
        File.WriteAllText(Path.Combine(dir, "bad.json"), """{ "proxyUrl": "not a url", "requiredAtFullSeconds": -1 }""");
        try
        {
            var result = await CliRunner.RunAsync(dir, "gate", "--config", "bad.json", "--token-env", "NO_SUCH_TOKEN_VAR");

            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Stderr, Does.Contain("bad.json"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task GateSimulate_TenPointsWorseAndAaRamps_PrintsRollbackProbabilityAndTimeToDecision()
    {
        var dir = Directory.CreateTempSubdirectory("gate-sim-").FullName;
        var ramp = Path.Combine(CliRunner.RepoRoot, "scenarios", "ramp.json");

        var bad = await CliRunner.RunAsync(dir, "gate", "simulate", "--config", ramp, "--old-errors", "0.01", "--new-errors", "0.11", "--rps", "200", "--runs", "50");
        var same = await CliRunner.RunAsync(dir, "gate", "simulate", "--config", ramp, "--old-errors", "0.01", "--new-errors", "0.01", "--rps", "200", "--runs", "20", "--seed", "3");

        Assert.That(bad.ExitCode, Is.EqualTo(0), bad.ToString());
        Assert.That(bad.Stdout, Does.Contain("rollback probability: 100.0 % (50 of 50 ramps)"));
        Assert.That(bad.Stdout, Does.Match(@"time to rollback from the ramp start: median \d+ s, p90 \d+ s"));
        Assert.That(same.Stdout, Does.Contain("rollback probability: 0.0 % (0 of 20 ramps)").And.Contain("ran to the end of the last step in 900 s"));
    }

    [Test]
    public async Task GateSimulate_BadOptions_ListsEveryProblemAndExits2()
    {
        var dir = Directory.CreateTempSubdirectory("gate-sim-").FullName;
        File.WriteAllText(Path.Combine(dir, "ramp.json"), """{ "gates": { "failureThreshold": 0 } }""");

        var result = await CliRunner.RunAsync(dir, "gate", "simulate", "--config", "ramp.json", "--new-errors", "1.5", "--rps", "0");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("--new-errors: 1.5 must be between 0 and 1").And.Contain("--rps: 0 must be above 0")
            .And.Contain("ramp.json: gates.failureThreshold: 0 must be between 1 and 3600"));
    }
}
