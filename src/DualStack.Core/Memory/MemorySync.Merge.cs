using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

// merge: the new stack's entries since a time into the old stack; conflicts resolved (newer wins) and reported.
public sealed partial class MemorySync
{
    /// <summary>
    /// Brings entries that <paramref name="from"/> (the new stack) holds with <c>createdAt</c> ≥ <paramref name="since"/>
    /// into <paramref name="into"/> (the old stack) by id. An id the target lacks is upserted (merged); an id it holds
    /// with the same user, text and conversation is left alone (unchanged); an id it holds with different content is a
    /// conflict, resolved by the rule <b>the newer <c>createdAt</c> wins; on a tie the source (new stack) wins</b>, and
    /// reported with both versions. Running the same merge again writes nothing: merged entries are then unchanged,
    /// and conflicts the target won are reported again and kept again.
    /// </summary>
    /// <remarks>
    /// Three streaming passes: the source's candidates (ids and fingerprints only), the target's versions of those ids
    /// (full entries only for conflicts), then the source again to upsert. Memory cost is bounded by the window's
    /// candidates, not by either stack's whole memory. Entries written or changed on the source during the merge are
    /// counted as deferred and taken by the next merge.
    /// </remarks>
    /// <exception cref="MemorySyncException">A stack fails or refuses an upsert; what was upserted before stays (a rerun completes it).</exception>
    public async Task<MemoryMergeResult> MergeAsync(MemoryClient from, MemoryClient into, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(into);
        var candidates = new Dictionary<string, MergeCandidate>(StringComparer.Ordinal);
        await foreach (var entry in _feed.ReadAllAsync(from, cancellationToken).ConfigureAwait(false))
        {
            if (entry.CreatedAt is { } createdAt && createdAt >= since)
            {
                candidates[entry.Id!] = new MergeCandidate(MemoryFingerprint.Of(entry));
            }
            else
            {
                // Changed since to an older createdAt: no longer in the window.
                candidates.Remove(entry.Id!);
            }
        }

        if (candidates.Count > 0)
        {
            await foreach (var entry in _feed.ReadAllAsync(into, cancellationToken).ConfigureAwait(false))
            {
                if (candidates.TryGetValue(entry.Id!, out var candidate))
                {
                    var same = MemoryFingerprint.Of(entry) == candidate.SourceFingerprint;
                    candidate.State = same ? TargetState.Same : TargetState.Different;
                    candidate.Target = same ? null : entry;
                }
            }
        }

        long merged = 0, unchanged = 0, deferred = 0;
        var conflicts = new List<MemoryConflict>();
        if (candidates.Count > 0)
        {
            await foreach (var page in _feed.ReadPagesAsync(from, userId: null, since: null, cancellationToken).ConfigureAwait(false))
            {
                var batch = new List<PendingUpsert>();
                foreach (var entry in page.Entries)
                {
                    if (entry.CreatedAt is not { } createdAt || createdAt < since)
                    {
                        continue;
                    }

                    if (!candidates.TryGetValue(entry.Id!, out var candidate) || MemoryFingerprint.Of(entry) != candidate.SourceFingerprint)
                    {
                        // Written or changed after the first pass: the target's version of it was not looked up.
                        deferred++;
                        if (candidate is not null)
                        {
                            candidate.Done = true;
                        }

                        continue;
                    }

                    if (candidate.Done)
                    {
                        continue;
                    }

                    candidate.Done = true;
                    switch (candidate.State)
                    {
                        case TargetState.Same:
                            unchanged++;
                            break;
                        case TargetState.Absent:
                            merged++;
                            batch.Add(new PendingUpsert(entry, batch.Count));
                            break;
                        default:
                            var target = candidate.Target!;
                            var targetNewer = target.CreatedAt is { } targetCreated && targetCreated > createdAt;
                            var resolution = targetNewer ? MergeResolution.TargetKept : MergeResolution.SourceWon;
                            conflicts.Add(new MemoryConflict(entry.Id!, entry, target, resolution));
                            if (resolution == MergeResolution.SourceWon)
                            {
                                batch.Add(new PendingUpsert(entry, batch.Count));
                            }

                            break;
                    }
                }

                if (batch.Count > 0)
                {
                    var (_, refused) = await _feed.ApplyAsync(into, batch, cancellationToken).ConfigureAwait(false);
                    if (refused.Count > 0)
                    {
                        throw refused[0].Error;
                    }
                }
            }
        }

        conflicts.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return new MemoryMergeResult(candidates.Count, merged, unchanged, deferred, conflicts);
    }

    private enum TargetState
    {
        Absent,
        Same,
        Different,
    }

    private sealed class MergeCandidate(ulong sourceFingerprint)
    {
        public ulong SourceFingerprint { get; } = sourceFingerprint;

        public TargetState State { get; set; }

        public NativeMemoryEntry? Target { get; set; }

        public bool Done { get; set; }
    }
}
