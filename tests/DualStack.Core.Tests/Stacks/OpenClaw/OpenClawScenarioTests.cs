using DualStack.Core.Config;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;

namespace DualStack.Core.Tests.Stacks.OpenClaw;

public sealed class OpenClawScenarioTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateTempDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dualstack-openclaw-scenario-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(_dir, "old", "state"));
        Directory.CreateDirectory(Path.Combine(_dir, "old", "workspace"));
    }

    [TearDown]
    public void DeleteTempDirectory() => Directory.Delete(_dir, recursive: true);

    private string Write(string stacks)
    {
        var path = Path.Combine(_dir, "openclaw.json");
        File.WriteAllText(path, $$"""{ "stacks": {{stacks}}, "conversations": [ { "id": "c1", "turns": [ { "message": "hi" } ] } ] }""");
        return path;
    }

    [Test]
    public void Load_OpenClawRelativeFolders_ResolvedAgainstTheScenarioFile()
    {
        var path = Write("""{ "old": { "url": "http://127.0.0.1:1", "adapter": "openclaw", "agentId": "main", "stateDir": "old/state", "workspace": "old/workspace" } }""");

        var scenario = ScenarioLoader.Load(path);

        Assert.That(scenario.Old.Adapter, Is.EqualTo(AdapterKind.OpenClaw));
        Assert.That(scenario.Old.StateDir, Is.EqualTo(Path.Combine(_dir, "old", "state")));
        Assert.That(scenario.Old.Workspace, Is.EqualTo(Path.Combine(_dir, "old", "workspace")));
    }

    [Test]
    public void Load_OpenClawMistakes_EveryErrorNamesFieldAndValue()
    {
        var path = Write("""
            {
              "old": { "url": "http://127.0.0.1:1", "adapter": "openclaw", "agentId": "bad id!", "stateDir": "missing/state", "workspace": "old/workspace", "sendHistory": true },
              "new": { "url": "http://127.0.0.1:2", "adapter": "openclaw", "workspace": "old/workspace" }
            }
            """);

        var errors = Assert.Throws<ConfigException>(() => ScenarioLoader.Load(path))!.Errors;

        Assert.That(errors, Has.Some.Contains("stacks.old.agentId: 'bad id!'"));
        Assert.That(errors, Has.Some.Contains("stacks.old.stateDir: folder 'missing/state' does not exist"));
        Assert.That(errors, Has.Some.Contains("stacks.old.sendHistory"));
        Assert.That(errors, Has.Some.Contains("stacks.new.workspace: 'old/workspace' is the old stack's workspace too"));
        Assert.That(errors.All(e => e.Contains("openclaw.json", StringComparison.Ordinal)), Is.True, string.Join("\n", errors));
    }

    [Test]
    public void Load_OpenClawFieldOnAnotherAdapter_Error()
    {
        var path = Write("""{ "old": { "url": "http://127.0.0.1:1", "adapter": "openAi", "stateDir": "old/state" } }""");

        var errors = Assert.Throws<ConfigException>(() => ScenarioLoader.Load(path))!.Errors;

        Assert.That(errors, Has.One.Contains("stacks.old.stateDir: 'old/state' is only used by adapter 'openclaw'"));
    }
}
