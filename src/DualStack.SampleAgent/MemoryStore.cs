using System.Globalization;

namespace DualStack.SampleAgent;

/// <summary>One stored memory entry; <see cref="Sequence"/> orders writes and upserts for the change feed.</summary>
internal sealed record MemoryEntry(string Id, string UserId, string Text, string? ConversationId, DateTimeOffset CreatedAt, long Sequence);

/// <summary>A retrieval hit with its keyword-overlap score in (0, 1].</summary>
internal sealed record MemoryHit(MemoryEntry Entry, double Score);

/// <summary>A page of the change feed and the cursor to continue from.</summary>
internal sealed record MemoryPage(IReadOnlyList<MemoryEntry> Entries, long Cursor);

/// <summary>
/// Thread-safe in-memory store. Every write or changing upsert gets the next sequence number; the change log keeps
/// entries in sequence order so a page after a cursor is a binary search plus a scan.
/// </summary>
internal sealed class MemoryStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MemoryEntry> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, MemoryEntry>> _byUser = new(StringComparer.Ordinal);

    // Append-only; an element is stale when the entry has since been upserted with a newer sequence.
    private readonly List<MemoryEntry> _log = [];
    private long _sequence;
    private long _nextId;

    // Ids are unique across stacks (like the UUIDs real stores use), so entries can be merged between stacks by id.
    private readonly string _idPrefix = "m-" + Guid.NewGuid().ToString("N")[..8] + "-";

    /// <summary>Writes a new entry with a generated id <c>m-&lt;instance&gt;-N</c> that does not collide with upserted ids.</summary>
    public MemoryEntry Add(string userId, string text, string? conversationId, DateTimeOffset createdAt)
    {
        lock (_gate)
        {
            string id;
            do
            {
                id = _idPrefix + (++_nextId).ToString(CultureInfo.InvariantCulture);
            }
            while (_byId.ContainsKey(id));

            return Store(new MemoryEntry(id, userId, text, conversationId, createdAt, ++_sequence));
        }
    }

    /// <summary>Inserts or replaces an entry; an identical upsert changes nothing and keeps its sequence.</summary>
    /// <remarks>Without <paramref name="createdAt"/> an existing entry keeps its time, a new one gets <paramref name="now"/>.</remarks>
    public MemoryEntry Upsert(string id, string userId, string text, string? conversationId, DateTimeOffset? createdAt, DateTimeOffset now)
    {
        lock (_gate)
        {
            _byId.TryGetValue(id, out var existing);
            var created = createdAt ?? existing?.CreatedAt ?? now;
            if (existing is not null
                && existing.UserId == userId
                && existing.Text == text
                && existing.ConversationId == conversationId
                && existing.CreatedAt == created)
            {
                return existing;
            }

            if (existing is not null && _byUser.TryGetValue(existing.UserId, out var previousOwner))
            {
                previousOwner.Remove(id);
            }

            return Store(new MemoryEntry(id, userId, text, conversationId, created, ++_sequence));
        }
    }

    /// <summary>Entries written or upserted after <paramref name="since"/>, in sequence order, at most <paramref name="limit"/>.</summary>
    public MemoryPage ReadSince(string? userId, long since, int limit)
    {
        lock (_gate)
        {
            var entries = new List<MemoryEntry>(Math.Min(limit, 64));
            var cursor = since;
            for (var i = FirstAfter(since); i < _log.Count && entries.Count < limit; i++)
            {
                var entry = _log[i];
                if (!ReferenceEquals(_byId[entry.Id], entry))
                {
                    continue;
                }

                cursor = entry.Sequence;
                if (userId is null || entry.UserId == userId)
                {
                    entries.Add(entry);
                }
            }

            return new MemoryPage(entries, cursor);
        }
    }

    /// <summary>Top <paramref name="k"/> entries of the user by keyword overlap with the query; only scores above 0.</summary>
    public IReadOnlyList<MemoryHit> Search(string userId, string query, int k)
    {
        var queryWords = Keywords.Of(query);
        if (queryWords.Count == 0)
        {
            return [];
        }

        lock (_gate)
        {
            if (!_byUser.TryGetValue(userId, out var entries))
            {
                return [];
            }

            return entries.Values
                .Select(e => new MemoryHit(e, Keywords.Score(queryWords, Keywords.Of(e.Text))))
                .Where(h => h.Score > 0)
                .OrderByDescending(h => h.Score)
                .ThenByDescending(h => h.Entry.Sequence)
                .Take(k)
                .ToArray();
        }
    }

    /// <summary>The user's <paramref name="k"/> most recent entries, each scored 1 (a "what do you remember" question).</summary>
    public IReadOnlyList<MemoryHit> Recent(string userId, int k)
    {
        lock (_gate)
        {
            if (!_byUser.TryGetValue(userId, out var entries))
            {
                return [];
            }

            return entries.Values
                .OrderByDescending(e => e.Sequence)
                .Take(k)
                .Select(e => new MemoryHit(e, 1.0))
                .ToArray();
        }
    }

    private MemoryEntry Store(MemoryEntry entry)
    {
        _byId[entry.Id] = entry;
        if (!_byUser.TryGetValue(entry.UserId, out var entries))
        {
            entries = new Dictionary<string, MemoryEntry>(StringComparer.Ordinal);
            _byUser[entry.UserId] = entries;
        }

        entries[entry.Id] = entry;
        _log.Add(entry);
        return entry;
    }

    private int FirstAfter(long since)
    {
        int lo = 0, hi = _log.Count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (_log[mid].Sequence <= since)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
