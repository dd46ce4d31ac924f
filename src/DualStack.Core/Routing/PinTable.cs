using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DualStack.Core.Routing;

/// <summary>
/// Sticky conversations for <see cref="SplitState"/>: which stack each routed conversation is pinned to, and when it
/// was last seen. Thread-safe and allocation-free after construction. Pins live in a fixed, set-associative table (like
/// a CPU cache): a key maps to one set of <see cref="Ways"/> slots, memory is bounded by the maximum pin count, and
/// eviction is LRU within the set, which evicts an idle pin first whenever the set has one (idle pins are the least
/// recently seen). Sets are guarded by striped locks.
/// </summary>
internal sealed class PinTable
{
    private const int Ways = 16;
    private const int MaxStripes = 64;

    private readonly TimeProvider _time;
    private readonly long _idleTicks;

    // Each slot's key hash with the low bit set (0 = empty), and the key, last-seen timestamp and stack.
    private readonly int[] _tags;
    private readonly Pin[] _pins;
    private readonly int _sets;
    private readonly Lock[] _stripes;
    private readonly int _stripeMask;
    private int _count;

    /// <summary>A table of at most <paramref name="maxPins"/> pins (rounded up to whole sets; 0 = no pins), idle after <paramref name="idle"/>.</summary>
    public PinTable(int maxPins, TimeSpan idle, TimeProvider time)
    {
        _time = time;
        _idleTicks = (long)Math.Min(idle.TotalSeconds * time.TimestampFrequency, long.MaxValue / 4.0);
        _sets = (int)(((long)maxPins + Ways - 1) / Ways);
        _tags = new int[_sets * Ways];
        _pins = new Pin[_sets * Ways];
        var stripes = 1;
        while (stripes < MaxStripes && stripes < _sets)
        {
            stripes <<= 1;
        }

        _stripes = new Lock[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _stripes[i] = new Lock();
        }

        _stripeMask = stripes - 1;
    }

    /// <summary>False when the table holds no slot (maximum 0): every request is decided afresh.</summary>
    public bool Enabled => _sets > 0;

    /// <summary>Pins held, idle ones included until purged or replaced.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The stack of <paramref name="key"/>'s pin, refreshed; a missing or idle pin is (re)made with
    /// <see cref="SplitState.Decide"/>. <paramref name="routing"/> (the split's bucket threshold, -1 while rolled back) is
    /// read again under the set's lock, so a rollback sweeping the set has either finished (old) or not started.
    /// </summary>
    public StackChoice Route(string key, ref int routing)
    {
        var hash = key.GetHashCode();
        var set = SetOf(hash);
        var tag = hash | 1;
        var first = set * Ways;
        var now = _time.GetTimestamp();
        lock (_stripes[set & _stripeMask])
        {
            var threshold = Volatile.Read(ref routing);
            if (threshold < 0)
            {
                return StackChoice.Old;
            }

            var found = Find(first, tag, key, out var empty);
            if (found >= 0)
            {
                ref var pin = ref _pins[found];
                if (now - pin.LastSeen > _idleTicks)
                {
                    pin.Stack = SplitState.Decide(key, threshold);
                }

                pin.LastSeen = now;
                return pin.Stack;
            }

            var choice = SplitState.Decide(key, threshold);
            var slot = ClaimSlot(first, empty);
            _tags[slot] = tag;
            _pins[slot] = new Pin { Key = key, LastSeen = now, Stack = choice };
            return choice;
        }
    }

    /// <summary>The stack of <paramref name="key"/>'s live pin, without refreshing it; false when none or idle.</summary>
    public bool TryPeek(string key, out StackChoice stack)
    {
        var hash = key.GetHashCode();
        var set = SetOf(hash);
        var now = _time.GetTimestamp();
        lock (_stripes[set & _stripeMask])
        {
            var found = Find(set * Ways, hash | 1, key, out _);
            if (found >= 0 && now - _pins[found].LastSeen <= _idleTicks)
            {
                stack = _pins[found].Stack;
                return true;
            }
        }

        stack = default;
        return false;
    }

    /// <summary>
    /// Adds a pin last seen <paramref name="idleFor"/> ago (made elsewhere). A live pin of the key wins; a pin already
    /// idle is ignored; a new-stack pin is ignored while <paramref name="routing"/> is negative (rolled back, read under
    /// the set's lock). True when the pin was added or replaced an idle one.
    /// </summary>
    public bool Import(string key, StackChoice stack, TimeSpan idleFor, ref int routing)
    {
        var idleTicks = (long)(idleFor.TotalSeconds * _time.TimestampFrequency);
        if (_sets == 0 || idleTicks > _idleTicks)
        {
            return false;
        }

        var hash = key.GetHashCode();
        var set = SetOf(hash);
        var tag = hash | 1;
        var first = set * Ways;
        var now = _time.GetTimestamp();
        lock (_stripes[set & _stripeMask])
        {
            if (Volatile.Read(ref routing) < 0 && stack == StackChoice.New)
            {
                return false;
            }

            var found = Find(first, tag, key, out var empty);
            if (found >= 0)
            {
                if (now - _pins[found].LastSeen <= _idleTicks)
                {
                    return false;
                }

                _pins[found] = new Pin { Key = key, LastSeen = now - idleTicks, Stack = stack };
                return true;
            }

            var slot = ClaimSlot(first, empty);
            _tags[slot] = tag;
            _pins[slot] = new Pin { Key = key, LastSeen = now - idleTicks, Stack = stack };
            return true;
        }
    }

    /// <summary>Drops the pins idle past the idle timeout; returns how many.</summary>
    public int RemoveIdle()
    {
        var now = _time.GetTimestamp();
        return Sweep(pin => now - pin.LastSeen > _idleTicks);
    }

    /// <summary>Drops every pin to <paramref name="stack"/>; returns how many.</summary>
    public int RemoveStack(StackChoice stack) => Sweep(pin => pin.Stack == stack);

    // Lemire's multiply-shift maps the hash onto [0, _sets) without a division.
    private int SetOf(int hash) => (int)(((ulong)(uint)hash * (ulong)_sets) >> 32);

    /// <summary>
    /// The slot for a new pin in the set starting at <paramref name="first"/> (caller holds its stripe lock): a free one
    /// from the <paramref name="empty"/> bit mask (counted), else the least recently seen pin, which is an idle one
    /// whenever the set holds one.
    /// </summary>
    private int ClaimSlot(int first, uint empty)
    {
        if (empty != 0)
        {
            Interlocked.Increment(ref _count);
            return first + BitOperations.TrailingZeroCount(empty);
        }

        var slot = first;
        for (var i = first + 1; i < first + Ways; i++)
        {
            if (_pins[i].LastSeen < _pins[slot].LastSeen)
            {
                slot = i;
            }
        }

        return slot;
    }

    private int Sweep(Func<Pin, bool> remove)
    {
        var removed = 0;
        for (var stripe = 0; stripe < _stripes.Length; stripe++)
        {
            lock (_stripes[stripe])
            {
                for (var set = stripe; set < _sets; set += _stripes.Length)
                {
                    for (var i = set * Ways; i < (set + 1) * Ways; i++)
                    {
                        if (_tags[i] != 0 && remove(_pins[i]))
                        {
                            _tags[i] = 0;
                            _pins[i] = default;
                            removed++;
                        }
                    }
                }
            }
        }

        Interlocked.Add(ref _count, -removed);
        return removed;
    }

    /// <summary>
    /// Index of the pin of <paramref name="key"/> in the set starting at <paramref name="first"/>, or -1; the set's
    /// empty slots as a bit mask. Caller holds the set's stripe lock.
    /// </summary>
    private int Find(int first, int tag, string key, out uint empty)
    {
        // The tags of a set fill one cache line: compare all 16 at once and look at keys only where a tag matches.
        ref var tags = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tags), first);
        uint matches;
        if (Vector256.IsHardwareAccelerated)
        {
            var low = Vector256.LoadUnsafe(ref tags);
            var high = Vector256.LoadUnsafe(ref tags, 8);
            var wanted = Vector256.Create(tag);
            matches = Vector256.Equals(low, wanted).ExtractMostSignificantBits() | (Vector256.Equals(high, wanted).ExtractMostSignificantBits() << 8);
            empty = Vector256.Equals(low, Vector256<int>.Zero).ExtractMostSignificantBits() | (Vector256.Equals(high, Vector256<int>.Zero).ExtractMostSignificantBits() << 8);
        }
        else
        {
            matches = 0;
            empty = 0;
            for (var i = 0; i < Ways; i++)
            {
                var value = Unsafe.Add(ref tags, i);
                matches |= (value == tag ? 1u : 0u) << i;
                empty |= (value == 0 ? 1u : 0u) << i;
            }
        }

        while (matches != 0)
        {
            var index = first + BitOperations.TrailingZeroCount(matches);
            if (string.Equals(_pins[index].Key, key, StringComparison.Ordinal))
            {
                return index;
            }

            matches &= matches - 1;
        }

        return -1;
    }

    private struct Pin
    {
        public string? Key;
        public long LastSeen;
        public StackChoice Stack;
    }
}
