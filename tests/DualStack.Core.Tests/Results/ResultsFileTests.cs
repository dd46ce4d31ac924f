using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Verdicts;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Results;

public sealed class ResultsFileTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateTempDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dualstack-results-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteTempDirectory() => Directory.Delete(_dir, recursive: true);

    private static RunResult SampleRun()
    {
        var engine = new VerdictEngine(new ComparisonConfig { Skills = new SkillComparisonConfig { Mode = TrajectoryMode.Unordered, IgnoreArguments = ["$.idempotencyKey"] } });
        var refund = Replayed(
            Ok("old", "Refund of 25.00 USD approved.", [Skill("issue_refund", """{"orderId":"4411","amount":25}""")], MemoryOf(["prefers email"], [])),
            Ok("old", "Refund of 25.00 USD approved.", [Skill("issue_refund", """{"orderId":"4411","amount":25}""")], MemoryOf(["prefers email"], [])),
            Ok("new", "Refund of 27.50 USD approved.", [Skill("issue_refund", """{"orderId":"4411","amount":27.5}""")], MemoryOf(["prefers email"], [])),
            message: "Refund order 4411",
            expect: new TurnExpectation { Skills = ["issue_refund"] });
        var failing = Replayed(Ok("old", "Hello!"), null, Failed("new", ObservationErrorKind.Connection, "ConnectionRefused"), message: "hi");
        var laneIds = new Dictionary<Lane, string> { [Lane.Old] = "c~a~abcdef", [Lane.OldRepeat] = "c~a2~abcdef", [Lane.New] = "c~b~abcdef" };
        var conversations = new[]
        {
            engine.JudgeConversation(new ConversationReplay(new Conversation { Id = "refund", UserId = "u-1", Tags = ["refunds"], Turns = [refund.Turn] }, [refund], true), laneIds),
            engine.JudgeConversation(new ConversationReplay(new Conversation { Id = "hello", UserId = "u-2", Source = ConversationSource.Synthetic, Turns = [failing.Turn, new Turn { Message = "bye" }] }, [failing], false), laneIds),
        };
        return engine.Finish(new RunResult
        {
            RunId = "20261130-041103-3fa2c1",
            Scenario = "unit",
            StartedAt = new DateTimeOffset(2026, 11, 30, 4, 11, 3, TimeSpan.Zero),
            FinishedAt = new DateTimeOffset(2026, 11, 30, 4, 12, 0, TimeSpan.Zero),
            Stacks = new RunStacks(new StackInfo("old", "http://127.0.0.1:5001/", "1.0"), new StackInfo("new", "http://127.0.0.1:5002/", null)),
            Seed = 42,
            Cancelled = true,
            Summary = VerdictEngine.Summarize(conversations),
            Conversations = conversations,
        });
    }

    [Test]
    public async Task WriteAsyncThenReadAsync_RunResult_RoundTripsEverything()
    {
        var run = SampleRun();

        var path = await ResultsFile.WriteAsync(run, _dir, CancellationToken.None);
        var back = await ResultsFile.ReadAsync(path, CancellationToken.None);

        Assert.That(path, Is.EqualTo(Path.Combine(_dir, ResultsFile.FileName)));
        Assert.That(Directory.GetFiles(_dir, "*.tmp"), Is.Empty);
        Assert.That(JsonSerializer.Serialize(back, DualStackJson.Options), Is.EqualTo(JsonSerializer.Serialize(run, DualStackJson.Options)));
        Assert.That(back.Conversations[0].Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(back.Conversations[0].Severity, Is.EqualTo(Severity.Critical));
        Assert.That(back.Conversations[0].LaneIds[Lane.OldRepeat], Is.EqualTo("c~a2~abcdef"));
        Assert.That(back.Conversations[1].Completed, Is.False);
        Assert.That(back.Conversations[1].Turns[0].New.Error!.Kind, Is.EqualTo(ObservationErrorKind.Connection));
        Assert.That(back.Conversations[1].Turns[0].OldRepeat, Is.Null);
        Assert.That(back.Conversations[0].Turns[0].New.SkillCalls![0].Arguments!.Value.GetProperty("amount").GetDecimal(), Is.EqualTo(27.5m));
        Assert.That(back.Summary.Regressions, Is.EqualTo(1));
        Assert.That(back.Summary.Errors, Is.EqualTo(1));
        Assert.That(back.Comparison.Skills.Mode, Is.EqualTo(TrajectoryMode.Unordered));
        Assert.That(back.Comparison.Skills.IgnoreArguments, Is.EqualTo(new[] { "$.idempotencyKey" }));
        Assert.That(back.Keys, Is.EqualTo(run.Keys));
        Assert.That(back.Cancelled, Is.True);
        Assert.That(back.StartedAt, Is.EqualTo(run.StartedAt));
    }

    [Test]
    public async Task WriteAsync_ExistingResults_IsReplaced()
    {
        var run = SampleRun();
        await ResultsFile.WriteAsync(run with { Scenario = "first" }, _dir, CancellationToken.None);

        var path = await ResultsFile.WriteAsync(run with { Scenario = "second" }, _dir, CancellationToken.None);

        Assert.That((await ResultsFile.ReadAsync(path, CancellationToken.None)).Scenario, Is.EqualTo("second"));
    }

    [TestCase("""{ "name": "demo", "conversations": [] }""")]
    [TestCase("[1, 2, 3]")]
    [TestCase("not json at all")]
    [TestCase("null")]
    public void ReadAsync_NotAResultsFile_ThrowsInvalidDataNamingPath(string content)
    {
        var path = Path.Combine(_dir, "scenario.json");
        File.WriteAllText(path, content);

        var ex = Assert.ThrowsAsync<InvalidDataException>(() => ResultsFile.ReadAsync(path, CancellationToken.None));

        Assert.That(ex!.Message, Does.Contain(path));
    }
}
