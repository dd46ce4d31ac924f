using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Verdicts;

namespace DualStack.Core.Capture;

/// <summary>Turns stored shadow comparisons into a <see cref="RunResult"/>, so shadow traffic gets the same reports as verification runs.</summary>
public static class ShadowRun
{
    /// <summary>
    /// Judges every stored shadow turn (primary = old, shadow = new; live traffic has no A′, so noise comes only from
    /// the run-level aggregation and normalisation) and builds a run result named after the capture file.
    /// </summary>
    public static async Task<RunResult> BuildAsync(IShadowResultStore store, string sourceName, ComparisonConfig comparison, ITextSimilarity? semantic, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        var time = timeProvider ?? TimeProvider.System;
        var engine = new VerdictEngine(comparison, semantic);
        var conversations = new List<ConversationResult>();
        string? currentKey = null;
        var turns = new List<ShadowTurn>();
        string? oldUrl = null;
        string? newUrl = null;
        DateTimeOffset? first = null;
        DateTimeOffset? last = null;
        await foreach (var turn in store.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            first = first is null || turn.Timestamp < first ? turn.Timestamp : first;
            last = last is null || turn.Timestamp > last ? turn.Timestamp : last;
            oldUrl ??= turn.Primary.Stack;
            newUrl ??= turn.Shadow.Stack;
            if (currentKey is not null && turn.ConversationKey != currentKey)
            {
                conversations.Add(Judge(engine, turns));
                turns.Clear();
            }

            currentKey = turn.ConversationKey;
            turns.Add(turn);
        }

        if (turns.Count > 0)
        {
            conversations.Add(Judge(engine, turns));
        }

        var now = time.GetUtcNow();
        var stacks = new RunStacks(new StackInfo("old", "captured primary traffic", null), new StackInfo("new", "shadow stack", null));
        return engine.BuildRun(new RunHeader(VerificationRunner.NewRunId(now), "shadow:" + sourceName, first ?? now, last ?? now, stacks), conversations);
    }

    private static ConversationResult Judge(VerdictEngine engine, List<ShadowTurn> turns)
    {
        var first = turns[0];
        var conversation = new Conversation
        {
            Id = first.ConversationKey,
            UserId = first.UserId,
            Source = ConversationSource.Recorded,
            Tags = ["shadow"],
            Turns = turns.Select(t => new Turn { Message = t.Message }).ToArray(),
        };
        var replays = turns.Select(t => new TurnReplay(t.TurnIndex, new Turn { Message = t.Message }, t.Primary, null, t.Shadow)).ToArray();
        var lanes = new Dictionary<Lane, string> { [Lane.Old] = first.Primary.ConversationId, [Lane.New] = first.Shadow.ConversationId };
        return engine.JudgeConversation(new ConversationReplay(conversation, replays, Completed: true), lanes);
    }
}
