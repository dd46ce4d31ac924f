using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

/// <summary>
/// Copies, compares and merges long-term memory between stacks over contract v1's memory API
/// (<c>GET /v1/memory?since=&amp;limit=</c>, <c>PUT /v1/memory/{id}</c>). Every operation streams the change feed page
/// by page (<see cref="MemorySyncOptions.PageSize"/>); none holds a stack's whole memory. Upserts by id are idempotent,
/// so repeating any operation, or part of one, never duplicates an entry.
/// </summary>
/// <remarks>
/// The change feed lists entries in write order and lists an entry again when it is changed, so a read that overlaps
/// writes can see an id twice; the later version is the current one and every operation here treats it so.
/// Stack failures throw <see cref="MemorySyncException"/> with a one-line message; cancellation throws
/// <see cref="OperationCanceledException"/>, except <see cref="ReplicateAsync"/>, which returns its counts.
/// </remarks>
public sealed class MemorySync
{
    private const int MaxListedErrors = 100;

    private readonly MemorySyncOptions _options;
    private readonly TimeProvider _time;
    private readonly MemoryFeed _feed;

    /// <summary>Creates the engine.</summary>
    /// <param name="options">Page size, concurrency and timeouts; defaults when null.</param>
    /// <param name="timeProvider">Clock for timeouts, poll delays and checkpoint times; the system clock when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public MemorySync(MemorySyncOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new MemorySyncOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.PageSize, 1, "PageSize");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.PageSize, 10_000, "PageSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Concurrency, 1, "Concurrency");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.RequestTimeout, TimeSpan.Zero, "RequestTimeout");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.MaxRetryDelay, TimeSpan.Zero, "MaxRetryDelay");
        _time = timeProvider ?? TimeProvider.System;
        _feed = new MemoryFeed(_options, _time);
    }

    /// <summary>
    /// Writes every entry of <paramref name="source"/> to <paramref name="jsonl"/>, one JSON object per line
    /// (<c>id, userId, text, conversationId, createdAt</c>), in write order. Taken while the stack is written to, the
    /// file is a change log: an entry changed meanwhile appears twice and its later line is the current version
    /// (which is what <see cref="RestoreAsync"/> keeps).
    /// </summary>
    /// <returns>Lines written.</returns>
    public async Task<long> SnapshotAsync(MemoryClient source, TextWriter jsonl, IProgress<MemorySyncProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(jsonl);
        long count = 0;
        await foreach (var page in _feed.ReadPagesAsync(source, userId: null, since: null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in page.Entries)
            {
                await jsonl.WriteLineAsync(JsonSerializer.Serialize(entry, DualStackJson.Options).AsMemory(), cancellationToken).ConfigureAwait(false);
                count++;
            }

            progress?.Report(new MemorySyncProgress { Read = count, Applied = count, Cursor = page.Cursor });
        }

        await jsonl.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    /// <summary>
    /// Upserts every line of <paramref name="jsonl"/> (as written by <see cref="SnapshotAsync"/>) on
    /// <paramref name="target"/>, in batches of <see cref="MemorySyncOptions.PageSize"/> lines; restoring the same file
    /// twice changes nothing the second time. A malformed line, one without <c>id</c>, <c>userId</c> or <c>text</c>,
    /// or one the stack refuses with a 4xx is reported by line number and skipped; every other line is restored.
    /// </summary>
    /// <exception cref="MemorySyncException">The stack is unreachable, times out or answers 5xx; lines before the failing batch are restored.</exception>
    public async Task<MemoryRestoreResult> RestoreAsync(MemoryClient target, TextReader jsonl, IProgress<MemorySyncProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(jsonl);
        long lineNumber = 0, lines = 0, applied = 0, rejected = 0;
        var errors = new List<string>();
        var batch = new List<PendingUpsert>(_options.PageSize);

        void Reject(string message)
        {
            rejected++;
            if (errors.Count < MaxListedErrors)
            {
                errors.Add(message);
            }
        }

        async Task ApplyBatchAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var (n, refused) = await _feed.ApplyAsync(target, batch, cancellationToken).ConfigureAwait(false);
            applied += n;
            foreach (var (upsert, error) in refused)
            {
                Reject(Invariant($"line {upsert.Origin}: {error.Message}"));
            }

            batch.Clear();
            progress?.Report(new MemorySyncProgress { Read = lines, Applied = applied });
        }

        while (await jsonl.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            lines++;
            var (entry, problem) = ParseLine(line);
            if (entry is null)
            {
                Reject(Invariant($"line {lineNumber}: {problem}"));
                continue;
            }

            batch.Add(new PendingUpsert(entry, lineNumber));
            if (batch.Count >= _options.PageSize)
            {
                await ApplyBatchAsync().ConfigureAwait(false);
            }
        }

        await ApplyBatchAsync().ConfigureAwait(false);
        return new MemoryRestoreResult(lines, applied, rejected, errors);
    }

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

    /// <summary>
    /// Compares the memories of <paramref name="a"/> and <paramref name="b"/> by entry id, per user: missing (on A, not
    /// on B), extra (on B, not on A) and changed (same id, different text, user or conversation; <c>createdAt</c> is not
    /// compared). Both feeds are read at the same time.
    /// </summary>
    /// <remarks>
    /// Memory cost: for each stack, every id with its user (interned) and a 64-bit fingerprint of its content, about
    /// 100 bytes per entry plus the id's characters (≈ 200 MB for a million entries on each side); texts are never
    /// held. The lists in the result hold ids only.
    /// </remarks>
    public async Task<MemoryDiffResult> DiffAsync(MemoryClient a, MemoryClient b, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var indexA = IndexAsync(a, stop);
        var indexB = IndexAsync(b, stop);
        try
        {
            await Task.WhenAll(indexA, indexB).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // One side failed and cancelled the other: report the failure, not the cancellation.
            throw (indexA.Exception ?? indexB.Exception)!.InnerException!;
        }

        var left = (await indexA.ConfigureAwait(false)).Entries;
        var right = (await indexB.ConfigureAwait(false)).Entries;
        var users = new Dictionary<string, UserAccumulator>(StringComparer.Ordinal);
        UserAccumulator User(string id) => users.TryGetValue(id, out var user) ? user : users[id] = new UserAccumulator();
        long missing = 0, extra = 0, changed = 0;
        foreach (var (id, (userId, fingerprint)) in left)
        {
            var user = User(userId);
            user.CountA++;
            if (!right.TryGetValue(id, out var other))
            {
                user.Missing.Add(id);
                missing++;
            }
            else if (other.Fingerprint != fingerprint)
            {
                user.Changed.Add(id);
                changed++;
                if (!string.Equals(other.UserId, userId, StringComparison.Ordinal))
                {
                    // Moved to another user: that user's memory differs too.
                    User(other.UserId).Changed.Add(id);
                }
            }
        }

        foreach (var (id, (userId, _)) in right)
        {
            var user = User(userId);
            user.CountB++;
            if (!left.ContainsKey(id))
            {
                user.Extra.Add(id);
                extra++;
            }
        }

        var differing = users
            .Where(u => u.Value.Missing.Count + u.Value.Extra.Count + u.Value.Changed.Count > 0)
            .OrderBy(u => u.Key, StringComparer.Ordinal)
            .Select(u => new UserMemoryDiff(u.Key, u.Value.CountA, u.Value.CountB, Sorted(u.Value.Missing), Sorted(u.Value.Extra), Sorted(u.Value.Changed)))
            .ToArray();
        return new MemoryDiffResult(left.Count, right.Count, missing, extra, changed, users.Count - differing.Length, differing);
    }

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

    private async Task<MemoryIndex> IndexAsync(MemoryClient client, CancellationTokenSource stop)
    {
        var index = new MemoryIndex();
        try
        {
            await foreach (var entry in _feed.ReadAllAsync(client, stop.Token).ConfigureAwait(false))
            {
                index.Add(entry);
            }
        }
        catch (MemorySyncException)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }

        return index;
    }

    private ReplicationCheckpoint NewCheckpoint(MemoryClient from, MemoryClient to, string? cursor, long applied) =>
        new() { Source = from.Name, Target = to.Name, Cursor = cursor, Applied = applied, UpdatedAt = _time.GetUtcNow() };

    private static (NativeMemoryEntry? Entry, string? Problem) ParseLine(string line)
    {
        NativeMemoryEntry? entry;
        try
        {
            entry = JsonSerializer.Deserialize<NativeMemoryEntry>(line, DualStackJson.Options);
        }
        catch (JsonException ex)
        {
            return (null, "not a JSON memory entry: " + ex.Message.Split(" Path:", 2)[0]);
        }

        if (entry is null)
        {
            return (null, "not a JSON memory entry: null");
        }

        var missing = new[] { ("id", entry.Id), ("userId", entry.UserId), ("text", entry.Text) }
            .Where(f => string.IsNullOrWhiteSpace(f.Item2))
            .Select(f => $"'{f.Item1}'")
            .ToArray();
        return missing.Length == 0 ? (entry, null) : (null, $"{string.Join(", ", missing)} missing or empty");
    }

    private static string[] Sorted(List<string> ids)
    {
        var array = ids.ToArray();
        Array.Sort(array, StringComparer.Ordinal);
        return array;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class UserAccumulator
    {
        public int CountA { get; set; }

        public int CountB { get; set; }

        public List<string> Missing { get; } = [];

        public List<string> Extra { get; } = [];

        public List<string> Changed { get; } = [];
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
