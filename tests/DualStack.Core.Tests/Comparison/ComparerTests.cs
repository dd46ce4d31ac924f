using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Comparison;

public sealed class ComparerTests
{
    private static readonly ReplyComparer Reply = new(new ReplyComparisonConfig());

    private static SkillComparer Skills(TrajectoryMode mode = TrajectoryMode.Strict, params string[] ignore) =>
        new(new SkillComparisonConfig { Mode = mode, IgnoreArguments = ignore });

    private static MemoryComparer CreateMemoryComparer() => new(new MemoryComparisonConfig(), new TextNormalizer(new ReplyComparisonConfig()));

    private static readonly LatencyComparer Latency = new(new LatencyComparisonConfig { MaxRatio = 2, MinExtraMs = 250 });

    private static DimensionResult CompareSkills(SkillComparer comparer, SkillCall[] old, SkillCall[] @new) =>
        comparer.Compare(Replayed(Ok("old", "ok", old), Ok("old", "ok", old), Ok("new", "ok", @new)));

    // ---- reply ----

    [Test]
    public void ReplyCompare_RewordedWithSameFacts_IsMatch()
    {
        const string old = "Your order 4411 has shipped and will arrive on 2026-12-02.";
        const string @new = "Good news: order 4411 shipped today, it should arrive on 2026-12-02.";

        var result = Reply.Compare(Replayed(Ok("old", old), Ok("old", old), Ok("new", @new)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
        Assert.That(result.Reply!.Lexical, Is.GreaterThan(new ReplyComparisonConfig().LexicalThreshold).And.LessThan(1));
        Assert.That(result.Reason, Does.Contain("reworded"));
        Assert.That(result.Reply.NewFacts, Is.EqualTo(result.Reply.OldFacts));
    }

    [Test]
    public void ReplyCompare_ChangedRefundAmount_IsMajorRegressionNamingBothAmounts()
    {
        const string old = "Refund of 25.00 USD approved for order 4411.";
        const string @new = "Refund of 27.50 USD approved for order 4411.";

        var result = Reply.Compare(Replayed(Ok("old", old), Ok("old", old), Ok("new", @new)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Major));
        Assert.That(result.Reason, Does.Contain("25.00").And.Contain("27.50"));
        Assert.That(result.Findings.Select(f => f.Key), Does.Contain("reply.facts.amount"));
        Assert.That(result.Reply!.Diff.Where(d => d.Kind == DiffKind.Inserted).Select(d => d.Text), Is.EqualTo(new[] { "27.50" }));
    }

    [Test]
    public void ReplyCompare_DifferenceAlsoBetweenOldRuns_IsNoise()
    {
        var result = Reply.Compare(Replayed(
            Ok("old", "Your ETA is 3 days for order 4411."),
            Ok("old", "Your ETA is 4 days for order 4411."),
            Ok("new", "Your ETA is 5 days for order 4411.")));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Noise), result.Reason);
        Assert.That(result.Severity, Is.EqualTo(Severity.None));
        Assert.That(result.NoiseFindings.Select(f => f.Key), Does.Contain("reply.facts.quantity"));
    }

    [Test]
    public void ReplyCompare_UnrelatedReply_IsMeaningRegression()
    {
        const string old = "Your order 4411 has shipped and will arrive soon.";

        var result = Reply.Compare(Replayed(Ok("old", old), Ok("old", old), Ok("new", "Sorry, I cannot help with that request.")));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Findings.Select(f => f.Key), Does.Contain("reply.meaning"));
    }

    [Test]
    public void ReplyCompare_DifferentRefsAndTimestampsOnly_IsMatch()
    {
        var result = Reply.Compare(Replayed(
            Ok("old", "Refund approved (ref REF-1A2B3C, 2026-11-30T04:11:03Z)."),
            Ok("old", "Refund approved (ref REF-7Q7Q7Q, 2026-11-30T04:11:04Z)."),
            Ok("new", "Refund approved (ref REF-9Z8Y7X, 2026-11-30T04:12:00Z).")));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    // ---- skills ----

    [Test]
    public void SkillCompare_StrictMissingCall_IsCriticalRegressionNamingSkill()
    {
        var result = CompareSkills(Skills(), [Skill("lookup_order"), Skill("issue_refund")], [Skill("lookup_order")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Critical));
        Assert.That(result.Reason, Does.Contain("'issue_refund'"));
        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "skills.missing:issue_refund" }));
    }

    [Test]
    public void SkillCompare_StrictExtraCall_IsRegressionNamingSkill()
    {
        var result = CompareSkills(Skills(), [Skill("lookup_order")], [Skill("lookup_order"), Skill("send_email")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "skills.extra:send_email" }));
        Assert.That(result.Reason, Does.Contain("'send_email'"));
    }

    [Test]
    public void SkillCompare_StrictOrderChange_ReportsSkillsOrder()
    {
        var result = CompareSkills(Skills(), [Skill("lookup_order"), Skill("issue_refund")], [Skill("issue_refund"), Skill("lookup_order")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "skills.order" }));
        Assert.That(result.Reason, Does.Contain("lookup_order → issue_refund").And.Contain("issue_refund → lookup_order"));
    }

    [Test]
    public void SkillCompare_UnorderedOrderChange_IsMatch()
    {
        var result = CompareSkills(Skills(TrajectoryMode.Unordered), [Skill("lookup_order"), Skill("issue_refund")], [Skill("issue_refund"), Skill("lookup_order")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void SkillCompare_UnorderedMissingCall_IsStillRegression()
    {
        var result = CompareSkills(Skills(TrajectoryMode.Unordered), [Skill("lookup_order"), Skill("issue_refund")], [Skill("issue_refund")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
    }

    [Test]
    public void SkillCompare_SubsetMissingCall_IsTolerated()
    {
        var result = CompareSkills(Skills(TrajectoryMode.Subset), [Skill("lookup_order"), Skill("issue_refund")], [Skill("issue_refund")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void SkillCompare_SubsetExtraCall_IsRegression()
    {
        var result = CompareSkills(Skills(TrajectoryMode.Subset), [Skill("lookup_order")], [Skill("lookup_order"), Skill("issue_refund")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "skills.extra:issue_refund" }));
    }

    [Test]
    public void SkillCompare_SupersetExtraCall_IsTolerated()
    {
        var result = CompareSkills(Skills(TrajectoryMode.Superset), [Skill("lookup_order")], [Skill("lookup_order"), Skill("send_email")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void SkillCompare_SupersetMissingCall_IsRegression()
    {
        var result = CompareSkills(Skills(TrajectoryMode.Superset), [Skill("lookup_order"), Skill("issue_refund")], [Skill("lookup_order")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "skills.missing:issue_refund" }));
    }

    [Test]
    public void SkillCompare_ArgumentChanged_ReportsPathAndBothValues()
    {
        var result = CompareSkills(
            Skills(),
            [Skill("issue_refund", """{"orderId":"4411","amount":25}""")],
            [Skill("issue_refund", """{"orderId":"4411","amount":27.5}""")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Critical));
        Assert.That(result.Reason, Does.Contain("issue_refund $.amount: 25 → 27.5"));
        Assert.That(result.Findings.Single().Key, Is.EqualTo("skills.args:issue_refund.$.amount"));
    }

    [Test]
    public void SkillCompare_NestedArgumentChanged_ReportsNestedPath()
    {
        var result = CompareSkills(
            Skills(),
            [Skill("update_address", """{"address":{"lines":["1 High Street","Leeds"]}}""")],
            [Skill("update_address", """{"address":{"lines":["1 High Street","York"]}}""")]);

        Assert.That(result.Reason, Does.Contain("$.address.lines[1]").And.Contain("Leeds").And.Contain("York"));
    }

    [Test]
    public void SkillCompare_IgnoredArgumentPaths_AreNotCompared()
    {
        var comparer = Skills(TrajectoryMode.Strict, "$.idempotencyKey", "issue_refund:$.reason");

        var result = CompareSkills(
            comparer,
            [Skill("issue_refund", """{"orderId":"4411","idempotencyKey":"k-1","reason":"damaged"}"""), Skill("send_email", """{"idempotencyKey":"k-2"}""")],
            [Skill("issue_refund", """{"orderId":"4411","idempotencyKey":"k-9","reason":"broken"}"""), Skill("send_email", """{"idempotencyKey":"k-8"}""")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void SkillCompare_IgnoreRuleForOtherSkill_StillComparesThisSkill()
    {
        var comparer = Skills(TrajectoryMode.Strict, "issue_refund:$.reason");

        var result = CompareSkills(
            comparer,
            [Skill("send_email", """{"reason":"refund approved"}""")],
            [Skill("send_email", """{"reason":"refund denied"}""")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Reason, Does.Contain("send_email $.reason"));
    }

    [Test]
    public void SkillCompare_NumbersWithDifferentFormatting_AreEqual()
    {
        var result = CompareSkills(Skills(), [Skill("issue_refund", """{"amount":25}""")], [Skill("issue_refund", """{"amount":25.0}""")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void SkillCompare_LaneSpecificIdsInArguments_AreEqual()
    {
        var result = CompareSkills(Skills(), [Skill("lookup_customer", """{"userId":"u-1~a~3fa2c1"}""")], [Skill("lookup_customer", """{"userId":"u-1~b~3fa2c1"}""")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }

    [Test]
    public void SkillCompare_StatusChanged_IsRegression()
    {
        var result = CompareSkills(Skills(), [Skill("issue_refund", "{}", "ok")], [Skill("issue_refund", "{}", "error")]);

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Reason, Does.Contain("issue_refund status: ok → error"));
    }

    [Test]
    public void SkillCompare_NewDoesNotExposeSkills_IsNotObserved()
    {
        var result = Skills().Compare(Replayed(Ok("old", "ok", [Skill("lookup_order")]), null, Ok("new", "ok", skillsNotObserved: true)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.NotObserved));
        Assert.That(result.Reason, Does.Contain("not observed"));
    }

    // ---- memory ----

    [Test]
    public void MemoryCompare_NewRetrievesFewer_IsMajorRegressionWithRecallBelowOne()
    {
        var old = MemoryOf(["prefers email", "dog is called Rex"], []);
        var @new = MemoryOf(["prefers email"], []);

        var result = CreateMemoryComparer().Compare(Replayed(Ok("old", "ok", memory: old), Ok("old", "ok", memory: old), Ok("new", "ok", memory: @new)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Major));
        Assert.That(result.Memory!.RetrievedRecall, Is.EqualTo(0.5).Within(1e-9));
        Assert.That(result.Reason, Does.Contain("dog is called rex"));
    }

    [Test]
    public void MemoryCompare_WrittenEntryMissing_IsRegression()
    {
        var old = MemoryOf([], ["prefers email"]);
        var @new = MemoryOf([], []);

        var result = CreateMemoryComparer().Compare(Replayed(Ok("old", "ok", memory: old), Ok("old", "ok", memory: old), Ok("new", "ok", memory: @new)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "memory.written.missing" }));
    }

    [Test]
    public void MemoryCompare_SameMemoryDifferentIds_IsMatch()
    {
        var old = MemoryOf(["prefers email"], ["asked about 4411"]);
        var @new = new MemoryObservation
        {
            Retrieved = [new MemoryHit { Id = "other-1", Text = "Prefers  email", Score = 0.5 }],
            Written = [new MemoryHit { Id = "other-2", Text = "asked about 4411" }],
        };

        var result = CreateMemoryComparer().Compare(Replayed(Ok("old", "ok", memory: old), Ok("old", "ok", memory: old), Ok("new", "ok", memory: @new)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
        Assert.That(result.Memory!.RetrievedJaccard, Is.EqualTo(1));
    }

    [Test]
    public void MemoryCompare_NewDoesNotExposeMemory_IsNotObserved()
    {
        var old = MemoryOf(["prefers email"], []);

        var result = CreateMemoryComparer().Compare(Replayed(Ok("old", "ok", memory: old), null, Ok("new", "ok", memory: null)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.NotObserved));
        Assert.That(result.Reason, Does.Contain("'new'"));
    }

    // ---- latency ----

    [Test]
    public void LatencyCompare_NewMuchSlower_IsMinorRegression()
    {
        var result = Latency.Compare(Replayed(Ok("old", "ok", latencyMs: 100), Ok("old", "ok", latencyMs: 120), Ok("new", "ok", latencyMs: 1000)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression));
        Assert.That(result.Severity, Is.EqualTo(Severity.Minor));
        Assert.That(result.Reason, Does.Contain("1000 ms"));
    }

    [Test]
    public void LatencyCompare_NewSlowerButOldRepeatEquallySlow_IsNoise()
    {
        var result = Latency.Compare(Replayed(Ok("old", "ok", latencyMs: 100), Ok("old", "ok", latencyMs: 950), Ok("new", "ok", latencyMs: 1000)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Noise), result.Reason);
    }

    [Test]
    public void LatencyCompare_SlightlySlower_IsMatch()
    {
        var result = Latency.Compare(Replayed(Ok("old", "ok", latencyMs: 100), Ok("old", "ok", latencyMs: 110), Ok("new", "ok", latencyMs: 300)));

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
    }
}
