using System.Buffers;
using System.Text;

namespace DualStack.Core.Routing;

/// <summary>
/// The percentage split between the old and the new stack, with sticky conversations. Thread-safe; <see cref="Route"/>
/// allocates nothing. A conversation goes to the new stack when its <see cref="ConversationHash"/> bucket is below the
/// percentage's threshold, so raising the percentage only ever moves conversations from old to new. Once routed, a
/// conversation is pinned to its stack until it has been idle for <see cref="SplitOptions.PinIdleTimeout"/>, so a
/// conversation in flight does not change stacks when the percentage changes (a rollback excepted).
/// </summary>
public sealed class SplitState
{
    private const int StackallocLimit = 256;

    private readonly TimeProvider _time;
    private readonly PinTable _pins;
    private readonly Lock _changeLock = new();
    private SplitSnapshot _snapshot;

    // The bucket threshold for the new stack (0–10,000), or -1 while rolled back: one int, read without a lock.
    private int _routing;

    // True while a change decided elsewhere (shared state) is being applied; only touched under _changeLock.
    private bool _applyingShared;

    /// <summary>Creates the split at <see cref="SplitOptions.InitialPercent"/>; throws <see cref="ArgumentOutOfRangeException"/> for invalid options.</summary>
    public SplitState(SplitOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        CheckPercent(options.InitialPercent, nameof(options.InitialPercent));
        if (options.PinIdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.PinIdleTimeout, "PinIdleTimeout must be positive");
        }

        if (options.MaxPins < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxPins, "MaxPins must not be negative");
        }

        _time = time;
        _pins = new PinTable(options.MaxPins, options.PinIdleTimeout, time);
        _routing = ConversationHash.Threshold(options.InitialPercent);
        _snapshot = new SplitSnapshot(options.InitialPercent, RolledBack: false, RollbackReason: null, RampStep: -1, time.GetUtcNow(), Version: 0, PinCount: 0);
    }

    /// <summary>
    /// Raised after every change, synchronously and in order, with the new state and its audit entry. Handlers run under
    /// the change lock and should be quick; when one throws, the others still run, the change stays applied and the
    /// changing call throws an <see cref="AggregateException"/>.
    /// </summary>
    public event Action<SplitSnapshot, AuditEntry>? Changed;

    /// <summary>The current state, with the current pin count.</summary>
    public SplitSnapshot Snapshot => Volatile.Read(ref _snapshot) with { PinCount = _pins.Count };

    /// <summary>
    /// Picks the stack for a request of <paramref name="conversationKey"/> and pins the conversation to it: old while
    /// rolled back; else the pinned stack unless the pin is idle; else by hash bucket. Allocation-free.
    /// </summary>
    public StackChoice Route(string conversationKey)
    {
        ArgumentNullException.ThrowIfNull(conversationKey);
        if (Volatile.Read(ref _routing) < 0)
        {
            return StackChoice.Old;
        }

        return _pins.Enabled ? _pins.Route(conversationKey, ref _routing) : Decide(conversationKey, Volatile.Read(ref _routing));
    }

    /// <summary>The stack <see cref="Route"/> would pick now, without pinning or refreshing anything.</summary>
    public StackChoice Peek(string conversationKey)
    {
        ArgumentNullException.ThrowIfNull(conversationKey);
        var routing = Volatile.Read(ref _routing);
        if (routing < 0)
        {
            return StackChoice.Old;
        }

        if (_pins.Enabled && _pins.TryPeek(conversationKey, out var pinned))
        {
            return pinned;
        }

        return Decide(conversationKey, routing);
    }

    /// <summary>
    /// Sets the share of conversations for the new stack (0–100) and clears the rollback flag; pinned conversations keep
    /// their stack until idle. Throws <see cref="ArgumentOutOfRangeException"/> for a value outside 0–100.
    /// </summary>
    public SplitSnapshot SetPercent(double percent, string who, string why) => SetPercent(percent, who, why, rampStep: -1, AuditActions.Set);

    /// <summary>Sends all traffic to the old stack at once: percentage 0, rolled back, pins to the new stack dropped.</summary>
    public SplitSnapshot Rollback(string who, string reason) => Rollback(who, reason, AuditActions.Rollback);

    /// <summary>Sets the percentage to 100 (every new conversation to the new stack) and clears the rollback flag.</summary>
    public SplitSnapshot Promote(string who, string why) => Apply(100, rolledBack: false, rollbackReason: null, rampStep: -1, AuditActions.Promote, who, why);

    /// <summary>
    /// Drops pins idle past <see cref="SplitOptions.PinIdleTimeout"/> so <see cref="SplitSnapshot.PinCount"/> counts live
    /// conversations; returns how many were dropped. Routing never needs it (idle pins are reused and evicted first).
    /// </summary>
    public int PurgeIdle() => _pins.RemoveIdle();

    internal SplitSnapshot SetPercent(double percent, string who, string why, int rampStep, string action)
    {
        CheckPercent(percent, nameof(percent));
        return Apply(percent, rolledBack: false, rollbackReason: null, rampStep, action, who, why);
    }

    /// <summary>
    /// Like <see cref="SetPercent(double, string, string, int, string)"/>, but only while the state is still at
    /// <paramref name="expectedVersion"/>, so an automatic change never overrides a change (a rollback above all) made
    /// after it was decided. Null when the state had moved on.
    /// </summary>
    internal SplitSnapshot? SetPercentIfUnchanged(long expectedVersion, double percent, string who, string why, int rampStep, string action)
    {
        CheckPercent(percent, nameof(percent));
        return Apply(percent, rolledBack: false, rollbackReason: null, rampStep, action, who, why, expectedVersion);
    }

    /// <summary>
    /// True while <see cref="Changed"/> handlers run for a change applied by <see cref="ApplyShared"/> (read it from a
    /// handler: a shared-state sync must not write such a change back).
    /// </summary>
    internal bool IsApplyingShared => _applyingShared;

    /// <summary>
    /// Applies a state decided elsewhere (another proxy instance, through the shared store) with the same effects as a
    /// local change — routing, rollback sweep of new-stack pins, <see cref="Changed"/> with <paramref name="entry"/>.
    /// </summary>
    internal SplitSnapshot ApplyShared(double percent, bool rolledBack, string? rollbackReason, int rampStep, AuditEntry entry)
    {
        CheckPercent(percent, nameof(percent));
        lock (_changeLock)
        {
            _applyingShared = true;
            try
            {
                return Apply(percent, rolledBack, rolledBack ? rollbackReason ?? string.Empty : null, rampStep, entry.Action, entry.Who, entry.Reason, expectedVersion: -1, entry.At)!;
            }
            finally
            {
                _applyingShared = false;
            }
        }
    }

    /// <summary>
    /// Adds a pin made by another instance: <paramref name="key"/> on <paramref name="stack"/>, last seen
    /// <paramref name="idleFor"/> ago. A live local pin of the key wins; a pin already idle is ignored; a new-stack pin is
    /// ignored while rolled back. Returns true when the pin was added or replaced an idle one.
    /// </summary>
    internal bool ImportPin(string key, StackChoice stack, TimeSpan idleFor)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (idleFor < TimeSpan.Zero)
        {
            // Clocks of two hosts disagree a little: a pin "from the future" is simply fresh.
            idleFor = TimeSpan.Zero;
        }

        return _pins.Import(key, stack, idleFor, ref _routing);
    }

    internal SplitSnapshot Rollback(string who, string reason, string action) =>
        Apply(0, rolledBack: true, rollbackReason: reason ?? string.Empty, rampStep: -1, action, who, reason);

    /// <summary>Bucket of a key, like <see cref="ConversationHash.Bucket(string)"/> but without allocating for long keys.</summary>
    internal static int Bucket(string key)
    {
        // Short keys are encoded on the stack (as ConversationHash does), long ones in a pooled buffer, never a new array.
        if (key.Length <= StackallocLimit / 3)
        {
            Span<byte> bytes = stackalloc byte[StackallocLimit];
            var written = Encoding.UTF8.GetBytes(key, bytes);
            return ConversationHash.Bucket(bytes[..written]);
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(key));
        try
        {
            var length = Encoding.UTF8.GetBytes(key, rented);
            return ConversationHash.Bucket(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>New when the key's bucket is below <paramref name="threshold"/> (0–10,000), else old.</summary>
    internal static StackChoice Decide(string key, int threshold) => Bucket(key) < threshold ? StackChoice.New : StackChoice.Old;

    private static void CheckPercent(double percent, string name)
    {
        if (double.IsNaN(percent) || percent is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(name, percent, $"{percent} is not a percentage between 0 and 100");
        }
    }

    private SplitSnapshot Apply(double percent, bool rolledBack, string? rollbackReason, int rampStep, string action, string? who, string? reason) =>
        Apply(percent, rolledBack, rollbackReason, rampStep, action, who, reason, expectedVersion: -1)!;

    private SplitSnapshot? Apply(double percent, bool rolledBack, string? rollbackReason, int rampStep, string action, string? who, string? reason, long expectedVersion, DateTimeOffset? at = null)
    {
        lock (_changeLock)
        {
            var before = _snapshot;
            if (expectedVersion >= 0 && before.Version != expectedVersion)
            {
                return null;
            }

            var now = at ?? _time.GetUtcNow();
            Volatile.Write(ref _routing, rolledBack ? -1 : ConversationHash.Threshold(percent));
            var next = new SplitSnapshot(percent, rolledBack, rollbackReason, rampStep, now, before.Version + 1, PinCount: 0);
            Volatile.Write(ref _snapshot, next);
            if (rolledBack)
            {
                // Routing already answers "old"; dropping the new-stack pins keeps them from coming back when the
                // percentage is raised again.
                _pins.RemoveStack(StackChoice.New);
            }

            next = next with { PinCount = _pins.Count };
            Raise(next, new AuditEntry(now, who ?? string.Empty, action, before.Percent, percent, reason ?? string.Empty));
            return next;
        }
    }

    private void Raise(SplitSnapshot snapshot, AuditEntry entry)
    {
        if (Changed is not { } handlers)
        {
            return;
        }

        List<Exception>? errors = null;
        foreach (var handler in handlers.GetInvocationList().Cast<Action<SplitSnapshot, AuditEntry>>())
        {
            try
            {
                handler(snapshot, entry);
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }

        if (errors is not null)
        {
            throw new AggregateException($"{errors.Count} handler(s) of SplitState.Changed failed; the change ({entry.Action} to {entry.ToPercent} %) was applied", errors);
        }
    }
}
