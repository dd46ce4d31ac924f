using System.Diagnostics;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;

namespace DualStack.Core.Replay;

/// <summary>A conversation as replayed: the turns that completed, in order.</summary>
/// <param name="Conversation">The source conversation.</param>
/// <param name="Turns">Completed turns.</param>
/// <param name="Completed">False when the run was cancelled before the last turn.</param>
public sealed record ConversationReplay(Conversation Conversation, IReadOnlyList<TurnReplay> Turns, bool Completed);

/// <summary>Progress of a replay.</summary>
/// <param name="ConversationsDone">Conversations finished.</param>
/// <param name="ConversationsTotal">Conversations in the run.</param>
/// <param name="TurnsDone">Turns finished (all lanes answered).</param>
/// <param name="StackErrors">Observations with an error so far.</param>
public sealed record ReplayProgress(int ConversationsDone, int ConversationsTotal, int TurnsDone, int StackErrors);

/// <summary>
/// Sends conversations turn by turn to the old stack twice (A, A′) and to the new stack (B). Conversations run in
/// parallel; turns run in order within a conversation; each lane has its own conversation and user ids so state never crosses.
/// </summary>
public sealed class Replayer
{
    private readonly IAgentStack _old;
    private readonly IAgentStack _new;
    private readonly ReplayConfig _config;
    private readonly TimeProvider _time;
    private readonly string _runTag;
    private readonly RateLimiter? _limiter;

    /// <summary>Creates a replayer; <paramref name="runTag"/> makes lane ids unique per run (default: random).</summary>
    public Replayer(IAgentStack oldStack, IAgentStack newStack, ReplayConfig config, TimeProvider? timeProvider = null, string? runTag = null)
    {
        _old = oldStack;
        _new = newStack;
        _config = config;
        _time = timeProvider ?? TimeProvider.System;
        _runTag = runTag ?? Guid.NewGuid().ToString("N")[..6];
        _limiter = config.TurnsPerSecond > 0 ? new RateLimiter(config.TurnsPerSecond, _time) : null;
    }

    /// <summary>The id a lane uses for a conversation or user id.</summary>
    public string LaneId(string id, Lane lane) => $"{id}~{lane switch { Lane.Old => "a", Lane.OldRepeat => "a2", Lane.NewRepeat => "b2", _ => "b" }}~{_runTag}";

    /// <summary>
    /// Replays every conversation. On cancellation the replay stops starting turns and returns what completed
    /// (partial conversations are marked incomplete); it never throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<IReadOnlyList<ConversationReplay>> RunAsync(IReadOnlyList<Conversation> conversations, IProgress<ReplayProgress>? progress, CancellationToken cancellationToken)
    {
        var results = new ConversationReplay?[conversations.Count];
        var done = 0;
        var turnsDone = 0;
        var errors = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _config.Concurrency), CancellationToken = cancellationToken };
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, conversations.Count), options, async (index, _) =>
            {
                var replay = await ReplayOneAsync(conversations[index], onTurn: turn =>
                {
                    Interlocked.Increment(ref turnsDone);
                    var failed = (turn.Old.Succeeded ? 0 : 1) + (turn.OldRepeat is { Succeeded: false } ? 1 : 0) + (turn.New.Succeeded ? 0 : 1);
                    Interlocked.Add(ref errors, failed);
                }, cancellationToken).ConfigureAwait(false);
                results[index] = replay;
                var finished = Interlocked.Increment(ref done);
                progress?.Report(new ReplayProgress(finished, conversations.Count, Volatile.Read(ref turnsDone), Volatile.Read(ref errors)));
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Keep what was done: conversations not started are simply absent.
        }

        // A conversation cut off before its first turn completed holds nothing worth judging.
        return results.Where(r => r is { } replay && (replay.Completed || replay.Turns.Count > 0)).Select(r => r!).ToArray();
    }

    private async Task<ConversationReplay> ReplayOneAsync(Conversation conversation, Action<TurnReplay> onTurn, CancellationToken cancellationToken)
    {
        var turns = new List<TurnReplay>(conversation.Turns.Count);
        var historyOld = new List<(string, string?)>();
        var historyRepeat = new List<(string, string?)>();
        var historyNew = new List<(string, string?)>();
        var historyNewRepeat = new List<(string, string?)>();
        var priorMessages = new List<string>();
        for (var i = 0; i < conversation.Turns.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return new ConversationReplay(conversation, turns, Completed: false);
            }

            var turn = conversation.Turns[i];
            var lanes = 2 + (_config.RepeatOld ? 1 : 0) + (_config.RepeatNew ? 1 : 0);
            if (_limiter is not null)
            {
                for (var l = 0; l < lanes; l++)
                {
                    if (!await _limiter.WaitAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return new ConversationReplay(conversation, turns, Completed: false);
                    }
                }
            }

            // One span per turn (when a host listens), with the lanes' stack calls under it.
            using var span = ReplayTelemetry.Source.StartActivity("replay turn");
            span?.SetTag("dualstack.conversation.id", conversation.Id);
            span?.SetTag("dualstack.turn.index", i);
            // Lanes run the same turn at the same time so that latency is compared under the same conditions.
            var oldTask = SendAsync(_old, Lane.Old, Request(conversation, turn, i, Lane.Old, historyOld), cancellationToken);
            var repeatTask = _config.RepeatOld ? SendAsync(_old, Lane.OldRepeat, Request(conversation, turn, i, Lane.OldRepeat, historyRepeat), cancellationToken) : Task.FromResult<StackObservation>(null!);
            var newTask = SendAsync(_new, Lane.New, Request(conversation, turn, i, Lane.New, historyNew), cancellationToken);
            var newRepeatTask = _config.RepeatNew ? SendAsync(_new, Lane.NewRepeat, Request(conversation, turn, i, Lane.NewRepeat, historyNewRepeat), cancellationToken) : Task.FromResult<StackObservation>(null!);
            await Task.WhenAll(oldTask, repeatTask, newTask, newRepeatTask).ConfigureAwait(false);
            var replay = new TurnReplay(i, turn, oldTask.Result, _config.RepeatOld ? repeatTask.Result : null, newTask.Result)
            {
                NewRepeat = _config.RepeatNew ? newRepeatTask.Result : null,
                PriorMessages = priorMessages.ToArray(),
            };
            if (IsCancelled(replay))
            {
                return new ConversationReplay(conversation, turns, Completed: false);
            }

            turns.Add(replay);
            onTurn(replay);
            historyOld.Add((turn.Message, replay.Old.Reply));
            historyRepeat.Add((turn.Message, replay.OldRepeat?.Reply));
            historyNew.Add((turn.Message, replay.New.Reply));
            historyNewRepeat.Add((turn.Message, replay.NewRepeat?.Reply));
            priorMessages.Add(turn.Message);
        }

        return new ConversationReplay(conversation, turns, Completed: true);
    }

    private static Task<StackObservation> SendAsync(IAgentStack stack, Lane lane, TurnRequest request, CancellationToken cancellationToken) =>
        ReplayTelemetry.Source.HasListeners() ? TracedAsync(stack, lane, request, cancellationToken) : stack.SendTurnAsync(request, cancellationToken).AsTask();

    // A stack call as a client span under the turn's span; the HTTP spans of the adapter (when traced) nest under it.
    private static async Task<StackObservation> TracedAsync(IAgentStack stack, Lane lane, TurnRequest request, CancellationToken cancellationToken)
    {
        using var span = ReplayTelemetry.Source.StartActivity("stack turn", ActivityKind.Client);
        span?.SetTag("dualstack.stack", stack.Name);
        span?.SetTag("dualstack.lane", lane.ToString());
        span?.SetTag("server.address", stack.BaseAddress.Host);
        var observation = await stack.SendTurnAsync(request, cancellationToken).ConfigureAwait(false);
        if (observation.Error is { } error)
        {
            span?.SetStatus(ActivityStatusCode.Error, error.Kind.ToString());
        }

        return observation;
    }

    private static bool IsCancelled(TurnReplay turn) =>
        turn.Old.Error?.Kind == ObservationErrorKind.Cancelled || turn.New.Error?.Kind == ObservationErrorKind.Cancelled || turn.OldRepeat?.Error?.Kind == ObservationErrorKind.Cancelled
        || turn.NewRepeat?.Error?.Kind == ObservationErrorKind.Cancelled;

    private TurnRequest Request(Conversation conversation, Turn turn, int index, Lane lane, List<(string, string?)> history) => new()
    {
        ConversationId = LaneId(conversation.Id, lane),
        UserId = LaneId(conversation.UserId, lane),
        Message = turn.Message,
        Channel = conversation.Channel,
        TurnIndex = index,
        Metadata = turn.Metadata,
        History = history.ToArray(),
    };

    /// <summary>Spaces turn starts evenly at a rate; waiting is cancellable and returns false when cancelled.</summary>
    private sealed class RateLimiter(double perSecond, TimeProvider time)
    {
        private readonly long _intervalTicks = (long)(TimeSpan.TicksPerSecond / perSecond);
        private long _next = time.GetUtcNow().UtcTicks;

        public async ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
        {
            long slot;
            long now;
            while (true)
            {
                now = time.GetUtcNow().UtcTicks;
                var current = Interlocked.Read(ref _next);
                slot = Math.Max(current, now);
                if (Interlocked.CompareExchange(ref _next, slot + _intervalTicks, current) == current)
                {
                    break;
                }
            }

            var delay = TimeSpan.FromTicks(slot - now);
            if (delay <= TimeSpan.Zero)
            {
                return !cancellationToken.IsCancellationRequested;
            }

            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
