using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

// diff: two stacks read side by side, compared by id per user (missing, extra, changed).
public sealed partial class MemorySync
{
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

    private static string[] Sorted(List<string> ids)
    {
        var array = ids.ToArray();
        Array.Sort(array, StringComparer.Ordinal);
        return array;
    }

    private sealed class UserAccumulator
    {
        public int CountA { get; set; }

        public int CountB { get; set; }

        public List<string> Missing { get; } = [];

        public List<string> Extra { get; } = [];

        public List<string> Changed { get; } = [];
    }
}
