using DualStack.Core.Gates;

namespace DualStack.Core.Routing;

/// <summary>One evaluation of a <see cref="GateWatch"/>.</summary>
/// <param name="Gates">The gate results.</param>
/// <param name="RolledBack">The split after the automatic rollback; null when no gate failed.</param>
/// <param name="Reason">Each failed gate with its evidence (<c>name: evidence; …</c>); null when none failed.</param>
public sealed record GateCheck(IReadOnlyList<GateResult> Gates, SplitSnapshot? RolledBack, string? Reason)
{
    /// <summary>Failing evaluations in a row so far, this one included; 0 when no gate failed.</summary>
    public int FailStreak { get; init; }
}

/// <summary>
/// The one automatic rollback: evaluates the gates — sequential ones (<see cref="GateMethod.Sequential"/>, the default) on
/// everything each stack did since <see cref="Restart"/>, window ones on the current sliding windows — and rolls the split
/// back (audit action <c>auto-rollback</c>, the reason naming every failed gate) after
/// <see cref="GateConfig.FailureThreshold"/> failing evaluations in a row. The ramp uses it on every tick; a proxy
/// without a ramp plan uses it alone. Thread-safe.
/// </summary>
public sealed class GateWatch
{
    private readonly SplitState _state;
    private readonly Func<(WindowStats Old, WindowStats New)> _stats;
    private readonly Func<(GateSample Old, GateSample New)>? _totals;
    private readonly GateConfig _gates;
    private readonly string _who;
    private readonly Lock _lock = new();
    private IReadOnlyList<GateResult> _latest = [];
    private (GateSample Old, GateSample New) _baseline = (GateSample.Empty, GateSample.Empty);
    private int _failStreak;

    /// <summary>Creates the watch.</summary>
    /// <param name="state">The split to roll back.</param>
    /// <param name="stats">Current window statistics of the old and the new stack.</param>
    /// <param name="gates">The gates.</param>
    /// <param name="who">The audit <see cref="AuditEntry.Who"/> of a rollback.</param>
    /// <param name="totals">
    /// Everything each stack did so far (<see cref="SlidingWindow.Totals"/>), for <see cref="GateMethod.Sequential"/> gates,
    /// which judge what happened since <see cref="Restart"/> (or since the watch was made); without it they judge nothing
    /// (inconclusive).
    /// </param>
    public GateWatch(SplitState state, Func<(WindowStats Old, WindowStats New)> stats, GateConfig gates, string who, Func<(GateSample Old, GateSample New)>? totals = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(gates);
        ArgumentException.ThrowIfNullOrWhiteSpace(who);
        _state = state;
        _stats = stats;
        _gates = gates;
        _who = who;
        _totals = totals;
        _baseline = totals?.Invoke() ?? _baseline;
    }

    /// <summary>The latest gate results; empty before the first <see cref="Check"/>.</summary>
    public IReadOnlyList<GateResult> Latest => Volatile.Read(ref _latest);

    /// <summary>Sequential gates judge what happens from now on, and the run of failing evaluations starts again (a ramp (re)starts).</summary>
    public void Restart()
    {
        lock (_lock)
        {
            _baseline = _totals?.Invoke() ?? _baseline;
            _failStreak = 0;
        }
    }

    /// <summary>Evaluates the gates now and rolls back when one has failed <see cref="GateConfig.FailureThreshold"/> times in a row.</summary>
    public GateCheck Check()
    {
        lock (_lock)
        {
            var gates = Evaluate();
            Volatile.Write(ref _latest, gates);
            var failed = gates.Where(g => g.Status == GateStatus.Fail).ToArray();
            _failStreak = failed.Length > 0 ? _failStreak + 1 : 0;
            if (failed.Length == 0)
            {
                return new GateCheck(gates, null, null);
            }

            var reason = string.Join("; ", failed.Select(g => $"{g.Name}: {g.Evidence}"));
            if (_failStreak < _gates.FailureThreshold)
            {
                return new GateCheck(gates, null, reason) { FailStreak = _failStreak };
            }

            return new GateCheck(gates, _state.Rollback(_who, reason, AuditActions.AutoRollback), reason) { FailStreak = _failStreak };
        }
    }

    private IReadOnlyList<GateResult> Evaluate()
    {
        if (_gates.Method == GateMethod.Window)
        {
            var (old, @new) = _stats();
            return GateEvaluator.Evaluate(old, @new, _gates);
        }

        var (oldTotal, newTotal) = _totals?.Invoke() ?? _baseline;
        return SequentialGates.Evaluate(oldTotal.Minus(_baseline.Old), newTotal.Minus(_baseline.New), _gates);
    }
}
