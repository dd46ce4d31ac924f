using DualStack.Core.Judgement;
using DualStack.Core.Results;
using static DualStack.Core.Tests.Support.Runs;

namespace DualStack.Core.Tests.Results;

/// <summary>The one exit policy: 0 ok, 1 regression at or above fail-on, 3 could not judge.</summary>
public sealed class RunOutcomeTests
{
    [Test]
    public void Evaluate_AllMatch_IsOkExitZero()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Match)), Conversation("b", Turn(Verdict.Noise))));

        Assert.That(outcome.Kind, Is.EqualTo(RunOutcomeKind.Ok), outcome.Message);
        Assert.That(outcome.ExitCode, Is.Zero);
    }

    [Test]
    public void Evaluate_OnlyMinorRegressionUnderDefault_IsOkButReportsIt()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Regression, Severity.Minor)), Conversation("b", Turn(Verdict.Match))));

        Assert.That(outcome.ExitCode, Is.Zero, outcome.Message);
        Assert.That(outcome.BelowFailOn, Is.EqualTo(1));
        Assert.That(outcome.Message, Does.Contain("1 below major reported, not failing"));
    }

    [TestCase(Severity.Minor, Severity.Minor, 1)]
    [TestCase(Severity.Major, Severity.Minor, 0)]
    [TestCase(Severity.Major, Severity.Major, 1)]
    [TestCase(Severity.Critical, Severity.Major, 0)]
    [TestCase(Severity.Critical, Severity.Critical, 1)]
    public void Evaluate_RegressionAgainstFailOn_ExitsOneOnlyAtOrAbove(Severity failOn, Severity found, int expected)
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Regression, found))), new RunPolicy(failOn));

        Assert.That(outcome.ExitCode, Is.EqualTo(expected), outcome.Message);
    }

    [Test]
    public void Evaluate_ErrorUnderDefault_IsCouldNotJudgeExitThree()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Match)), Conversation("b", Turn(Verdict.Error))));

        Assert.That(outcome.Kind, Is.EqualTo(RunOutcomeKind.CouldNotJudge), outcome.Message);
        Assert.That(outcome.ExitCode, Is.EqualTo(3));
        Assert.That(outcome.Message, Does.Contain("1 of 2 conversations errored"));
    }

    [TestCase(0.5, 0)]
    [TestCase(0.49, 3)]
    [TestCase(1.0, 0)]
    public void Evaluate_ErrorShareAgainstMaxErrors_FailsOnlyAboveIt(double maxErrors, int expected)
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Match)), Conversation("b", Turn(Verdict.Error))), new RunPolicy(MaxErrors: maxErrors));

        Assert.That(outcome.ExitCode, Is.EqualTo(expected), outcome.Message);
        Assert.That(outcome.ErrorsTolerated, Is.EqualTo(expected == 0));
    }

    [Test]
    public void Evaluate_RegressionAndErrors_RegressionWinsExitOne()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Regression, Severity.Critical)), Conversation("b", Turn(Verdict.Error))));

        Assert.That(outcome.ExitCode, Is.EqualTo(1), outcome.Message);
        Assert.That(outcome.Message, Does.Contain("also 1 of 2 conversations errored"));
    }

    [Test]
    public void Evaluate_MinorRegressionAndErrors_ErrorsDecideExitThree()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Regression, Severity.Minor)), Conversation("b", Turn(Verdict.Error))));

        Assert.That(outcome.ExitCode, Is.EqualTo(3), outcome.Message);
    }

    [Test]
    public void Evaluate_ErrorHiddenBehindMinorRegressionInSameConversation_StillCounted()
    {
        // The conversation verdict is Regression (it ranks above Error), but its second turn could not be judged.
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Regression, Severity.Minor), Turn(Verdict.Error)), Conversation("b", Turn(Verdict.Match))));

        Assert.That(outcome.Errored, Is.EqualTo(1));
        Assert.That(outcome.ExitCode, Is.EqualTo(3), outcome.Message);
    }

    [Test]
    public void Evaluate_ErrorDimensionInsideRegressedTurn_StillCounted()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Regression, Severity.Minor, dimension: Verdict.Error))));

        Assert.That(outcome.Errored, Is.EqualTo(1), outcome.Message);
    }

    [Test]
    public void Evaluate_IncompleteConversation_CountsAsErrored()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", completed: false, Turn(Verdict.Match)), Conversation("b", Turn(Verdict.Match))));

        Assert.That(outcome.Errored, Is.EqualTo(1));
        Assert.That(outcome.ExitCode, Is.EqualTo(3), outcome.Message);
    }

    [Test]
    public void Evaluate_NoConversations_NeverOkEvenWithFullAllowance()
    {
        var outcome = RunOutcome.Evaluate(Run(), new RunPolicy(MaxErrors: 1));

        Assert.That(outcome.ExitCode, Is.EqualTo(3), outcome.Message);
        Assert.That(outcome.NothingJudged, Is.True);
    }

    [Test]
    public void Evaluate_EveryTurnErrored_NeverOkEvenWithFullAllowance()
    {
        var outcome = RunOutcome.Evaluate(Run(Conversation("a", Turn(Verdict.Error)), Conversation("b", Turn(Verdict.Error), Turn(Verdict.Error))), new RunPolicy(MaxErrors: 1));

        Assert.That(outcome.ExitCode, Is.EqualTo(3), outcome.Message);
        Assert.That(outcome.Message, Does.Contain("nothing was judged"));
        Assert.That(outcome.ErrorsTolerated, Is.False);
    }

    [Test]
    public void Evaluate_CancelledRun_IsCouldNotJudge()
    {
        var outcome = RunOutcome.Evaluate(Run(cancelled: true, Conversation("a", Turn(Verdict.Match))), new RunPolicy(MaxErrors: 1));

        Assert.That(outcome.ExitCode, Is.EqualTo(3), outcome.Message);
    }

    [TestCase("minor", Severity.Minor)]
    [TestCase("Major", Severity.Major)]
    [TestCase("CRITICAL", Severity.Critical)]
    public void TryParseFailOn_KnownValue_Parses(string value, Severity expected)
    {
        Assert.That(RunPolicy.TryParseFailOn(value, out var severity), Is.True);
        Assert.That(severity, Is.EqualTo(expected));
    }

    [TestCase("severe")]
    [TestCase("none")]
    [TestCase("")]
    [TestCase(null)]
    public void TryParseFailOn_UnknownValue_IsRejected(string? value)
    {
        Assert.That(RunPolicy.TryParseFailOn(value, out _), Is.False);
    }

    [TestCase("0", true)]
    [TestCase("0.25", true)]
    [TestCase("1", true)]
    [TestCase("1.5", false)]
    [TestCase("-0.1", false)]
    [TestCase("five", false)]
    [TestCase("NaN", false)]
    public void TryParseMaxErrors_Share_AcceptsOnlyZeroToOne(string value, bool expected)
    {
        Assert.That(RunPolicy.TryParseMaxErrors(value, out _), Is.EqualTo(expected));
    }
}
