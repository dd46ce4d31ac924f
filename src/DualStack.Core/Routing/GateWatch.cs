using DualStack.Core.Gates;

namespace DualStack.Core.Routing;

/// <summary>One evaluation of a <see cref="GateWatch"/>.</summary>
/// <param name="Gates">The gate results.</param>
/// <param name="RolledBack">The split after the automatic rollback; null when no gate failed.</param>
/// <param name="Reason">Each failed gate with its evidence (<c>name: evidence; …</c>); null when none failed.</param>
public sealed record GateCheck(IReadOnlyList<GateResult> Gates, SplitSnapshot? RolledBack, string? Reason);

/// <summary>
/// The one automatic rollback: evaluates the gates on the current windows of the old and the new stack and, when any
/// gate fails, rolls the split back (audit action <c>auto-rollback</c>, the reason naming every failed gate). The ramp
/// uses it on every tick; a proxy without a ramp plan uses it alone. Thread-safe.
/// </summary>
public sealed class GateWatch
{
    private readonly SplitState _state;
    private readonly Func<(WindowStats Old, WindowStats New)> _stats;
    private readonly GateConfig _gates;
    private readonly string _who;
    private IReadOnlyList<GateResult> _latest = [];

    /// <summary>Creates the watch.</summary>
    /// <param name="state">The split to roll back.</param>
    /// <param name="stats">Current window statistics of the old and the new stack.</param>
    /// <param name="gates">The gates.</param>
    /// <param name="who">The audit <see cref="AuditEntry.Who"/> of a rollback.</param>
    public GateWatch(SplitState state, Func<(WindowStats Old, WindowStats New)> stats, GateConfig gates, string who)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(gates);
        ArgumentException.ThrowIfNullOrWhiteSpace(who);
        _state = state;
        _stats = stats;
        _gates = gates;
        _who = who;
    }

    /// <summary>The latest gate results; empty before the first <see cref="Check"/>.</summary>
    public IReadOnlyList<GateResult> Latest => Volatile.Read(ref _latest);

    /// <summary>Evaluates the gates now and rolls back when one fails.</summary>
    public GateCheck Check()
    {
        var (old, @new) = _stats();
        var gates = GateEvaluator.Evaluate(old, @new, _gates);
        Volatile.Write(ref _latest, gates);
        var failed = gates.Where(g => g.Status == GateStatus.Fail).ToArray();
        if (failed.Length == 0)
        {
            return new GateCheck(gates, null, null);
        }

        var reason = string.Join("; ", failed.Select(g => $"{g.Name}: {g.Evidence}"));
        return new GateCheck(gates, _state.Rollback(_who, reason, AuditActions.AutoRollback), reason);
    }
}
