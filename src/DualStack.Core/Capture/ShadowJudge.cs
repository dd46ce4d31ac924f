using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Verdicts;

namespace DualStack.Core.Capture;

/// <summary>
/// The out-of-process shadow judge: claims stored pairs (old and new answer to one live turn) from
/// <see cref="IShadowJudgeQueue"/>, judges each with the verdict engine <c>verify</c> uses and stores the judgement.
/// Several judges may share one store; every pair is judged exactly once (claims under a lease, renewed while
/// judging; first judgement stored wins).
/// </summary>
public sealed class ShadowJudge
{
    private readonly IShadowJudgeQueue _queue;
    private readonly VerdictEngine _engine;
    private readonly TimeProvider _time;

    /// <summary>Creates a judge over <paramref name="queue"/>.</summary>
    /// <param name="queue">The store's work list.</param>
    /// <param name="engine">The verdict engine (meaning by MiniLM or lexical, as the caller chose).</param>
    /// <param name="name">Lease owner; default host:pid:random.</param>
    /// <param name="time">Clock of the rolling window and the waits; default <see cref="TimeProvider.System"/>.</param>
    public ShadowJudge(IShadowJudgeQueue queue, VerdictEngine engine, string? name = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(engine);
        _queue = queue;
        _engine = engine;
        _time = time ?? TimeProvider.System;
        Name = name ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
    }

    /// <summary>This judge's id (lease owner).</summary>
    public string Name { get; }

    /// <summary>Pairs per claim; default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>How long a claim lasts without renewal; renewed every third of it while judging; default 30 s.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Only pairs recorded within this span before now (a rolling window); null = every pair; default null.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary>How long to wait when nothing is left to claim; default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Called after each stored judgement (for live log lines); default none.</summary>
    public Action<ShadowPair, TurnResult>? Judged { get; init; }

    /// <summary>Start of the window now: <c>now - Window</c>, or null for every pair.</summary>
    public DateTimeOffset? Since => Window is { } window ? _time.GetUtcNow() - window : null;

    /// <summary>
    /// Judges until nothing in the window is left to claim and nothing is leased to other judges (returns), or, with
    /// <paramref name="follow"/>, until cancelled (waiting <see cref="PollInterval"/> whenever the list is empty).
    /// Returns the number of judgements this judge stored.
    /// </summary>
    public async Task<int> RunAsync(bool follow, CancellationToken cancellationToken)
    {
        var judged = 0;
        // Claims continue after the last id claimed; the list is scanned from the start again only when nothing is
        // left above it (then at most once per lease while following), which is when pairs a dead judge held below
        // it can have come free.
        long after = 0;
        var lastFullScan = _time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await _queue.ClaimAsync(Name, Since, after, BatchSize, Lease, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0 && after > 0 && (!follow || _time.GetElapsedTime(lastFullScan) >= Lease))
            {
                after = 0;
                lastFullScan = _time.GetTimestamp();
                continue;
            }

            if (batch.Count == 0)
            {
                if (!follow)
                {
                    var progress = await _queue.ProgressAsync(Since, cancellationToken).ConfigureAwait(false);
                    if (progress.Pending == 0 && progress.Leased == 0)
                    {
                        return judged;
                    }
                }

                // Nothing new yet, or other judges hold the rest (their lease may expire if they died).
                await Task.Delay(follow ? PollInterval : TimeSpan.FromMilliseconds(Math.Clamp(Lease.TotalMilliseconds / 4, 50, 2000)), _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            after = batch[^1].Id;
            using var renewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var renewal = RenewLoopAsync(renewing.Token);
            try
            {
                foreach (var pair in batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var result = JudgeTurn(_engine, pair.Turn);
                    if (await _queue.CompleteAsync(Name, pair.Id, result, CancellationToken.None).ConfigureAwait(false))
                    {
                        judged++;
                        Judged?.Invoke(pair, result);
                    }
                }
            }
            finally
            {
                await renewing.CancelAsync().ConfigureAwait(false);
                try
                {
                    await renewal.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        return judged;
    }

    /// <summary>One stored pair judged as <c>verify</c> judges a turn: primary = old, shadow = new; live traffic has no A′.</summary>
    public static TurnResult JudgeTurn(VerdictEngine engine, ShadowTurn turn)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(turn);
        return engine.JudgeTurn(new TurnReplay(turn.TurnIndex, new Turn { Message = turn.Message }, turn.Primary, null, turn.Shadow));
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(Lease / 3, _time, cancellationToken).ConfigureAwait(false);
            try
            {
                await _queue.RenewAsync(Name, Lease, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next round retries; at worst the lease expires and another judge judges the pair (first one stored wins).
            }
        }
    }
}

/// <summary>Builds the usual <see cref="RunResult"/> from the judgements stored in a window, so <c>report</c> renders shadow runs like verification runs.</summary>
public static class ShadowJudgeRun
{
    /// <summary>
    /// Groups the stored judgements by conversation, applies the run-level aggregation (difference keys against the
    /// noise floor) once over all of them, and names the run after the store.
    /// </summary>
    public static async Task<RunResult> BuildAsync(IShadowJudgeQueue queue, DateTimeOffset? since, VerdictEngine engine, string runId, string sourceName, DateTimeOffset startedAt, bool cancelled, TimeProvider? time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(engine);
        var clock = time ?? TimeProvider.System;
        var conversations = new List<ConversationResult>();
        var turns = new List<ShadowJudgement>();
        await foreach (var judgement in queue.ReadJudgementsAsync(since, cancellationToken).ConfigureAwait(false))
        {
            if (turns.Count > 0 && !string.Equals(turns[0].ConversationKey, judgement.ConversationKey, StringComparison.Ordinal))
            {
                conversations.Add(Assemble(turns));
                turns.Clear();
            }

            turns.Add(judgement);
        }

        if (turns.Count > 0)
        {
            conversations.Add(Assemble(turns));
        }

        var draft = new RunResult
        {
            RunId = runId,
            Scenario = "shadow:" + sourceName,
            StartedAt = startedAt,
            FinishedAt = clock.GetUtcNow(),
            Stacks = new RunStacks(new StackInfo("old", "captured primary traffic", null), new StackInfo("new", "shadow stack", null)),
            Cancelled = cancelled,
            Summary = VerdictEngine.Summarize(conversations),
            Conversations = conversations,
        };
        return engine.Finish(draft);
    }

    private static ConversationResult Assemble(List<ShadowJudgement> turns)
    {
        var first = turns[0];
        var conversation = new Conversation
        {
            Id = first.ConversationKey,
            UserId = first.UserId,
            Source = ConversationSource.Recorded,
            Tags = ["shadow"],
            Turns = turns.Select(t => new Turn { Message = t.Result.Message }).ToArray(),
        };
        var lanes = new Dictionary<Lane, string> { [Lane.Old] = first.Result.Old.ConversationId, [Lane.New] = first.Result.New.ConversationId };
        return VerdictEngine.AssembleConversation(conversation, lanes, turns.Select(t => t.Result).ToArray());
    }
}
