using DualStack.Core.Comparison;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Verdicts;

namespace DualStack.Core.Runs;

/// <summary>Everything one verification run needs.</summary>
public sealed record VerificationRequest
{
    /// <summary>The scenario (settings and scripted conversations).</summary>
    public required Scenario Scenario { get; init; }

    /// <summary>Old stack.</summary>
    public required IAgentStack Old { get; init; }

    /// <summary>New stack.</summary>
    public required IAgentStack New { get; init; }

    /// <summary>Conversations to replay (scripted, synthetic, recorded).</summary>
    public required IReadOnlyList<Conversation> Conversations { get; init; }

    /// <summary>Meaning similarity; null = lexical only.</summary>
    public ITextSimilarity? Semantic { get; init; }

    /// <summary>Run id; default: UTC timestamp plus a random suffix.</summary>
    public string? RunId { get; init; }

    /// <summary>Synthetic seed, recorded in the result.</summary>
    public int? Seed { get; init; }
}

/// <summary>Replays, judges and aggregates one run.</summary>
public static class VerificationRunner
{
    /// <summary>Runs the verification; cancellation returns what completed with <see cref="RunResult.Cancelled"/> set.</summary>
    public static async Task<RunResult> RunAsync(VerificationRequest request, IProgress<ReplayProgress>? progress, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        var time = timeProvider ?? TimeProvider.System;
        var started = time.GetUtcNow();
        var runId = request.RunId ?? NewRunId(started);
        var oldHealth = await request.Old.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        var newHealth = await request.New.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        var replayer = new Replayer(request.Old, request.New, request.Scenario.Replay, time);
        if (request.Scenario.Replay.Warmup)
        {
            var warmup = new TurnRequest { ConversationId = replayer.LaneId("warmup", Lane.Old), UserId = replayer.LaneId("warmup", Lane.Old), Message = "hello" };
            await Task.WhenAll(
                request.Old.SendTurnAsync(warmup, cancellationToken).AsTask(),
                request.New.SendTurnAsync(warmup with { ConversationId = replayer.LaneId("warmup", Lane.New), UserId = replayer.LaneId("warmup", Lane.New) }, cancellationToken).AsTask()).ConfigureAwait(false);
        }

        var replays = await replayer.RunAsync(request.Conversations, progress, cancellationToken).ConfigureAwait(false);
        var engine = new VerdictEngine(request.Scenario.Comparison, request.Semantic);
        var conversations = replays.Select(r =>
        {
            var lanes = new Dictionary<Lane, string>
            {
                [Lane.Old] = replayer.LaneId(r.Conversation.Id, Lane.Old),
                [Lane.OldRepeat] = replayer.LaneId(r.Conversation.Id, Lane.OldRepeat),
                [Lane.New] = replayer.LaneId(r.Conversation.Id, Lane.New),
            };
            if (request.Scenario.Replay.RepeatNew)
            {
                lanes[Lane.NewRepeat] = replayer.LaneId(r.Conversation.Id, Lane.NewRepeat);
            }

            return engine.JudgeConversation(r, lanes);
        }).ToArray();
        var stacks = new RunStacks(
            new StackInfo(request.Old.Name, request.Old.BaseAddress.GetLeftPart(UriPartial.Path), oldHealth.Version),
            new StackInfo(request.New.Name, request.New.BaseAddress.GetLeftPart(UriPartial.Path), newHealth.Version));
        var header = new RunHeader(runId, request.Scenario.Name, started, time.GetUtcNow(), stacks)
        {
            Seed = request.Seed,
            Cancelled = cancellationToken.IsCancellationRequested || replays.Count < request.Conversations.Count || replays.Any(r => !r.Completed),
        };
        return engine.BuildRun(header, conversations);
    }

    /// <summary>A sortable, unique run id such as <c>20261130-041103-3fa2c1</c>.</summary>
    public static string NewRunId(DateTimeOffset now) => $"{now.UtcDateTime:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
}
