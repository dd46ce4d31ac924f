using System.Text;
using DualStack.Core.Judgement;
using DualStack.Core.Reports;
using DualStack.Core.Results;
using DualStack.TestUtils;

[assembly: Allure]

namespace DualStack.Verification;

/// <summary>Phase 2 verification: one test case per conversation (scripted and synthetic), failing on a regression with its reason and diff.</summary>
[Category("verification")]
public sealed class ConversationVerificationTests
{
    public static IEnumerable<TestCaseData> Conversations()
    {
        var settings = VerificationSettings.FromTestParameters();
        var scenario = settings.LoadScenario();
        foreach (var conversation in settings.Conversations(scenario))
        {
            yield return new TestCaseData(conversation.Id)
                .SetName($"Verify_{conversation.Id}")
                .SetCategory(conversation.Source.ToString().ToLowerInvariant());
        }
    }

    [TestCaseSource(nameof(Conversations))]
    public void Verify(string conversationId)
    {
        var run = VerificationRun.Result;
        var found = run.Conversations.SingleOrDefault(c => c.Conversation.Id == conversationId);
        Assert.That(found, Is.Not.Null, $"conversation '{conversationId}' was not replayed (run cancelled?)");
        var conversation = found!;
        Annotate(run, conversation);

        var outcome = VerificationRun.Outcome;
        var policy = outcome.Policy;
        if (policy.Fails(conversation))
        {
            Assert.Fail($"{conversation.Severity} regression (failOn {Name(policy.FailOn)}): {conversation.Reason}{Environment.NewLine}{Explain(conversation)}");
        }

        if (RunOutcome.HasError(conversation))
        {
            if (!outcome.ErrorsTolerated)
            {
                throw new StackErrorException($"could not judge: {conversation.Reason}{Environment.NewLine}{outcome.Message}{Environment.NewLine}{Explain(conversation)}");
            }

            Allure.OverrideStatus(AllureStatus.Unknown);
            Assert.Inconclusive($"could not judge (tolerated: {outcome.Errored} of {outcome.Conversations} conversations errored, maxErrors {policy.MaxErrors.ToString(System.Globalization.CultureInfo.InvariantCulture)}): {conversation.Reason}");
        }

        switch (conversation.Verdict)
        {
            case Verdict.Regression:
                // Below failOn: reported (Allure, HTML report, this output), never failing.
                TestContext.Out.WriteLine($"{conversation.Severity} regression below failOn {Name(policy.FailOn)}, reported, not failing: {conversation.Reason}{Environment.NewLine}{Explain(conversation)}");
                break;
            case Verdict.NotObserved:
                Allure.OverrideStatus(AllureStatus.Unknown);
                Assert.Inconclusive($"not observed: {conversation.Reason}");
                break;
            default:
                TestContext.Out.WriteLine($"{conversation.Verdict}: {conversation.Reason}");
                break;
        }
    }

    /// <summary>The run as a whole: a run that could not judge (nothing judged, errors beyond maxErrors) never passes.</summary>
    [Test]
    public void Run_Outcome_IsNotCouldNotJudge()
    {
        var outcome = VerificationRun.Outcome;

        Assert.That(outcome.Kind, Is.Not.EqualTo(RunOutcomeKind.CouldNotJudge), outcome.Message);
    }

    private static string Name(Severity severity) => severity.ToString().ToLowerInvariant();

    private static void Annotate(RunResult run, ConversationResult conversation)
    {
        foreach (var label in AllureConversion.Labels(run, conversation).Where(l => l.Name is "epic" or "feature" or "severity" or "subSuite"))
        {
            Allure.Label(label.Name, label.Value);
        }

        Allure.Parameter("old", run.Stacks.Old.Url);
        Allure.Parameter("new", run.Stacks.New.Url);
        Allure.AddSteps(AllureConversion.Steps(conversation, AllureWriter.Millis(run.StartedAt)));
        if (conversation.Verdict != Verdict.Match)
        {
            Allure.Attach("side-by-side diff", "text/html", "html", HtmlReport.RenderConversationDocument(run, conversation));
        }
    }

    /// <summary>A plain-text account of every non-matching turn: reasons, the word diff of the replies, skill and memory findings.</summary>
    internal static string Explain(ConversationResult conversation)
    {
        var text = new StringBuilder();
        foreach (var turn in conversation.Turns.Where(t => t.Verdict is not (Verdict.Match or Verdict.Noise)))
        {
            text.AppendLine($"turn {turn.Index + 1}: \"{turn.Message}\"");
            foreach (var d in turn.Dimensions.Where(d => d.Verdict is Verdict.Regression or Verdict.Error or Verdict.NotObserved))
            {
                text.AppendLine($"  {d.Dimension.ToString().ToLowerInvariant()} {d.Verdict}{(d.Verdict == Verdict.Regression ? " " + d.Severity.ToString().ToLowerInvariant() : string.Empty)}: {d.Reason}");
            }

            if (turn.Dimensions.FirstOrDefault(d => d.Dimension == Dimension.Reply)?.Reply is { } reply && reply.Diff.Any(s => s.Kind != DiffKind.Equal))
            {
                text.Append("  reply diff: ");
                foreach (var segment in reply.Diff)
                {
                    text.Append(segment.Kind switch { DiffKind.Deleted => $"[-{segment.Text}-]", DiffKind.Inserted => $"{{+{segment.Text}+}}", _ => segment.Text });
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }
}

/// <summary>The harness could not compare a conversation (old stack failed, a stack unreachable): reported as broken, not failed.</summary>
public sealed class StackErrorException(string message) : Exception(message);
