using DualStack.Core.Comparison;
using DualStack.Core.Results;

namespace DualStack.Core.Runs;

/// <summary>How the coordinator of a distributed run works; see <see cref="DistributedCoordinator"/>.</summary>
public sealed record DistributedRunOptions
{
    /// <summary>Run id; a new one (<see cref="VerificationRunner.NewRunId"/>) when null. An existing id resumes that run.</summary>
    public string? RunId { get; init; }

    /// <summary>Workers in this process; default 1 (more can join from other machines with <c>dualstack worker</c>).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// True when the conversations come from a capture store: every worker, in this process or another, redacts each
    /// result before writing it, like a run folder made from captures.
    /// </summary>
    public bool Redact { get; init; }

    /// <summary>Conversations per claim; default 4.</summary>
    public int Batch { get; init; } = 4;

    /// <summary>How long a claim lasts without renewal; default 30 s.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often progress is read from the queue; default 500 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// Coordinates a distributed run: enqueues the conversations (or resumes a run with the same id, keeping what was
/// judged), judges with in-process workers while workers elsewhere may join, reports progress as it changes, and builds
/// the run result once every conversation is judged or the run is cancelled.
/// </summary>
public static class DistributedCoordinator
{
    /// <summary>Runs <paramref name="request"/> through <paramref name="queue"/>; <paramref name="log"/> receives one line per event.</summary>
    /// <exception cref="ArgumentException">The queue refuses the run (for example a resumed run with other settings).</exception>
    public static async Task<RunResult> RunAsync(ReplayQueue queue, VerificationRequest request, int? seed, DistributedRunOptions options, Action<string> log, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetUtcNow();
        var runId = options.RunId ?? VerificationRunner.NewRunId(started);
        var settings = new ReplayRunSettings(
            request.Scenario with { Old = request.Scenario.Old with { Url = request.Old.BaseAddress.AbsoluteUri }, New = request.Scenario.New with { Url = request.New.BaseAddress.AbsoluteUri }, Conversations = [] },
            request.Semantic is null,
            seed,
            options.Redact);
        if (!await queue.EnqueueAsync(runId, settings, request.Conversations, cancellationToken).ConfigureAwait(false))
        {
            settings = await queue.GetSettingsAsync(runId, cancellationToken).ConfigureAwait(false) ?? settings;
            log($"resuming run {runId}: judged conversations are kept, the rest are claimed again");
        }

        log($"distributed run {runId} on {queue.Name}: {options.Workers} worker(s) here; more can join with: dualstack worker --queue <same connection> --run {runId}");
        var similarity = request.Semantic is null ? null : new LockedSimilarity(request.Semantic);
        var workers = Enumerable.Range(0, options.Workers)
            .Select(_ => new ReplayWorker(queue, runId, settings, similarity) { BatchSize = options.Batch, Lease = options.Lease, Time = time }.RunAsync(cancellationToken))
            .ToArray();
        var lastDone = -1;
        while (true)
        {
            var progress = await queue.ProgressAsync(runId, CancellationToken.None).ConfigureAwait(false);
            if (progress.Done != lastDone)
            {
                lastDone = progress.Done;
                log($"progress: {progress.Done}/{progress.Total} conversations judged, {progress.Leased} claimed, {progress.Pending} waiting, {progress.Reclaimed} re-claimed after an expired lease");
            }

            if (progress.Done == progress.Total || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            await Task.WhenAny(Task.WhenAll(workers), Task.Delay(options.PollInterval, time, CancellationToken.None)).ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return await DistributedRun.BuildAsync(queue, runId, settings, request.Semantic, started, cancellationToken.IsCancellationRequested, time, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>One similarity model shared by several in-process workers, one call at a time.</summary>
    private sealed class LockedSimilarity(ITextSimilarity inner) : ITextSimilarity
    {
        private readonly Lock _lock = new();

        public string Name => inner.Name;

        public double Similarity(string a, string b)
        {
            lock (_lock)
            {
                return inner.Similarity(a, b);
            }
        }
    }
}
