using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Stacks;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Comparison;

public sealed class EnvironmentCanonicalizerTests
{
    private static readonly StackEnvironment Old = new() { PathRoots = ["/srv/oc-old/workspace", "/srv/oc-old/state"], BaseAddress = "http://127.0.0.1:18789/" };
    private static readonly StackEnvironment New = new() { PathRoots = ["/srv/oc-new/workspace", "/srv/oc-new/state"], BaseAddress = "http://127.0.0.1:18790/" };

    [TestCase("/srv/oc-old/workspace/skills/returns/SKILL.md", "<root>/skills/returns/SKILL.md")]
    [TestCase("/srv/oc-old/workspace", "<root>")]
    [TestCase("/srv/oc-old/workspace/", "<root>")]
    [TestCase("/srv/oc-old/workspace//skills/./returns/SKILL.md/", "<root>/skills/returns/SKILL.md")]
    [TestCase("/srv/oc-old/workspace/skills/x/../returns/SKILL.md", "<root>/skills/returns/SKILL.md")]
    [TestCase("/srv/oc-old/state/agents/main/agent/openclaw-agent.sqlite", "<root>/agents/main/agent/openclaw-agent.sqlite")]
    public void Canonicalize_PathUnderRoot_BecomesRootRelative(string path, string expected)
    {
        Assert.That(EnvironmentCanonicalizer.Canonicalize(path, Old), Is.EqualTo(expected));
    }

    [Test]
    public void Canonicalize_SameFileUnderEachStacksOwnRoot_IsEqual()
    {
        var old = EnvironmentCanonicalizer.Canonicalize("/srv/oc-old/workspace/skills/returns/SKILL.md", Old);
        var @new = EnvironmentCanonicalizer.Canonicalize("/srv/oc-new/workspace/skills/returns/SKILL.md", New);

        Assert.That(@new, Is.EqualTo(old));
    }

    [Test]
    public void Canonicalize_DifferentFileRelativeToRoot_StaysDifferent()
    {
        var old = EnvironmentCanonicalizer.Canonicalize("/srv/oc-old/workspace/skills/returns/SKILL.md", Old);
        var @new = EnvironmentCanonicalizer.Canonicalize("/srv/oc-new/workspace/skills/shipping/SKILL.md", New);

        Assert.That(@new, Is.Not.EqualTo(old));
        Assert.That(@new, Is.EqualTo("<root>/skills/shipping/SKILL.md"));
    }

    [TestCase("/ws-old2/a.md")]
    [TestCase("/ws-old.bak/a.md")]
    [TestCase("/ws-oldish")]
    [TestCase("/x/ws-old/a.md")]
    [TestCase("http://example.com/ws-old/a.md")]
    [TestCase("C:/ws-old/a.md")]
    public void Canonicalize_PathOnlySharingPrefixWithRoot_IsUnchanged(string text)
    {
        var environment = new StackEnvironment { PathRoots = ["/ws-old"] };

        Assert.That(EnvironmentCanonicalizer.Canonicalize(text, environment), Is.SameAs(text));
    }

    [Test]
    public void Canonicalize_NestedRoots_LongestRootWins()
    {
        var environment = new StackEnvironment { PathRoots = ["/srv/oc", "/srv/oc/workspace"] };

        Assert.Multiple(() =>
        {
            Assert.That(EnvironmentCanonicalizer.Canonicalize("/srv/oc/workspace/MEMORY.md", environment), Is.EqualTo("<root>/MEMORY.md"));
            Assert.That(EnvironmentCanonicalizer.Canonicalize("/srv/oc/logs/openclaw.log", environment), Is.EqualTo("<root>/logs/openclaw.log"));
        });
    }

    [Test]
    public void Canonicalize_DotDotLeavingNestedRoot_FallsBackToOuterRoot()
    {
        var environment = new StackEnvironment { PathRoots = ["/srv/oc", "/srv/oc/workspace"] };

        Assert.That(EnvironmentCanonicalizer.Canonicalize("/srv/oc/workspace/../state/x.db", environment), Is.EqualTo("<root>/state/x.db"));
    }

    [Test]
    public void Canonicalize_DotDotLeavingEveryRoot_IsUnchanged()
    {
        const string text = "/srv/oc/../etc/passwd";

        Assert.That(EnvironmentCanonicalizer.Canonicalize(text, new StackEnvironment { PathRoots = ["/srv/oc"] }), Is.SameAs(text));
    }

    [TestCase(@"C:\agents\old\skills\returns\SKILL.md")]
    [TestCase("C:/agents/old/skills/returns/SKILL.md")]
    [TestCase(@"c:\Agents\OLD\skills\returns\SKILL.md")]
    [TestCase("file:///C:/agents/old/skills/returns/SKILL.md")]
    public void Canonicalize_WindowsDriveRoot_AnySeparatorAndCase_BecomesRootRelative(string path)
    {
        var environment = new StackEnvironment { PathRoots = [@"C:\agents\old\"] };

        Assert.That(EnvironmentCanonicalizer.Canonicalize(path, environment), Is.EqualTo("<root>/skills/returns/SKILL.md"));
    }

    [Test]
    public void Canonicalize_BackslashesUnderUnixRoot_AreSeparators()
    {
        Assert.That(EnvironmentCanonicalizer.Canonicalize(@"/srv/oc-old/workspace\skills\returns\SKILL.md", Old), Is.EqualTo("<root>/skills/returns/SKILL.md"));
    }

    [Test]
    public void Canonicalize_UnixRootDiffersInCase_IsUnchanged()
    {
        const string text = "/SRV/oc-old/workspace/MEMORY.md";

        Assert.That(EnvironmentCanonicalizer.Canonicalize(text, Old), OperatingSystem.IsWindows() ? Is.EqualTo("<root>/MEMORY.md") : Is.SameAs(text));
    }

    [TestCase("file:///srv/oc-old/workspace/skills/returns/SKILL.md")]
    [TestCase("file://localhost/srv/oc-old/workspace/skills/returns/SKILL.md")]
    [TestCase("FILE:///srv/oc-old/workspace/skills/returns/SKILL.md")]
    public void Canonicalize_FileUri_BecomesRootRelative(string uri)
    {
        Assert.That(EnvironmentCanonicalizer.Canonicalize(uri, Old), Is.EqualTo("<root>/skills/returns/SKILL.md"));
    }

    [Test]
    public void Canonicalize_PercentEncodedFileUri_IsDecoded()
    {
        var environment = new StackEnvironment { PathRoots = ["/srv/my ws"] };

        Assert.That(EnvironmentCanonicalizer.Canonicalize("see file:///srv/my%20ws/notes%20a.md for details", environment), Is.EqualTo("see <root>/notes a.md for details"));
    }

    [Test]
    public void Canonicalize_PathsInsideProse_AreRewrittenInPlace()
    {
        const string text = "I read /srv/oc-old/workspace/skills/returns/SKILL.md. Notes are in \"/srv/oc-old/workspace/MEMORY.md\", (and /srv/oc-old/state).";

        Assert.That(EnvironmentCanonicalizer.Canonicalize(text, Old), Is.EqualTo("I read <root>/skills/returns/SKILL.md. Notes are in \"<root>/MEMORY.md\", (and <root>)."));
    }

    [TestCase("see http://127.0.0.1:18789/v1/models", "see <host>/v1/models")]
    [TestCase("http://127.0.0.1:18789", "<host>")]
    [TestCase("ws://127.0.0.1:18789/socket", "<host>/socket")]
    [TestCase("listening on 127.0.0.1:18789.", "listening on <host>.")]
    [TestCase("HTTP://127.0.0.1:18789/", "<host>/")]
    public void Canonicalize_OwnHostAndPort_IsMasked(string text, string expected)
    {
        Assert.That(EnvironmentCanonicalizer.Canonicalize(text, Old), Is.EqualTo(expected));
    }

    [TestCase("127.0.0.1:187890")]
    [TestCase("127.0.0.1:18790")]
    [TestCase("10.127.0.0.1:18789x")]
    public void Canonicalize_OtherHostOrPort_IsUnchanged(string text)
    {
        Assert.That(EnvironmentCanonicalizer.Canonicalize(text, Old), Is.SameAs(text));
    }

    [Test]
    public void Canonicalize_SameUrlOnEachStacksOwnHost_IsEqual()
    {
        Assert.That(EnvironmentCanonicalizer.Canonicalize("http://127.0.0.1:18790/hooks/x", New), Is.EqualTo(EnvironmentCanonicalizer.Canonicalize("http://127.0.0.1:18789/hooks/x", Old)));
    }

    [Test]
    public void Canonicalize_HostWithoutPort_MaskedOnlyInsideUrl()
    {
        var environment = new StackEnvironment { BaseAddress = "https://old/" };

        Assert.Multiple(() =>
        {
            Assert.That(EnvironmentCanonicalizer.Canonicalize("the old address was https://old/api/x", environment), Is.EqualTo("the old address was <host>/api/x"));
            Assert.That(EnvironmentCanonicalizer.Canonicalize("https://older.example/x", environment), Is.EqualTo("https://older.example/x"));
            Assert.That(EnvironmentCanonicalizer.Canonicalize("https://old:8443/x", environment), Is.EqualTo("https://old:8443/x"));
        });
    }

    [Test]
    public void Canonicalize_BaseUrlWithPath_AbsorbsThePath()
    {
        var environment = new StackEnvironment { BaseAddress = "http://agents.internal:8080/old/" };

        Assert.Multiple(() =>
        {
            Assert.That(EnvironmentCanonicalizer.Canonicalize("http://agents.internal:8080/old/v1/health", environment), Is.EqualTo("<host>/v1/health"));
            Assert.That(EnvironmentCanonicalizer.Canonicalize("http://agents.internal:8080/older", environment), Is.EqualTo("<host>/older"));
        });
    }

    [Test]
    public void Canonicalize_NothingToRewrite_ReturnsSameInstance()
    {
        var text = "Order 4411 is on its way; see /tmp/other/file.md";

        Assert.Multiple(() =>
        {
            Assert.That(EnvironmentCanonicalizer.Canonicalize(text, Old), Is.SameAs(text));
            Assert.That(EnvironmentCanonicalizer.Canonicalize(text, null), Is.SameAs(text));
            Assert.That(EnvironmentCanonicalizer.Canonicalize(string.Empty, Old), Is.SameAs(string.Empty));
            Assert.That(EnvironmentCanonicalizer.CanonicalizeOrNull(null, Old), Is.Null);
        });
    }

    [TestCase("/")]
    [TestCase("")]
    [TestCase("   ")]
    public void Canonicalize_FileSystemRootOrEmptyRoot_IsIgnored(string root)
    {
        const string text = "/etc/hosts";

        Assert.That(EnvironmentCanonicalizer.Canonicalize(text, new StackEnvironment { PathRoots = [root] }), Is.SameAs(text));
    }

    [Test]
    public void Environment_With_RecompilesRoots()
    {
        var first = new StackEnvironment { PathRoots = ["/a"] };
        _ = EnvironmentCanonicalizer.Canonicalize("/a/x", first);

        var second = first with { PathRoots = ["/b"] };

        Assert.Multiple(() =>
        {
            Assert.That(EnvironmentCanonicalizer.Canonicalize("/b/x", second), Is.EqualTo("<root>/x"));
            Assert.That(EnvironmentCanonicalizer.Canonicalize("/a/x", second), Is.EqualTo("/a/x"));
            Assert.That(second, Is.Not.EqualTo(first));
            Assert.That(new StackEnvironment { PathRoots = ["/b"] }, Is.EqualTo(second));
        });
    }

    // ---- in the skill comparer ----

    [Test]
    public void SkillCompare_SameSkillFileUnderEachWorkspace_IsMatch()
    {
        var old = Ok("old", "ok", [Skill("read", """{"path":"/srv/oc-old/workspace/skills/returns/SKILL.md"}""")]) with { Environment = Old };
        var @new = Ok("new", "ok", [Skill("read", """{"path":"/srv/oc-new/workspace/skills/returns/SKILL.md"}""")]) with { Environment = New };

        var result = new SkillComparer(new SkillComparisonConfig()).Compare(Replayed(old, old, @new));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void SkillCompare_DifferentSkillFileRelativeToWorkspace_IsCriticalRegression()
    {
        var old = Ok("old", "ok", [Skill("read", """{"path":"/srv/oc-old/workspace/skills/returns/SKILL.md"}""")]) with { Environment = Old };
        var @new = Ok("new", "ok", [Skill("read", """{"path":"/srv/oc-new/workspace/skills/shipping/SKILL.md"}""")]) with { Environment = New };

        var result = new SkillComparer(new SkillComparisonConfig()).Compare(Replayed(old, old, @new));

        Assert.Multiple(() =>
        {
            Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression), result.Reason);
            Assert.That(result.Severity, Is.EqualTo(Severity.Critical));
            Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "skills.args:read.$.path" }));
            Assert.That(result.Reason, Does.Contain("<root>/skills/returns/SKILL.md → <root>/skills/shipping/SKILL.md"));
        });
    }

    [Test]
    public void SkillCompare_SameFileButNoEnvironment_IsRegressionAsBefore()
    {
        var old = Ok("old", "ok", [Skill("read", """{"path":"/srv/oc-old/workspace/skills/returns/SKILL.md"}""")]);
        var @new = Ok("new", "ok", [Skill("read", """{"path":"/srv/oc-new/workspace/skills/returns/SKILL.md"}""")]);

        var result = new SkillComparer(new SkillComparisonConfig()).Compare(Replayed(old, old, @new));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression), result.Reason);
    }

    [Test]
    public void SkillCompare_NestedArgumentsAndOwnHost_CanonicalisedPerSide()
    {
        var old = Ok("old", "ok", [Skill("fetch", """{"urls":["http://127.0.0.1:18789/files/a"],"opts":{"cwd":"file:///srv/oc-old/workspace/"}}""")]) with { Environment = Old };
        var @new = Ok("new", "ok", [Skill("fetch", """{"urls":["http://127.0.0.1:18790/files/a"],"opts":{"cwd":"/srv/oc-new/workspace"}}""")]) with { Environment = New };

        var result = new SkillComparer(new SkillComparisonConfig()).Compare(Replayed(old, old, @new));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void JsonDiff_WithEnvironments_ReportsCanonicalValues()
    {
        using var a = JsonDocument.Parse("""{"path":"/srv/oc-old/workspace/a.md"}""");
        using var b = JsonDocument.Parse("""{"path":"/srv/oc-new/workspace/b.md"}""");

        var diff = SkillComparer.JsonDiff(a.RootElement, b.RootElement, Old, New).ToArray();

        Assert.That(diff, Is.EqualTo(new[] { ("$.path", "<root>/a.md", "<root>/b.md") }));
    }

    // ---- environment from configuration ----

    [Test]
    public void EnvironmentOf_OpenClaw_AddsWorkspaceAndStateDirAsFullPaths()
    {
        var config = new StackConfig { Adapter = AdapterKind.OpenClaw, Url = "http://127.0.0.1:18789", PathRoots = ["/srv/shared/"], Workspace = "/srv/oc-old/workspace/", StateDir = "/srv/oc-old/state" };

        var environment = StackFactory.EnvironmentOf(config, new Uri("http://127.0.0.1:18789/"));

        Assert.Multiple(() =>
        {
            Assert.That(environment.PathRoots, Is.EqualTo(new[] { "/srv/shared", "/srv/oc-old/workspace", "/srv/oc-old/state" }));
            Assert.That(environment.BaseAddress, Is.EqualTo("http://127.0.0.1:18789/"));
        });
    }

    [Test]
    public void EnvironmentOf_NativeWithWorkspaceField_UsesOnlyPathRoots()
    {
        var config = new StackConfig { Url = "http://127.0.0.1:5100", PathRoots = ["/srv/agent"] };

        var environment = StackFactory.EnvironmentOf(config, new Uri("http://127.0.0.1:5100/"));

        Assert.That(environment.PathRoots, Is.EqualTo(new[] { "/srv/agent" }));
    }

    [Test]
    public async Task SendTurn_EveryAdapter_ObservationCarriesEnvironment()
    {
        foreach (var adapter in new[] { AdapterKind.Native, AdapterKind.OpenAi, AdapterKind.OpenClaw })
        {
            // Nothing listens on port 9 (discard): the turn fails, and even the failure carries the environment.
            using var stack = StackFactory.Create("old", new StackConfig { Url = "http://127.0.0.1:9", Adapter = adapter, PathRoots = ["/srv/agent"] }, turnTimeout: TimeSpan.FromSeconds(5));

            var observation = await stack.SendTurnAsync(new TurnRequest { ConversationId = "c-1", UserId = "u-1", Message = "hi" }, CancellationToken.None);

            Assert.That(observation.Environment, Is.EqualTo(new StackEnvironment { PathRoots = ["/srv/agent"], BaseAddress = "http://127.0.0.1:9/" }), adapter.ToString());
        }
    }

    [Test]
    public void Observation_RoundTripsEnvironmentThroughJson()
    {
        var observation = Ok("old", "ok") with { Environment = Old };

        var json = JsonSerializer.Serialize(observation, DualStackJson.Options);
        var back = JsonSerializer.Deserialize<StackObservation>(json, DualStackJson.Options)!;

        Assert.Multiple(() =>
        {
            Assert.That(json, Does.Contain("\"environment\":{\"pathRoots\":[\"/srv/oc-old/workspace\",\"/srv/oc-old/state\"],\"baseAddress\":\"http://127.0.0.1:18789/\"}"));
            Assert.That(back.Environment, Is.EqualTo(Old));
            Assert.That(EnvironmentCanonicalizer.Canonicalize("/srv/oc-old/workspace/a", back.Environment), Is.EqualTo("<root>/a"));
        });
    }
}
