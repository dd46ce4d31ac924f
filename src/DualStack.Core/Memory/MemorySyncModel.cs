using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

/// <summary>Tuning of <see cref="MemorySync"/>; the defaults suit a stack on the same network.</summary>
public sealed record MemorySyncOptions
{
    /// <summary>Entries asked for per <c>GET /v1/memory</c> page (<c>limit</c>); 1–10,000, default 500.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Upserts in flight at once while a page (or a batch of restored lines) is applied; default 8.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Bound on each HTTP request; default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between retries of a failing stack while replicating with <c>follow</c>; default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Where a long memory operation stands; reported after every page.</summary>
public sealed record MemorySyncProgress
{
    /// <summary>Entries read so far (from the source stack, or lines from the file for a restore).</summary>
    public long Read { get; init; }

    /// <summary>Entries written so far (to the file for a snapshot, upserted on the target otherwise).</summary>
    public long Applied { get; init; }

    /// <summary>Cursor after the last fully applied page (replicate) or the last page read (snapshot); null before the first.</summary>
    public string? Cursor { get; init; }

    /// <summary>Entries read from the source page in flight and not yet applied on the target; 0 between pages.</summary>
    public long Lag { get; init; }

    /// <summary>True when the last page read was empty: the target had everything the source had at that moment.</summary>
    public bool CaughtUp { get; init; }

    /// <summary>The failure being retried (replicate with follow), null when the last request worked.</summary>
    public string? LastError { get; init; }
}

/// <summary>Outcome of <see cref="MemorySync.RestoreAsync"/>.</summary>
/// <param name="Lines">Non-blank lines read.</param>
/// <param name="Applied">Entries upserted on the target (a line repeating an id within one batch counts once).</param>
/// <param name="Rejected">Lines not restored: malformed, missing a field, or refused by the stack with a 4xx.</param>
/// <param name="Errors">One message per rejected line, each starting <c>line N:</c>; at most the first 100.</param>
public sealed record MemoryRestoreResult(long Lines, long Applied, long Rejected, IReadOnlyList<string> Errors);

/// <summary>Outcome of <see cref="MemorySync.ReplicateAsync"/>.</summary>
/// <param name="Read">Entries read from the source in this run.</param>
/// <param name="Applied">Entries upserted on the target in this run (a page re-read after a crash is counted again).</param>
/// <param name="Pages">Pages fully applied (and checkpointed) in this run.</param>
/// <param name="Cursor">Source cursor after the last fully applied page; what a restart resumes from.</param>
/// <param name="ResumedFrom">Cursor read from the checkpoint at start; null when this run started from the beginning.</param>
/// <param name="Interrupted">True when cancellation ended the run (the normal way to stop <c>follow</c>).</param>
public sealed record ReplicationResult(long Read, long Applied, long Pages, string? Cursor, string? ResumedFrom, bool Interrupted);

/// <summary>Outcome of <see cref="MemorySync.DiffAsync"/>: A is the reference, B the stack compared with it.</summary>
/// <param name="EntriesA">Distinct entry ids on A.</param>
/// <param name="EntriesB">Distinct entry ids on B.</param>
/// <param name="Missing">Ids on A, not on B.</param>
/// <param name="Extra">Ids on B, not on A.</param>
/// <param name="Changed">Ids on both with different content (counted once, even when the entry moved between users).</param>
/// <param name="IdenticalUsers">Users whose entries are the same on both stacks.</param>
/// <param name="Users">Users with at least one difference, ordered by user id.</param>
public sealed record MemoryDiffResult(long EntriesA, long EntriesB, long Missing, long Extra, long Changed, int IdenticalUsers, IReadOnlyList<UserMemoryDiff> Users)
{
    /// <summary>True when both stacks hold the same ids with the same user, text and conversation.</summary>
    public bool Identical => Users.Count == 0;
}

/// <summary>Differences of one user's memory; lists hold entry ids in ordinal order.</summary>
/// <param name="UserId">The user; an entry that moved to another user is listed as changed for both users.</param>
/// <param name="CountA">The user's entries on A.</param>
/// <param name="CountB">The user's entries on B.</param>
/// <param name="Missing">On A, not on B.</param>
/// <param name="Extra">On B, not on A.</param>
/// <param name="Changed">On both, with a different text, user or conversation (<c>createdAt</c> is not compared).</param>
public sealed record UserMemoryDiff(string UserId, int CountA, int CountB, IReadOnlyList<string> Missing, IReadOnlyList<string> Extra, IReadOnlyList<string> Changed);

/// <summary>Outcome of <see cref="MemorySync.MergeAsync"/>.</summary>
/// <param name="Candidates">Entries on the source created at or after <c>since</c>.</param>
/// <param name="Merged">Candidates the target lacked, now upserted there.</param>
/// <param name="Unchanged">Candidates the target already held with the same user, text and conversation.</param>
/// <param name="Deferred">Candidates written or changed on the source while the merge ran; the next merge takes them.</param>
/// <param name="Conflicts">Candidates the target held with different content, with both versions and the resolution.</param>
public sealed record MemoryMergeResult(long Candidates, long Merged, long Unchanged, long Deferred, IReadOnlyList<MemoryConflict> Conflicts)
{
    /// <summary>Entries written to the target: merged plus conflicts the source won.</summary>
    public long Written => Merged + Conflicts.Count(c => c.Resolution == MergeResolution.SourceWon);
}

/// <summary>An entry id held by both stacks with different content.</summary>
/// <param name="Id">The entry id.</param>
/// <param name="Source">The version on the stack merged from (the new stack).</param>
/// <param name="Target">The version on the stack merged into (the old stack) before the merge.</param>
/// <param name="Resolution">Which version the target holds after the merge.</param>
public sealed record MemoryConflict(string Id, NativeMemoryEntry Source, NativeMemoryEntry Target, MergeResolution Resolution);

/// <summary>How a merge conflict was resolved: the newer <c>createdAt</c> wins; on a tie the source wins.</summary>
public enum MergeResolution
{
    /// <summary>The source's version was at least as new and was written to the target.</summary>
    SourceWon,

    /// <summary>The target's version was newer and was kept.</summary>
    TargetKept,
}

/// <summary>
/// A stack failed or answered outside contract v1 during a memory operation. The message is one line naming the stack
/// (its URL), the request and what went wrong; it never contains a token.
/// </summary>
public sealed class MemorySyncException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MemorySyncException(string message, bool transient = false, int? status = null, Exception? inner = null)
        : base(message, inner)
    {
        Transient = transient;
        Status = status;
    }

    /// <summary>True for failures worth retrying: unreachable, timed out, 5xx, 408 or 429.</summary>
    public bool Transient { get; }

    /// <summary>The HTTP status the stack answered, when it answered.</summary>
    public int? Status { get; }
}
