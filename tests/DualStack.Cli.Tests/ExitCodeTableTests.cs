using DualStack.TestUtils;
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using DualStack.Proxy;
using DualStack.SampleAgent;

namespace DualStack.Cli.Tests;

/// <summary>
/// The README "Exit codes" table as a test: every command × situation → exit code, run as the real <c>dualstack</c>
/// process. Placeholders in the arguments name the loopback fixtures: {live} and {live2} sample agents, {dead} a port
/// nobody listens on, {busy} a port already taken, {proxy} a split proxy whose token is in token.txt.
/// </summary>
[Parallelizable(ParallelScope.None)]
public sealed partial class ExitCodeTableTests
{
    private const string AdminToken = "exit-code-table-admin-token-1";

    private SampleAgentServer _live = null!;
    private SampleAgentServer _live2 = null!;
    private ProxyServer _proxy = null!;
    private TcpListener _busy = null!;
    private ClosedPort _dead = null!;
    private string _workDir = null!;
    private string _shadowStores = null!;

    [OneTimeSetUp]
    public async Task StartFixtures()
    {
        _live = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        _live2 = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        _busy = new TcpListener(IPAddress.Loopback, 0);
        _busy.Start();
        _dead = new ClosedPort();
        _proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = _live.BaseAddress,
            New = _live2.BaseAddress,
            StorePath = null,
            Split = new SplitSettings { AdminToken = AdminToken, AuditPath = null },
        });

        // Stores written by a shadowing proxy: the new stack answers like the old one, or drops a skill.
        _shadowStores = Directory.CreateTempSubdirectory("dualstack-exit-shadow-").FullName;
        await using var broken = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill"] });
        foreach (var (file, shadow) in new[] { ("shadow-same.db", _live.BaseAddress), ("shadow-regression.db", broken.BaseAddress) })
        {
            await using var mirror = await ProxyServer.StartAsync(new ProxyOptions { Old = _live.BaseAddress, StorePath = Path.Combine(_shadowStores, file), Shadow = shadow });
            using var http = new HttpClient { BaseAddress = mirror.BaseAddress };
            foreach (var message in new[] { "Where is order 4411?", "I want a refund for order 4411." })
            {
                (await http.PostAsync("v1/conversations/c-1/turns", new StringContent($$"""{"userId":"u-1","message":"{{message}}"}""", System.Text.Encoding.UTF8, "application/json"))).Dispose();
            }

            for (var i = 0; i < 400 && PrometheusText.Parse(await http.GetStringAsync("metrics")).Find("dualstack_shadow_stored_total") != 2; i++)
            {
                await Task.Delay(50);
            }
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [OneTimeTearDown]
    public async Task StopFixtures()
    {
        await _proxy.DisposeAsync();
        await _live2.DisposeAsync();
        await _live.DisposeAsync();
        _busy.Stop();
        _busy.Dispose();
        _dead.Dispose();
        Directory.Delete(_shadowStores, recursive: true);
    }

    [SetUp]
    public void CreateWorkDir()
    {
        _workDir = Path.Combine(Path.GetTempPath(), "dualstack-exit-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_workDir);
        File.WriteAllText(Path.Combine(_workDir, "token.txt"), AdminToken);
        File.WriteAllText(Path.Combine(_workDir, "wrong-token.txt"), "not-the-admin-token-at-all");
        File.WriteAllBytes(Path.Combine(_workDir, "empty.db"), []);
        foreach (var store in Directory.GetFiles(_shadowStores, "*.db"))
        {
            File.Copy(store, Path.Combine(_workDir, Path.GetFileName(store)));
        }

        File.WriteAllText(Path.Combine(_workDir, "blocker"), "a file where a folder is expected");
        File.WriteAllText(Path.Combine(_workDir, "one.jsonl"), """{"id":"m-1","userId":"u-1","text":"prefers email","conversationId":"c-1","createdAt":"2026-12-01T00:00:00Z"}""" + "\n");
        File.WriteAllText(Path.Combine(_workDir, "small.json"), """
            {
              "name": "small",
              "replay": { "concurrency": 4 },
              "conversations": [
                { "id": "refund", "userId": "u-9", "turns": [
                  { "message": "Please refund $25.00 for order 4411, it broke.", "expect": { "skills": [ "issue_refund" ] } },
                  { "message": "Thanks!" } ] }
              ]
            }
            """);
        File.WriteAllText(Path.Combine(_workDir, "cutover-dead.json"), """
            { "proxyUrl": "http://127.0.0.1:{dead}", "oldStackUrl": "http://127.0.0.1:{dead}", "newStackUrl": "http://127.0.0.1:{dead}",
              "windowStart": "2026-12-01T00:00:00Z", "timeoutSeconds": 2 }
            """.Replace("{dead}", _dead.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(_workDir, "drill-dead.json"), """
            { "proxyUrl": "http://127.0.0.1:{dead}", "oldStackUrl": "http://127.0.0.1:{dead}", "newStackUrl": "http://127.0.0.1:{dead}",
              "loadSecondsBeforeTrigger": 0.5, "loadSecondsAfterRollback": 0.5 }
            """.Replace("{dead}", _dead.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    [TearDown]
    public void DeleteWorkDir() => Directory.Delete(_workDir, recursive: true);

    /// <summary>Command (as README names it), situation, expected exit code, arguments.</summary>
    public static IEnumerable<TestCaseData> Table()
    {
        static TestCaseData Row(string command, string situation, int exit, params string[] args) =>
            new TestCaseData(command, exit, args).SetName($"Run_{command.Replace(' ', '_')}_{situation}_Exits{exit}");

        yield return Row("stacks check", "NotAUrl", 2, "stacks", "check", "not-a-url");
        yield return Row("stacks check", "NothingListening", 1, "stacks", "check", "{dead}");
        yield return Row("stacks check", "Healthy", 0, "stacks", "check", "{live}");

        yield return Row("synth", "NegativeCount", 2, "synth", "--count", "-1", "--out", "x.jsonl");
        yield return Row("synth", "OutputNotWritable", 2, "synth", "--count", "2", "--out", "blocker/x.jsonl");
        yield return Row("synth", "Written", 0, "synth", "--count", "2", "--out", "x.jsonl");

        yield return Row("verify", "BadFailOn", 2, "verify", "--scenario", "small.json", "--fail-on", "severe");
        yield return Row("verify", "MissingScenario", 2, "verify", "--scenario", "missing.json");
        yield return Row("verify", "QueueUnreachable", 2, "verify", "--scenario", "small.json", "--queue", "Host=127.0.0.1;Port={deadport};Database=q;Username=u;Timeout=3", "--workers", "0");
        yield return Row("verify", "NewStackDead", 3, "verify", "--scenario", "small.json", "--lexical", "--old", "{live}", "--new", "{dead}", "--reports", "out");
        yield return Row("verify", "Regression", 1, "verify", "--scenario", "small.json", "--lexical", "--embedded-new-faults", "drop-skill", "--reports", "out");
        yield return Row("verify", "SameStackTwice", 0, "verify", "--scenario", "small.json", "--lexical", "--old", "{live}", "--new", "{live}", "--reports", "out");

        yield return Row("demo", "UnknownFault", 2, "demo", "--faults", "nonsense");

        yield return Row("worker", "NoQueue", 2, "worker");
        yield return Row("worker", "QueueUnreachable", 2, "worker", "--queue", "Host=127.0.0.1;Port={deadport};Database=q;Username=u;Timeout=3");

        yield return Row("report", "NoRun", 2, "report", "--reports", "nothere");
        yield return Row("report", "BadFailOn", 2, "report", "--source", "empty.db", "--fail-on", "severe");
        yield return Row("report", "SourceMissing", 2, "report", "--source", "missing.db", "--lexical");
        yield return Row("report", "SourceJudgedNothing", 3, "report", "--source", "empty.db", "--lexical", "--reports", "out");

        yield return Row("capture", "ShadowWithoutStore", 2, "capture", "--old", "{dead}", "--no-capture", "--shadow", "{dead}");
        yield return Row("capture", "BadShadowJudge", 2, "capture", "--old", "{dead}", "--shadow", "{dead}", "--shadow-judge", "elsewhere");

        yield return Row("shadow judge", "SourceMissing", 2, "shadow", "judge", "--source", "missing.db", "--lexical");
        yield return Row("shadow judge", "BadSince", 2, "shadow", "judge", "--source", "empty.db", "--since", "yesterday", "--lexical");
        yield return Row("shadow judge", "BadFailOn", 2, "shadow", "judge", "--source", "empty.db", "--fail-on", "severe", "--lexical");
        yield return Row("shadow judge", "SourceUnreachable", 2, "shadow", "judge", "--source", "Host=127.0.0.1;Port={deadport};Database=q;Username=u;Timeout=3", "--lexical");
        yield return Row("shadow judge", "JudgedNothing", 3, "shadow", "judge", "--source", "empty.db", "--lexical", "--reports", "out");
        yield return Row("shadow judge", "NewStackDroppedASkill", 1, "shadow", "judge", "--source", "shadow-regression.db", "--lexical", "--reports", "out");
        yield return Row("shadow judge", "SameAnswers", 0, "shadow", "judge", "--source", "shadow-same.db", "--lexical", "--reports", "out");

        yield return Row("capture", "BadShadowWorkers", 2, "capture", "--old", "{dead}", "--shadow-workers", "0");
        yield return Row("capture", "ListenPortTaken", 2, "capture", "--old", "{dead}", "--no-capture", "--listen", "{busy}");

        yield return Row("captures list", "StoreMissing", 2, "captures", "list", "--store", "missing.db");
        yield return Row("captures list", "EmptyStore", 0, "captures", "list", "--store", "empty.db");
        yield return Row("captures stats", "StoreMissing", 2, "captures", "stats", "--store", "missing.db");
        yield return Row("captures stats", "EmptyStore", 0, "captures", "stats", "--store", "empty.db");
        yield return Row("captures export", "StoreMissing", 2, "captures", "export", "--store", "missing.db");
        yield return Row("captures export", "OutputNotWritable", 2, "captures", "export", "--store", "empty.db", "--out", "blocker/x.jsonl");
        yield return Row("captures export", "EmptyStore", 0, "captures", "export", "--store", "empty.db", "--out", "x.jsonl");
        yield return Row("captures prune", "BadRetention", 2, "captures", "prune", "--store", "empty.db", "--retain", "xyz");
        yield return Row("captures prune", "EmptyStore", 0, "captures", "prune", "--store", "empty.db", "--retain", "14d");

        yield return Row("sandbox", "FixturesMissing", 2, "sandbox", "--fixtures", "missing.json");

        yield return Row("split", "NoNewStack", 2, "split", "--old", "{dead}", "--token-file", "token.txt");
        yield return Row("split", "ListenPortTaken", 2, "split", "--old", "{dead}", "--new", "{dead}", "--listen", "{busy}", "--token-file", "token.txt");

        foreach (var (name, extra) in new[] { ("status", Array.Empty<string>()), ("set", ["25"]), ("advance", []), ("rollback", []), ("promote", []) })
        {
            yield return Row($"split {name}", "ProxyUnreachable", 1, ["split", name, .. extra, "--proxy", "{dead}", "--token-file", "token.txt"]);
            yield return Row($"split {name}", "WrongToken", 1, ["split", name, .. extra, "--proxy", "{proxy}", "--token-file", "wrong-token.txt"]);
            yield return Row($"split {name}", "NoToken", 2, ["split", name, .. extra, "--proxy", "{proxy}", "--token-env", "DUALSTACK_TEST_UNSET_TOKEN"]);
        }

        yield return Row("split set", "NotAPercentage", 2, "split", "set", "abc", "--proxy", "{proxy}", "--token-file", "token.txt");
        yield return Row("split status", "Ok", 0, "split", "status", "--proxy", "{proxy}", "--token-file", "token.txt");
        yield return Row("split set", "Ok", 0, "split", "set", "25", "--proxy", "{proxy}", "--token-file", "token.txt");
        yield return Row("split advance", "NoRampPlan", 1, "split", "advance", "--proxy", "{proxy}", "--token-file", "token.txt");
        yield return Row("split rollback", "Ok", 0, "split", "rollback", "--proxy", "{proxy}", "--token-file", "token.txt");
        yield return Row("split promote", "Ok", 0, "split", "promote", "--proxy", "{proxy}", "--token-file", "token.txt");

        yield return Row("gate", "ConfigMissing", 2, "gate", "--config", "missing.json", "--token-file", "token.txt");
        yield return Row("gate simulate", "Simulated", 0, "gate", "simulate", "--config", "{repo}/scenarios/ramp.json", "--new-errors", "0.06", "--rps", "200", "--runs", "20");
        yield return Row("gate simulate", "BadErrorRate", 2, "gate", "simulate", "--config", "{repo}/scenarios/ramp.json", "--new-errors", "3");
        yield return Row("gate simulate", "ConfigMissing", 2, "gate", "simulate", "--config", "missing.json");
        yield return Row("gate", "EverythingUnreachable", 1, "gate", "--config", "cutover-dead.json", "--token-file", "token.txt");

        yield return Row("memory snapshot", "NoOut", 2, "memory", "snapshot", "--from", "{live}");
        yield return Row("memory snapshot", "OutputNotWritable", 2, "memory", "snapshot", "--from", "{live}", "--out", "blocker/x.jsonl");
        yield return Row("memory snapshot", "StackUnreachable", 1, "memory", "snapshot", "--from", "{dead}", "--out", "x.jsonl");
        yield return Row("memory snapshot", "Written", 0, "memory", "snapshot", "--from", "{live}", "--out", "x.jsonl");
        yield return Row("memory restore", "InputMissing", 2, "memory", "restore", "--to", "{live}", "--in", "missing.jsonl");
        yield return Row("memory restore", "StackUnreachable", 1, "memory", "restore", "--to", "{dead}", "--in", "one.jsonl");
        yield return Row("memory restore", "Restored", 0, "memory", "restore", "--to", "{live2}", "--in", "one.jsonl");
        yield return Row("memory replicate", "BadPageSize", 2, "memory", "replicate", "--from", "{live}", "--to", "{live2}", "--page-size", "0");
        yield return Row("memory replicate", "StackUnreachable", 1, "memory", "replicate", "--from", "{dead}", "--to", "{live2}");
        yield return Row("memory replicate", "CaughtUp", 0, "memory", "replicate", "--from", "{live}", "--to", "{live2}");
        yield return Row("memory diff", "NotAUrl", 2, "memory", "diff", "not-a-url", "{live}");
        yield return Row("memory diff", "StackUnreachable", 1, "memory", "diff", "{dead}", "{live}");
        yield return Row("memory diff", "Identical", 0, "memory", "diff", "{live}", "{live}");
        yield return Row("memory merge", "BadSince", 2, "memory", "merge", "--from", "{live2}", "--into", "{live}", "--since", "yesterday");
        yield return Row("memory merge", "StackUnreachable", 1, "memory", "merge", "--from", "{dead}", "--into", "{live}", "--since", "2026-12-01T00:00:00Z");
        yield return Row("memory merge", "Merged", 0, "memory", "merge", "--from", "{live2}", "--into", "{live}", "--since", "2026-12-01T00:00:00Z");

        yield return Row("drill", "ConfigMissing", 2, "drill", "--config", "missing.json");
        yield return Row("drill", "ProxyUnreachable", 1, "drill", "--config", "drill-dead.json", "--token-file", "token.txt", "--reports", "out");

        yield return Row("schema", "OutputNotWritable", 2, "schema", "--out", "blocker/schemas");
        yield return Row("schema", "CheckFindsNoFiles", 1, "schema", "--check", "--out", "schemas");
        yield return Row("schema", "Written", 0, "schema", "--out", "schemas");
        yield return Row("schema", "CheckCommitted", 0, "schema", "--check", "--out", "{repo}/scenarios");

        yield return Row("(any)", "UnknownCommand", 2, "frobnicate");
    }

    [TestCaseSource(nameof(Table))]
    public async Task Run_CommandInSituation_ExitsDocumentedCode(string command, int expected, string[] args)
    {
        var resolved = args.Select(Resolve).ToArray();

        var result = await CliRunner.RunAsync(_workDir, resolved);

        Assert.That(result.ExitCode, Is.EqualTo(expected), $"dualstack {string.Join(' ', resolved)}\n{result}");
        Assert.That(result.Stderr, Does.Not.Contain("   at "), "failures are one line per problem, never a stack trace");
        Assert.That(result.Stdout + result.Stderr, Does.Not.Contain(AdminToken), "the admin token is never printed");
    }

    [Test]
    public void ReadmeExitCodes_EveryCommand_HasARowAndEveryRowACommand()
    {
        var readme = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "README.md"));
        var section = readme[readme.IndexOf("\n## Exit codes", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        var documented = CommandRow().Matches(section).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        using var services = Program.CreateServices();
        var commands = Commands(CliApp.BuildRoot(services), prefix: string.Empty).ToHashSet(StringComparer.Ordinal);

        Assert.That(documented, Is.EquivalentTo(commands), "the README 'Exit codes' table has one row per command, named as `dualstack <command>` is typed");
        Assert.That(Table().Select(t => (string)t.Arguments[0]!).Where(c => c != "(any)").ToHashSet(), Is.EquivalentTo(commands), "every command is in the exit-code test table");
    }

    private static IEnumerable<string> Commands(Command command, string prefix)
    {
        foreach (var sub in command.Subcommands)
        {
            var name = (prefix + " " + sub.Name).Trim();
            // A command that only groups others (stacks, captures, memory) has no exit codes of its own.
            if (sub.Subcommands.Count == 0 || sub.Action is not null)
            {
                yield return name;
            }

            foreach (var nested in Commands(sub, name))
            {
                yield return nested;
            }
        }
    }

    private string Resolve(string arg) => arg
        .Replace("{live2}", _live2.BaseAddress.AbsoluteUri, StringComparison.Ordinal)
        .Replace("{live}", _live.BaseAddress.AbsoluteUri, StringComparison.Ordinal)
        .Replace("{dead}", $"http://127.0.0.1:{_dead.Port}/", StringComparison.Ordinal)
        .Replace("{deadport}", _dead.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{busy}", $"http://127.0.0.1:{((IPEndPoint)_busy.LocalEndpoint).Port}", StringComparison.Ordinal)
        .Replace("{proxy}", _proxy.BaseAddress!.AbsoluteUri, StringComparison.Ordinal)
        .Replace("{repo}", CliRunner.RepoRoot, StringComparison.Ordinal);

    [GeneratedRegex(@"^\| `([a-z ]+)` \|", RegexOptions.Multiline)]
    private static partial Regex CommandRow();
}
