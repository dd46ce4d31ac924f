namespace DualStack.Core.Capture;

/// <summary>
/// How retention deletes a backlog beside live capture, in both stores: slices of <see cref="Size"/> rows, each its own
/// transaction, each followed by a pause as long as it took, so the capture and shadow writers get at least half of
/// the store's time while months of captures are deleted. Measured with bench/retention-backlog.sh (1 million old
/// exchanges, a proxy started with --retain under wrk): on SQLite one DELETE held the file's write lock for the whole
/// load and every capture was dropped; on PostgreSQL, whose deletes lock no inserts, unpaced slices of 10,000 still
/// took the server's disk and CPU: capture p99 went from about 10 ms to 16–19 ms, and 2,765 captures were dropped in one
/// run of four.
/// </summary>
internal static class RetentionSlices
{
    /// <summary>
    /// Rows per slice. On a 1.5 GB SQLite file of 1 KB exchanges a slice of 1,000 took 80 ms under the write lock, one
    /// of 10,000 0.4–1.2 s: longer than the capture queue (10,000 exchanges) lasts at 10,000 req/s.
    /// </summary>
    public const int Size = 1_000;

    /// <summary>
    /// Runs <paramref name="deleteSlice"/> (one transaction deleting at most <paramref name="slice"/> rows, returning
    /// how many it deleted) until a slice deletes fewer than that, pausing after each as long as it took; returns the
    /// total. <paramref name="deletedSoFar"/> gets the running total after every slice.
    /// </summary>
    public static async Task<long> DeleteAsync(Func<CancellationToken, Task<long>> deleteSlice, int slice, Action<long> deletedSoFar, TimeProvider time, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var started = time.GetTimestamp();
            var deleted = await deleteSlice(cancellationToken).ConfigureAwait(false);
            total += deleted;
            deletedSoFar(total);
            if (deleted < slice)
            {
                return total;
            }

            // As long again with the store left to the writers (the disk is the bottleneck then, not only the locks).
            await Task.Delay(time.GetElapsedTime(started), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
