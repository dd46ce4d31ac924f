using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Verdicts;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Verdicts;

public sealed class VerdictEngineTests
{
    private const string Key = "skills.args:issue_refund.$.amount";

    private static readonly VerdictEngine Engine = new(new ComparisonConfig());

    private static readonly MemoryObservation SameMemory = MemoryOf(["prefers email"], ["asked about 4411"]);

    private static StackObservation Answer(string stack, string reply = "Refund of 25.00 USD approved for order 4411.", double amount = 25, MemoryObservation? memory = null) =>
        Ok(stack, reply, [Skill("issue_refund", $$"""{"orderId":"4411","amount":{{amount}}}""")], memory ?? SameMemory);

    private static IReadOnlyDictionary<Lane, string> LaneIds(string id) =>
        new Dictionary<Lane, string> { [Lane.Old] = id + "~a", [Lane.OldRepeat] = id + "~a2", [Lane.New] = id + "~b" };

    private static ConversationResult Judge(string id, params TurnReplay[] turns) =>
        Engine.JudgeConversation(new ConversationReplay(new Conversation { Id = id, UserId = "u-" + id, Turns = turns.Select(t => t.Turn).ToArray() }, turns, Completed: true), LaneIds(id));

    private static RunResult Draft(IReadOnlyList<ConversationResult> conversations) => new()
    {
        RunId = "20261130-000000-abcdef",
        Scenario = "unit",
        Stacks = new RunStacks(new StackInfo("old", "http://127.0.0.1:1/", "1.0"), new StackInfo("new", "http://127.0.0.1:2/", "2.0")),
        Summary = VerdictEngine.Summarize(conversations),
        Conversations = conversations,
    };

    [Test]
    public void JudgeTurn_EverythingSame_IsMatch()
    {
        var result = Engine.JudgeTurn(Replayed(Answer("old"), Answer("old"), Answer("new")));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
        Assert.That(result.Severity, Is.EqualTo(Severity.None));
        Assert.That(result.Dimensions.Select(d => d.Dimension), Is.EquivalentTo(new[] { Dimension.Reply, Dimension.Skills, Dimension.Memory, Dimension.Latency, Dimension.Errors }));
    }

    [Test]
    public void JudgeTurn_RefundAmountChanged_IsCriticalRegressionNamingSkillArgument()
    {
        var result = Engine.JudgeTurn(Replayed(Answer("old"), Answer("old"), Answer("new", "Refund of 27.50 USD approved for order 4411.", amount: 27.5)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Critical), "a wrong refund is a side effect in the real world");
        Assert.That(result.Reason, Does.StartWith("skills:").And.Contain("issue_refund $.amount: 25 → 27.5"));
        Assert.That(result.Dimensions.Single(d => d.Dimension == Dimension.Reply).Severity, Is.EqualTo(Severity.Major));
    }

    [Test]
    public void JudgeConversation_OnlyNotObservedBesidesMatches_IsNeverMatch()
    {
        var oldAnswer = Answer("old");
        var newAnswer = Ok("new", oldAnswer.Reply!, skillsNotObserved: true, memory: null);

        var result = Judge("c-openai", Replayed(oldAnswer, Answer("old"), newAnswer), Replayed(oldAnswer, Answer("old"), newAnswer, index: 1));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.NotObserved));
        Assert.That(result.Turns.SelectMany(t => t.Dimensions).Where(d => d.Verdict == Verdict.NotObserved).Select(d => d.Dimension).Distinct(), Is.EquivalentTo(new[] { Dimension.Skills, Dimension.Memory }));
        Assert.That(result.Reason, Does.Contain("not observed"));
    }

    [Test]
    public void JudgeTurn_NewAnswers500WhereOldAnswered_IsCriticalRegression()
    {
        var result = Engine.JudgeTurn(Replayed(Answer("old"), Answer("old"), Failed("new", ObservationErrorKind.HttpStatus, "HTTP 500: boom", 500)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Critical));
        Assert.That(result.Reason, Does.Contain("HTTP 500: boom"));
    }

    [Test]
    public void JudgeTurn_OldFailed_IsErrorNotRegression()
    {
        var result = Engine.JudgeTurn(Replayed(Failed("old", ObservationErrorKind.HttpStatus, "HTTP 503", 503), Answer("old"), Answer("new")));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Error));
        Assert.That(result.Severity, Is.EqualTo(Severity.None));
        Assert.That(result.Reason, Does.Contain("old stack failed"));
    }

    [Test]
    public void JudgeTurn_NewConnectionRefused_IsError()
    {
        var result = Engine.JudgeTurn(Replayed(Answer("old"), Answer("old"), Failed("new", ObservationErrorKind.Connection, "ConnectionRefused: Connection refused")));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Error));
        Assert.That(result.Reason, Does.Contain("unreachable"));
    }

    [Test]
    public void JudgeTurn_ExpectedSkillNotCalled_IsCriticalRegression()
    {
        var expect = new TurnExpectation { Skills = ["send_email"] };

        var result = Engine.JudgeTurn(Replayed(Answer("old"), Answer("old"), Answer("new"), expect: expect));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Critical));
        var expectations = result.Dimensions.Single(d => d.Dimension == Dimension.Expectations);
        Assert.That(expectations.Reason, Does.Contain("'send_email'"));
    }

    [Test]
    public void JudgeTurn_ExpectationsHold_IsMatch()
    {
        var expect = new TurnExpectation { Skills = ["issue_refund"], NoSkills = ["send_email"], ReplyContains = ["25.00"], WritesMemory = true };

        var result = Engine.JudgeTurn(Replayed(Answer("old"), Answer("old"), Answer("new"), expect: expect));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void JudgeConversation_IncompleteRun_IsErrorNotMatch()
    {
        var turn = Replayed(Answer("old"), Answer("old"), Answer("new"));
        var conversation = new Conversation { Id = "c", UserId = "u", Turns = [turn.Turn, new Turn { Message = "next" }] };

        var result = Engine.JudgeConversation(new ConversationReplay(conversation, [turn], Completed: false), LaneIds("c"));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Error));
        Assert.That(result.Completed, Is.False);
        Assert.That(result.Reason, Does.Contain("1 of 2"));
    }

    [Test]
    public void Finish_KeyAsFrequentOldVsOldAsOldVsNew_IsNotReportedAndTurnsBecomeNoise()
    {
        var conversations = Enumerable.Range(0, 100).Select(i => Judge($"c-{i:D3}", i switch
        {
            < 3 => Replayed(Answer("old"), Answer("old"), Answer("new", amount: 27.5)),
            < 6 => Replayed(Answer("old"), Answer("old", amount: 27.5), Answer("new")),
            _ => Replayed(Answer("old"), Answer("old"), Answer("new")),
        })).ToArray();
        Assert.That(conversations.Take(3).Select(c => c.Verdict), Has.All.EqualTo(Verdict.Regression), "before aggregation each turn regresses on its own");

        var result = Engine.Finish(Draft(conversations));

        var statistic = result.Keys.Single(k => k.Key == Key);
        Assert.That(statistic, Is.EqualTo(new KeyStatistic(Key, 100, 3, 3, Reported: false)));
        Assert.That(result.Conversations.Take(3).Select(c => c.Verdict), Has.All.EqualTo(Verdict.Noise));
        Assert.That(result.Conversations.Take(3).Select(c => c.Severity), Has.All.EqualTo(Severity.None));
        Assert.That(result.Summary.Regressions, Is.Zero);
        Assert.That(result.Summary.ByVerdict[Verdict.Noise], Is.EqualTo(3));
    }

    [TestCase(1, Verdict.Noise)]
    [TestCase(3, Verdict.Regression)]
    public void Finish_SlowNewTurns_LatencyReportedOnlyFromMinLatencyTurns(int slowTurns, Verdict expected)
    {
        var conversations = Enumerable.Range(0, 10).Select(i => Judge($"l-{i}", Replayed(
            Ok("old", "Hello!", memory: SameMemory, latencyMs: 20),
            Ok("old", "Hello!", memory: SameMemory, latencyMs: 22),
            Ok("new", "Hello!", memory: SameMemory, latencyMs: i < slowTurns ? 900 : 21)))).ToArray();

        var result = Engine.Finish(Draft(conversations));

        Assert.That(result.Conversations.Take(slowTurns).Select(c => c.Verdict), Has.All.EqualTo(expected), "one slow turn is a GC pause, three are a slower stack");
        Assert.That(result.Keys.Single(k => k.Key == "latency").Reported, Is.EqualTo(expected == Verdict.Regression));
    }

    [Test]
    public void Finish_RareKeyWithoutNoise_IsReportedAndStaysRegression()
    {
        var conversations = Enumerable.Range(0, 200).Select(i => Judge($"c-{i:D3}", i < 2
            ? Replayed(Answer("old"), Answer("old"), Answer("new", amount: 27.5))
            : Replayed(Answer("old"), Answer("old"), Answer("new")))).ToArray();

        var result = Engine.Finish(Draft(conversations));

        Assert.That(result.Keys.Single(k => k.Key == Key), Is.EqualTo(new KeyStatistic(Key, 200, 2, 0, Reported: true)));
        Assert.That(result.Conversations.Take(2).Select(c => c.Verdict), Has.All.EqualTo(Verdict.Regression));
        Assert.That(result.Summary.Regressions, Is.EqualTo(2));
        Assert.That(result.Summary.RegressionsBySeverity[Severity.Critical], Is.EqualTo(2));
        Assert.That(result.Summary.ByVerdict[Verdict.Match], Is.EqualTo(198));
    }

    /// <summary>Scores by marker words, so a test sets the similarities it needs.</summary>
    private sealed class MarkedSimilarity : ITextSimilarity
    {
        public string Name => "marked";

        public double Similarity(string a, string b) =>
            a == b ? 1 : a.Contains("variant", StringComparison.Ordinal) || b.Contains("variant", StringComparison.Ordinal) ? 0.30
            : a.Contains("newish", StringComparison.Ordinal) || b.Contains("newish", StringComparison.Ordinal) ? 0.33 : 0.95;
    }

    private static RunResult MeaningRun(bool oldVaries)
    {
        var engine = new VerdictEngine(new ComparisonConfig(), new MarkedSimilarity());
        var conversations = new List<ConversationResult>();
        for (var i = 0; i < 25; i++)
        {
            var old = $"the parcel is with the courier and arrives soon, turn {new string('x', i + 1)}";
            var repeat = oldVaries ? old + " variant wording" : old;
            conversations.Add(engine.JudgeConversation(
                new ConversationReplay(new Conversation { Id = $"c{i}", UserId = "u", Turns = [new Turn { Message = "where is my parcel" }] }, [Replayed(Ok("old", old), Ok("old", repeat), Ok("new", old))], Completed: true),
                LaneIds($"c{i}")));
        }

        const string oldReply = "the parcel is with the courier and arrives soon";
        conversations.Add(engine.JudgeConversation(
            new ConversationReplay(new Conversation { Id = "reworded", UserId = "u", Turns = [new Turn { Message = "where is my parcel" }] }, [Replayed(Ok("old", oldReply), Ok("old", oldReply), Ok("new", "newish: your parcel is out with the courier"))], Completed: true),
            LaneIds("reworded")));
        return engine.Finish(Draft(conversations));
    }

    [Test]
    public void Finish_OldStackVaries_MeaningCutOffCalibratedFromOldVersusOldSimilarities()
    {
        var reworded = MeaningRun(oldVaries: true).Conversations.Single(c => c.Conversation.Id == "reworded");
        var reply = reworded.Turns.Single().Dimensions.Single(d => d.Dimension == Dimension.Reply);

        Assert.That(reply.Reply!.Cutoff, Is.EqualTo(0.30).Within(1e-9), "5th percentile of the run's A-vs-A′ similarities");
        Assert.That(reply.Verdict, Is.Not.EqualTo(Verdict.Regression), reply.Reason);
        Assert.That(reply.Findings.Select(f => f.Key), Has.None.EqualTo(ReplyComparer.MeaningKey));
    }

    [Test]
    public void Finish_DeterministicOldStack_FixedMeaningThresholdApplies()
    {
        var reworded = MeaningRun(oldVaries: false).Conversations.Single(c => c.Conversation.Id == "reworded");
        var reply = reworded.Turns.Single().Dimensions.Single(d => d.Dimension == Dimension.Reply);

        Assert.That(reply.Reply!.Cutoff, Is.Null);
        Assert.That(reply.Findings.Select(f => f.Key), Does.Contain(ReplyComparer.MeaningKey), "0.33 is below the fixed 0.40");
    }
}
