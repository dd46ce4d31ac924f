using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;
using DualStack.Core.Verdicts;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Support;

/// <summary>Hand-built judged runs, so exit policies are tested apart from the judge that decides the verdicts.</summary>
internal static class Runs
{
    public static TurnResult Turn(Verdict verdict, Severity severity = Severity.None, Verdict? dimension = null) => new()
    {
        Message = "hello",
        Old = Ok("old", "hi"),
        New = verdict == Verdict.Error ? Failed("new", ObservationErrorKind.Connection, "connection refused") : Ok("new", "hi"),
        Verdict = verdict,
        Severity = severity,
        Reason = verdict.ToString(),
        Dimensions = [new DimensionResult { Dimension = Dimension.Reply, Verdict = dimension ?? verdict, Severity = severity, Reason = "unit" }],
    };

    public static ConversationResult Conversation(string id, params TurnResult[] turns) => Conversation(id, completed: true, turns);

    public static ConversationResult Conversation(string id, bool completed, params TurnResult[] turns)
    {
        var verdict = turns.Length == 0 ? Verdict.Error : turns.Max(t => t.Verdict);
        return new ConversationResult
        {
            Conversation = new Conversation { Id = id, UserId = "u-" + id, Turns = turns.Select(t => new Turn { Message = t.Message }).ToArray() },
            LaneIds = new Dictionary<Lane, string>(),
            Turns = turns,
            Verdict = verdict,
            Severity = verdict == Verdict.Regression ? turns.Max(t => t.Severity) : Severity.None,
            Reason = verdict.ToString(),
            Completed = completed,
        };
    }

    public static RunResult Run(bool cancelled = false, params ConversationResult[] conversations) => new()
    {
        RunId = "20261130-000000-abcdef",
        Scenario = "unit",
        Stacks = new RunStacks(new StackInfo("old", "http://127.0.0.1:1/", null), new StackInfo("new", "http://127.0.0.1:2/", null)),
        Summary = VerdictEngine.Summarize(conversations),
        Conversations = conversations,
        Cancelled = cancelled,
    };

    public static RunResult Run(params ConversationResult[] conversations) => Run(false, conversations);
}
