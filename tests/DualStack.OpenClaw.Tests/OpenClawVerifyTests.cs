using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;

namespace DualStack.OpenClaw.Tests;

/// <summary>
/// `dualstack verify` across two real OpenClaw gateways (Node 24 + openclaw 2026.9.6, installed and cached by
/// scripts/openclaw-install.sh), each with its own fake model server. One gateway pair serves the whole fixture; the
/// new gateway's model behaviour is switched per test.
/// </summary>
[TestFixture]
[Category("OpenClaw")]
[NonParallelizable]
internal sealed class OpenClawVerifyTests
{
    private const string OldTokenVariable = "DUALSTACK_TEST_OPENCLAW_OLD_TOKEN";
    private const string NewTokenVariable = "DUALSTACK_TEST_OPENCLAW_NEW_TOKEN";

    // The same two workspace skills on both gateways; each gateway lists them at its own absolute workspace path.
    private static readonly Dictionary<string, string> Skills = new()
    {
        ["skills/returns/SKILL.md"] = "---\nname: returns\ndescription: Return policy for orders. Use when a customer asks about returning an item.\n---\n\n# Returns\n\nItems can be returned within 30 days of delivery.\n",
        ["skills/shipping/SKILL.md"] = "---\nname: shipping\ndescription: Shipping times and carriers. Use when a customer asks how long delivery takes.\n---\n\n# Shipping\n\nOrders ship within 2 business days.\n",
    };

    private FakeModelServer? _oldModel;
    private FakeModelServer? _newModel;
    private OpenClawGateway? _old;
    private OpenClawGateway? _new;
    private string _work = string.Empty;

    [OneTimeSetUp]
    public async Task StartGateways()
    {
        var clock = Stopwatch.StartNew();
        using var install = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        string tools;
        try
        {
            tools = await OpenClawGateway.InstallAsync(install.Token);
        }
        catch (InvalidOperationException ex)
        {
            Assert.Fail("OpenClaw is not installed and could not be installed: " + ex.Message);
            return;
        }

        var installSeconds = clock.Elapsed.TotalSeconds;
        using var start = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        _oldModel = await FakeModelServer.StartAsync(ModelBehaviour.A, start.Token);
        _newModel = await FakeModelServer.StartAsync(ModelBehaviour.A, start.Token);
        var oldTask = OpenClawGateway.StartAsync(tools, "old", _oldModel.BaseUrl, Skills, start.Token);
        var newTask = OpenClawGateway.StartAsync(tools, "new", _newModel.BaseUrl, Skills, start.Token);
        try
        {
            await Task.WhenAll(oldTask, newTask);
        }
        finally
        {
            _old = oldTask.IsCompletedSuccessfully ? oldTask.Result : null;
            _new = newTask.IsCompletedSuccessfully ? newTask.Result : null;
        }

        _work = Path.Combine(Path.GetTempPath(), "dualstack-openclaw-verify-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_work);
        TestContext.Progress.WriteLine($"[openclaw] install/check {installSeconds:0.0} s; gateways ready: old {_old!.StartSeconds:0.0} s, new {_new!.StartSeconds:0.0} s");
    }

    [OneTimeTearDown]
    public async Task StopGateways()
    {
        foreach (var disposable in new IAsyncDisposable?[] { _old, _new, _oldModel, _newModel })
        {
            if (disposable is not null)
            {
                await disposable.DisposeAsync();
            }
        }

        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test]
    public async Task Verify_IdenticalGateways_NoRegressionWithSkillsAndMemoryObserved()
    {
        _newModel!.Behaviour = ModelBehaviour.A;

        var (run, exitCode, output) = await VerifyAsync("identical");

        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(run.Summary.ByVerdict.GetValueOrDefault(Verdict.Regression), Is.Zero, output);
        var order = Turn(run, "order-status", 0);
        Assert.Multiple(() =>
        {
            Assert.That(Dimension(order, Core.Judgement.Dimension.Skills).Verdict, Is.EqualTo(Verdict.Match), Dimension(order, Core.Judgement.Dimension.Skills).Reason);
            Assert.That(order.Old.SkillCalls?.Select(c => c.Name), Is.EqualTo(new[] { "memory_search" }), "old trajectory");
            Assert.That(order.New.SkillCalls?.Select(c => c.Name), Is.EqualTo(new[] { "memory_search" }), "new trajectory");
            Assert.That(order.New.SkillCalls![0].Arguments?.GetProperty("query").GetString(), Is.EqualTo("order 4411"));
            Assert.That(order.New.SkillCalls![0].Status, Is.EqualTo("ok"));
        });
        var remember = Turn(run, "remember-colour", 0);
        Assert.Multiple(() =>
        {
            Assert.That(Dimension(remember, Core.Judgement.Dimension.Memory).Verdict, Is.EqualTo(Verdict.Match), Dimension(remember, Core.Judgement.Dimension.Memory).Reason);
            Assert.That(remember.Old.Memory?.Written?.Select(w => w.Text), Is.EqualTo(new[] { "- my favourite colour is teal" }), "old wrote its note");
            Assert.That(remember.OldRepeat?.Memory?.Written?.Select(w => w.Text), Is.EqualTo(new[] { "- my favourite colour is teal" }), "old′ wrote its own note (serialised, not attributed to A)");
            Assert.That(remember.New.Memory?.Written?.Select(w => w.Text), Is.EqualTo(new[] { "- my favourite colour is teal" }), "new wrote its note");
            Assert.That(remember.New.SkillCalls?.Select(c => c.Name), Is.EqualTo(new[] { "write" }));
        });
    }

    [Test]
    public async Task Verify_IdenticalGatewaysReadSameSkillUnderOwnWorkspace_SkillsMatch()
    {
        _newModel!.Behaviour = ModelBehaviour.A;

        var (run, exitCode, output) = await VerifyAsync("same-skill");

        // Issue 13 item 3: each gateway reads the same SKILL.md under its own workspace; before path roots this was a
        // critical skills.args:read.$.path regression.
        var policy = Turn(run, "return-policy", 0);
        var skills = Dimension(policy, Core.Judgement.Dimension.Skills);
        var oldPath = policy.Old.SkillCalls?.SingleOrDefault()?.Arguments?.GetProperty("path").GetString();
        var newPath = policy.New.SkillCalls?.SingleOrDefault()?.Arguments?.GetProperty("path").GetString();
        Assert.Multiple(() =>
        {
            Assert.That(policy.Old.SkillCalls?.Select(c => c.Name), Is.EqualTo(new[] { "read" }), "old read its skill file (the model saw the skill catalogue)");
            Assert.That(oldPath, Is.EqualTo(Path.Combine(_old!.Workspace, "skills", "returns", "SKILL.md")), "old's own workspace");
            Assert.That(newPath, Is.EqualTo(Path.Combine(_new!.Workspace, "skills", "returns", "SKILL.md")), "new's own workspace");
            Assert.That(policy.New.Environment?.PathRoots, Is.EqualTo(new[] { _new.Workspace, _new.StateDir }), "the openclaw adapter adds workspace and stateDir by itself");
            Assert.That(policy.New.Environment?.BaseAddress, Is.EqualTo(_new.Url + "/"));
            Assert.That(skills.Verdict, Is.EqualTo(Verdict.Match), skills.Reason);
        });
        Assert.That(skills.Findings.Select(f => f.Key), Has.None.StartsWith("skills.args:read"), skills.Reason);
        Assert.That(run.Summary.ByVerdict.GetValueOrDefault(Verdict.Regression), Is.Zero, output);
        Assert.That(exitCode, Is.EqualTo(0), output);
    }

    [Test]
    public async Task Verify_NewGatewayReadsOtherSkillFile_SkillsRegressionOnReadPath()
    {
        _newModel!.Behaviour = ModelBehaviour.C;

        var (run, exitCode, output) = await VerifyAsync("other-skill");

        Assert.That(exitCode, Is.EqualTo(1), output);
        var policy = Turn(run, "return-policy", 0);
        var skills = Dimension(policy, Core.Judgement.Dimension.Skills);
        Assert.Multiple(() =>
        {
            Assert.That(skills.Verdict, Is.EqualTo(Verdict.Regression), skills.Reason);
            Assert.That(skills.Severity, Is.EqualTo(Severity.Critical));
            Assert.That(skills.Findings.Select(f => f.Key), Does.Contain("skills.args:read.$.path"), skills.Reason);
            Assert.That(skills.Reason, Does.Contain("<root>/skills/returns/SKILL.md → <root>/skills/shipping/SKILL.md"));
            Assert.That(Dimension(Turn(run, "order-status", 0), Core.Judgement.Dimension.Skills).Verdict, Is.EqualTo(Verdict.Match), "order questions unchanged");
        });
    }

    [Test]
    public async Task Verify_ChangedToolArguments_SkillsRegressionFromTrajectory()
    {
        _newModel!.Behaviour = ModelBehaviour.B;

        var (run, exitCode, output) = await VerifyAsync("changed");

        Assert.That(exitCode, Is.EqualTo(1), output);
        var order = Turn(run, "order-status", 0);
        var skills = Dimension(order, Core.Judgement.Dimension.Skills);
        Assert.Multiple(() =>
        {
            Assert.That(skills.Verdict, Is.EqualTo(Verdict.Regression), skills.Reason);
            Assert.That(skills.Findings.Select(f => f.Key), Does.Contain("skills.args:memory_search.$.query"), skills.Reason);
            Assert.That(skills.Reason, Does.Contain("recent orders"));
            Assert.That(order.New.SkillCalls![0].Arguments?.GetProperty("query").GetString(), Is.EqualTo("recent orders"));
            Assert.That(Dimension(Turn(run, "remember-colour", 0), Core.Judgement.Dimension.Memory).Verdict, Is.EqualTo(Verdict.Match), "memory unchanged by the tool change");
            Assert.That(run.Conversations.Single(c => c.Conversation.Id == "remember-colour").Verdict, Is.Not.EqualTo(Verdict.Regression));
        });
    }

    private async Task<(RunResult Run, int ExitCode, string Output)> VerifyAsync(string name)
    {
        var scenario = Path.Combine(_work, name + ".json");
        var reports = Path.Combine(_work, name + "-reports");
        await File.WriteAllTextAsync(scenario, Scenario(name).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _work, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "dualstack.dll"), "verify", "--scenario", scenario, "--reports", reports, "--lexical" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[OldTokenVariable] = _old!.Token;
        info.Environment[NewTokenVariable] = _new!.Token;
        info.Environment.Remove("DUALSTACK_DEBUG");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dualstack verify ({name}) did not finish within 5 minutes:\n{await stdout}\n{await stderr}\nold gateway:\n{_old.OutputTail()}\nnew gateway:\n{_new.OutputTail()}");
        }

        var output = $"exit {process.ExitCode}\n--- stdout ---\n{await stdout}\n--- stderr ---\n{await stderr}";
        TestContext.Progress.WriteLine($"[openclaw] verify ({name}) took {clock.Elapsed.TotalSeconds:0.0} s, exit {process.ExitCode}");
        var resultsFile = Directory.Exists(reports) ? Directory.EnumerateFiles(reports, "results.json", SearchOption.AllDirectories).SingleOrDefault() : null;
        Assert.That(resultsFile, Is.Not.Null, output);
        var json = await File.ReadAllTextAsync(resultsFile!);
        Assert.That(output + json, Does.Not.Contain(_old.Token).And.Not.Contain(_new.Token), "a gateway token leaked into the output or results");
        var run = JsonSerializer.Deserialize<RunResult>(json, DualStackJson.Options)!;
        var summary = new StringBuilder();
        foreach (var (dimension, verdicts) in run.Summary.ByDimension)
        {
            summary.Append(dimension).Append(": ").AppendJoin(", ", verdicts.Select(v => $"{v.Key} {v.Value}")).Append("; ");
        }

        TestContext.Progress.WriteLine($"[openclaw] verify ({name}) verdicts: {string.Join(", ", run.Summary.ByVerdict.Select(v => $"{v.Key} {v.Value}"))} — {summary}");
        return (run, process.ExitCode, output);
    }

    private JsonObject Scenario(string name) => new()
    {
        ["name"] = "openclaw-" + name,
        ["stacks"] = new JsonObject
        {
            ["old"] = Stack(_old!, OldTokenVariable),
            ["new"] = Stack(_new!, NewTokenVariable),
        },
        ["replay"] = new JsonObject { ["concurrency"] = 2, ["turnTimeoutSeconds"] = 120 },
        ["comparison"] = new JsonObject
        {
            // The note file is named after the session, which differs per lane by design.
            ["skills"] = new JsonObject { ["ignoreArguments"] = new JsonArray("write:$.path") },
            // Latency of two Node gateways on a shared 2-core runner is not what these tests judge.
            ["latency"] = new JsonObject { ["maxRatio"] = 100, ["minExtraMs"] = 60000 },
        },
        ["conversations"] = new JsonArray(
            new JsonObject
            {
                ["id"] = "order-status",
                ["turns"] = new JsonArray(new JsonObject { ["message"] = "Where is order 4411?" }, new JsonObject { ["message"] = "Thanks, that is all." }),
            },
            new JsonObject
            {
                ["id"] = "remember-colour",
                ["turns"] = new JsonArray(new JsonObject { ["message"] = "Please remember that my favourite colour is teal." }),
            },
            new JsonObject
            {
                ["id"] = "return-policy",
                ["turns"] = new JsonArray(new JsonObject { ["message"] = "What is your return policy?" }),
            }),
    };

    private static JsonObject Stack(OpenClawGateway gateway, string tokenVariable) => new()
    {
        ["url"] = gateway.Url,
        ["adapter"] = "openclaw",
        ["tokenEnv"] = tokenVariable,
        ["agentId"] = "main",
        ["stateDir"] = gateway.StateDir,
        ["workspace"] = gateway.Workspace,
    };

    private static TurnResult Turn(RunResult run, string conversation, int index) =>
        run.Conversations.Single(c => c.Conversation.Id == conversation).Turns[index];

    private static DimensionResult Dimension(TurnResult turn, Dimension dimension) =>
        turn.Dimensions.Single(d => d.Dimension == dimension);
}
