using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

// replicate: the change feed of one stack onto another, resumable from a checkpoint, optionally following.
public sealed partial class MemorySync
{
    /// <summary>
    /// Copies <paramref name="from"/>'s memory to <paramref name="to"/> by following the source's change feed: read a
    /// page after the cursor, upsert each entry on the target (same id, user, text, conversation and createdAt), and
    /// only then persist the cursor after that page in <paramref name="checkpointPath"/> (atomically: temp file,
    /// flush, rename). A run that crashes or is cancelled resumes after the last fully applied page; the page that was
    /// in flight is applied again, which duplicates nothing because upserts by id are idempotent. Changes made on the
    /// source later (new entries and edits) come through the feed again. With <paramref name="follow"/>, polls every
    /// <paramref name="pollInterval"/> once caught up and retries a failing stack (backing off up to
    /// <see cref="MemorySyncOptions.MaxRetryDelay"/>) until cancelled; without it, returns when caught up.
    /// </summary>
    /// <param name="from">Source stack.</param>
    /// <param name="to">Target stack.</param>
    /// <param name="checkpointPath">Checkpoint file, created when missing; null = start from the beginning and keep no checkpoint.</param>
    /// <param name="follow">Keep polling until cancelled.</param>
    /// <param name="pollInterval">Wait between polls once caught up (follow only).</param>
    /// <param name="progress">Reported when a page is read and when it is applied.</param>
    /// <param name="cancellationToken">Stops the run; the result then has <see cref="ReplicationResult.Interrupted"/> set.</param>
    /// <exception cref="InvalidDataException">The checkpoint file is not a checkpoint or belongs to another source or target.</exception>
    /// <exception cref="MemorySyncException">A stack is unreachable at start, refuses an entry (4xx), or fails without follow.</exception>
    public async Task<ReplicationResult> ReplicateAsync(MemoryClient from, MemoryClient to, string? checkpointPath, bool follow, TimeSpan pollInterval, IProgress<MemorySyncProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);
        var checkpoint = checkpointPath is null ? null : await ReplicationCheckpoint.LoadAsync(checkpointPath, from.Name, to.Name, cancellationToken).ConfigureAwait(false);
        var resumedFrom = checkpoint?.Cursor;
        var cursor = resumedFrom;
        var totalApplied = checkpoint?.Applied ?? 0;
        long read = 0, applied = 0, pages = 0;
        var failures = 0;
        try
        {
            // Fail fast with a clear message rather than following a stack that was never there.
            await Task.WhenAll(_feed.ProbeAsync(from, cancellationToken), _feed.ProbeAsync(to, cancellationToken)).ConfigureAwait(false);
            if (checkpointPath is not null && checkpoint is null)
            {
                // Written now so that an unusable path fails before any work, not after the first page.
                await NewCheckpoint(from, to, cursor, totalApplied).SaveAsync(checkpointPath, CancellationToken.None).ConfigureAwait(false);
            }

            while (true)
            {
                var inFlight = 0;
                try
                {
                    var page = await _feed.GetPageAsync(from, userId: null, cursor, _options.PageSize, cancellationToken).ConfigureAwait(false);
                    if (page.Entries.Count == 0 && page.Cursor == cursor)
                    {
                        failures = 0;
                        progress?.Report(new MemorySyncProgress { Read = read, Applied = applied, Cursor = cursor, CaughtUp = true });
                        if (!follow)
                        {
                            break;
                        }

                        await Task.Delay(pollInterval, _time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    inFlight = page.Entries.Count;
                    read += inFlight;
                    progress?.Report(new MemorySyncProgress { Read = read, Applied = applied, Cursor = cursor, Lag = inFlight });
                    var batch = new PendingUpsert[page.Entries.Count];
                    for (var i = 0; i < batch.Length; i++)
                    {
                        batch[i] = new PendingUpsert(page.Entries[i], i);
                    }

                    var (n, refused) = await _feed.ApplyAsync(to, batch, cancellationToken).ConfigureAwait(false);
                    if (refused.Count > 0)
                    {
                        // Skipping the entry would lose it for good: stop with the checkpoint before this page.
                        var first = refused[0].Error;
                        throw new MemorySyncException($"{first.Message} (replication stopped before this page, at cursor '{cursor ?? "start"}', so that no entry is skipped)", transient: false, first.Status);
                    }

                    applied += n;
                    totalApplied += n;
                    cursor = page.Cursor;
                    pages++;
                    if (checkpointPath is not null)
                    {
                        // Persisted even if cancellation arrives now: the page is applied, so its cursor is safe.
                        await NewCheckpoint(from, to, cursor, totalApplied).SaveAsync(checkpointPath, CancellationToken.None).ConfigureAwait(false);
                    }

                    failures = 0;
                    progress?.Report(new MemorySyncProgress { Read = read, Applied = applied, Cursor = cursor });
                }
                catch (MemorySyncException ex) when (follow && ex.Transient)
                {
                    failures++;
                    var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks, pollInterval.Ticks * (1L << Math.Min(failures - 1, 20))));
                    progress?.Report(new MemorySyncProgress { Read = read, Applied = applied, Cursor = cursor, Lag = inFlight, LastError = ex.Message });
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ReplicationResult(read, applied, pages, cursor, resumedFrom, Interrupted: true);
        }

        return new ReplicationResult(read, applied, pages, cursor, resumedFrom, Interrupted: false);
    }

    private ReplicationCheckpoint NewCheckpoint(MemoryClient from, MemoryClient to, string? cursor, long applied) =>
        new() { Source = from.Name, Target = to.Name, Cursor = cursor, Applied = applied, UpdatedAt = _time.GetUtcNow() };
}
