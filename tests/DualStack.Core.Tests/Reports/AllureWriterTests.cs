using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Reports;
using DualStack.Core.Results;
using DualStack.Core.Verdicts;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Reports;

public sealed class AllureWriterTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("allure-test-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void WriteRun_RegressionAndMatch_WritesOneResultPerConversationWithStepsLabelsAndAttachments()
    {
        var run = SampleRun();

        AllureConversion.WriteRun(new AllureWriter(_dir), run);

        var results = ReadResults();
        Assert.That(results, Has.Count.EqualTo(2));
        var refund = results.Single(r => r.GetProperty("name").GetString() == "refund");
        Assert.Multiple(() =>
        {
            Assert.That(refund.GetProperty("status").GetString(), Is.EqualTo("failed"));
            Assert.That(refund.GetProperty("stage").GetString(), Is.EqualTo("finished"));
            Assert.That(refund.GetProperty("statusDetails").GetProperty("message").GetString(), Does.Contain("issue_refund"));
            Assert.That(Label(refund, "epic"), Is.EqualTo(AllureConversion.Phase2Epic));
            Assert.That(Label(refund, "feature"), Is.EqualTo("skills"));
            Assert.That(Label(refund, "severity"), Is.EqualTo("blocker"));
            Assert.That(Label(refund, "parentSuite"), Is.Not.Null);
            Assert.That(Label(refund, "suite"), Is.EqualTo("sample"));
            Assert.That(Label(refund, "subSuite"), Is.EqualTo("scripted"));
        });
        var turnStep = refund.GetProperty("steps")[0];
        Assert.That(turnStep.GetProperty("name").GetString(), Does.StartWith("Turn 1: Please refund"));
        Assert.That(turnStep.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()), Has.Some.StartWith("skills: Regression (critical)"));
        foreach (var attachment in refund.GetProperty("attachments").EnumerateArray())
        {
            Assert.That(File.Exists(Path.Combine(_dir, attachment.GetProperty("source").GetString()!)), Is.True, attachment.ToString());
        }

        Assert.That(refund.GetProperty("attachments").EnumerateArray().Select(a => a.GetProperty("type").GetString()), Is.EquivalentTo(new[] { "text/html", "application/json", "application/json" }));
        Assert.That(results.Single(r => r.GetProperty("name").GetString() == "hello").GetProperty("status").GetString(), Is.EqualTo("passed"));
    }

    [Test]
    public void WriteRun_SameRunTwice_KeepsHistoryIdsStableAndUuidsUnique()
    {
        AllureConversion.WriteRun(new AllureWriter(_dir), SampleRun());
        AllureConversion.WriteRun(new AllureWriter(_dir), SampleRun() with { RunId = "another" });

        var results = ReadResults();
        Assert.That(results, Has.Count.EqualTo(4));
        Assert.That(results.Select(r => r.GetProperty("uuid").GetString()).Distinct().Count(), Is.EqualTo(4));
        Assert.That(results.Select(r => r.GetProperty("historyId").GetString()).Distinct().Count(), Is.EqualTo(2), "history links the same conversation across runs");
    }

    [Test]
    public void WriteRun_RunFiles_EnvironmentExecutorAndCategories()
    {
        AllureConversion.WriteRun(new AllureWriter(_dir), SampleRun());

        var environment = File.ReadAllText(Path.Combine(_dir, "environment.properties"));
        Assert.That(environment, Does.Contain("old.url=http\\://old.test/").Or.Contain("old.url=http://old.test/"));
        Assert.That(environment, Does.Contain("seed=42"));
        using var categories = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "categories.json")));
        Assert.That(categories.RootElement.EnumerateArray().Select(c => c.GetProperty("name").GetString()), Is.SupersetOf(new[] { "Regression", "Noise", "Stack error" }));
        using var executor = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "executor.json")));
        Assert.That(executor.RootElement.GetProperty("buildName").GetString(), Is.EqualTo("run-1"));
    }

    [Test]
    public void WriteRun_RawResponsesWithToken_AreRedactedInAttachments()
    {
        var run = SampleRun();
        var leaky = run with
        {
            Conversations = run.Conversations.Select(c => c with { Turns = c.Turns.Select(t => t with { New = t.New with { RawResponse = "{\"authorization\":\"Bearer s3cr3t.t0ken\"}" } }).ToArray() }).ToArray(),
        };

        AllureConversion.WriteRun(new AllureWriter(_dir), leaky);

        foreach (var file in Directory.GetFiles(_dir))
        {
            Assert.That(File.ReadAllText(file), Does.Not.Contain("s3cr3t.t0ken"), file);
        }
    }

    [TestCase(Verdict.Match, "passed")]
    [TestCase(Verdict.Noise, "passed")]
    [TestCase(Verdict.Regression, "failed")]
    [TestCase(Verdict.Error, "broken")]
    [TestCase(Verdict.NotObserved, "unknown")]
    public void Status_Verdict_MapsToAllureStatus(Verdict verdict, string status) =>
        Assert.That(AllureConversion.Status(verdict), Is.EqualTo(status));

    private List<JsonElement> ReadResults() =>
        Directory.GetFiles(_dir, "*-result.json").Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone()).ToList();

    private static string? Label(JsonElement result, string name) =>
        result.GetProperty("labels").EnumerateArray().Where(l => l.GetProperty("name").GetString() == name).Select(l => l.GetProperty("value").GetString()).FirstOrDefault();

    private static RunResult SampleRun()
    {
        var engine = new VerdictEngine(new ComparisonConfig());
        var refund = Replayed(
            Ok("old", "A refund of 25.00 USD for order 4411 has been issued.", [Skill("issue_refund", """{"orderId":"4411","amount":25}""")], MemoryOf([], [])),
            Ok("old", "A refund of 25.00 USD for order 4411 has been issued.", [Skill("issue_refund", """{"orderId":"4411","amount":25}""")], MemoryOf([], [])),
            Ok("new", "A refund of 25.00 USD for order 4411 has been issued.", [Skill("issue_refund", """{"orderId":"4411","amount":27.5}""")], MemoryOf([], [])),
            message: "Please refund $25 for order 4411");
        var lanes = new Dictionary<Lane, string> { [Lane.Old] = "a", [Lane.OldRepeat] = "a2", [Lane.New] = "b" };
        var conversations = new[]
        {
            engine.JudgeConversation(new ConversationReplay(new Conversation { Id = "refund", UserId = "u-1", Turns = [refund.Turn] }, [refund], true), lanes),
            engine.JudgeConversation(new ConversationReplay(new Conversation { Id = "hello", UserId = "u-2", Turns = [new Turn { Message = "hi" }] }, [Replayed(Ok("old", "Hello!", memory: MemoryOf([], [])), Ok("old", "Hello!", memory: MemoryOf([], [])), Ok("new", "Hello!", memory: MemoryOf([], [])))], true), lanes),
        };
        return engine.Finish(new RunResult
        {
            RunId = "run-1",
            Scenario = "sample",
            StartedAt = DateTimeOffset.UnixEpoch.AddDays(20000),
            FinishedAt = DateTimeOffset.UnixEpoch.AddDays(20000).AddSeconds(3),
            Stacks = new RunStacks(new StackInfo("old", "http://old.test/", "1.0"), new StackInfo("new", "http://new.test/", "2.0")),
            Seed = 42,
            Summary = VerdictEngine.Summarize(conversations),
            Conversations = conversations,
        });
    }
}
