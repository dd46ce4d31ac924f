using System.Globalization;
using DualStack.Core.Config;
using DualStack.Core.Gates;

namespace DualStack.Core.Routing;

/// <summary>Where the automatic ramp stands.</summary>
/// <param name="Step">Index into <paramref name="Steps"/> of the current step; -1 before the ramp starts or after a change by hand.</param>
/// <param name="Steps">The plan's percentages.</param>
/// <param name="HeldFor">Time since the split last changed.</param>
/// <param name="Gates">Latest gate results; empty before the first evaluation.</param>
/// <param name="LastAction">What the latest tick or advance did, for people; null before the first.</param>
public sealed record RampStatus(int Step, IReadOnlyList<double> Steps, TimeSpan HeldFor, IReadOnlyList<GateResult> Gates, string? LastAction);

/// <summary>
/// Drives a <see cref="SplitState"/> through a <see cref="RampPlan"/>. The host calls <see cref="Tick"/> every second:
/// idle while rolled back or promoted; below the first step (at start, or set there by hand) it starts step 0; otherwise
/// it evaluates the gates (sequential: on everything since the ramp started; window: on the sliding window):
/// <see cref="GateConfig.FailureThreshold"/> failing evaluations in a row roll back (audit action <c>auto-rollback</c>, reason
/// naming the gate), all passing for the plan's hold time moves to the next step (<c>auto-advance</c>), inconclusive
/// waits. A change by hand in between is never overridden. To keep everything on the old stack, roll back. Thread-safe.
/// </summary>
public sealed class RampController
{
    /// <summary>The audit <see cref="AuditEntry.Who"/> of automatic changes.</summary>
    public const string Who = "ramp";

    private readonly SplitState _state;
    private readonly GateWatch _watch;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private string? _lastAction;

    /// <summary>Creates the controller; throws <see cref="ConfigException"/> when <paramref name="plan"/> is invalid.</summary>
    /// <param name="state">The split to drive.</param>
    /// <param name="stats">Current window statistics of the old and the new stack.</param>
    /// <param name="plan">Steps, hold time and gates.</param>
    /// <param name="time">Clock.</param>
    /// <param name="totals">
    /// Everything each stack did so far (<see cref="SlidingWindow.Totals"/>), for <see cref="GateMethod.Sequential"/> gates,
    /// which judge what happened since the ramp started; without it they judge nothing (inconclusive).
    /// </param>
    public RampController(SplitState state, Func<(WindowStats Old, WindowStats New)> stats, RampPlan plan, TimeProvider time, Func<(GateSample Old, GateSample New)>? totals = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(time);
        var errors = RampPlanLoader.Validate(plan, "ramp plan");
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        _state = state;
        _watch = new GateWatch(state, stats, plan.EffectiveGates, Who, totals);
        Plan = plan;
        _time = time;
    }

    /// <summary>The plan being followed.</summary>
    public RampPlan Plan { get; }

    /// <summary>The current status (latest gate results and action, current hold time).</summary>
    public RampStatus Status
    {
        get
        {
            lock (_gate)
            {
                return StatusOf(_state.Snapshot);
            }
        }
    }

    /// <summary>One step of the control loop; see the type's summary. Call it about once a second.</summary>
    public RampStatus Tick()
    {
        lock (_gate)
        {
            var split = _state.Snapshot;
            if (split.RolledBack)
            {
                return Done(split, $"idle: rolled back ({split.RollbackReason})");
            }

            if (split.Promoted)
            {
                return Done(split, Invariant($"idle: promoted ({split.Percent} %)"));
            }

            var steps = Plan.Steps;
            if (split.Percent < steps[0])
            {
                // Nothing (or too little) reaches the new stack to judge: start the ramp.
                return MoveTo(split, 0, Invariant($"ramp start from {split.Percent} %"));
            }

            var check = _watch.Check();
            if (check.RolledBack is null && check.Reason is not null)
            {
                return Done(split, Invariant($"failing at {split.Percent} % ({check.FailStreak} of {Plan.EffectiveGates.FailureThreshold} in a row before a rollback): {check.Reason}"));
            }

            if (check.RolledBack is { } rolledBack)
            {
                return Done(rolledBack, $"auto-rollback: {check.Reason}");
            }

            var waiting = check.Gates.FirstOrDefault(g => g.Status == GateStatus.Inconclusive);
            if (waiting is not null)
            {
                return Done(split, Invariant($"waiting at {split.Percent} %: {waiting.Evidence}"));
            }

            var next = NextStep(split.Percent);
            if (next < 0)
            {
                return Done(split, Invariant($"holding at the last step ({split.Percent} %): gates pass"));
            }

            var held = HeldFor(split);
            if (held < Plan.Hold)
            {
                return Done(split, Invariant($"holding at {split.Percent} %: gates pass, held {Seconds(held)} of {Plan.HoldSeconds} s"));
            }

            var evidence = string.Join("; ", check.Gates.Select(g => $"{g.Name}: {g.Evidence}"));
            return MoveTo(split, next, $"gates passed for {Seconds(held)} s; {evidence}");
        }
    }

    /// <summary>
    /// Moves to the next step above the current percentage by hand (audit action <c>advance</c>), whatever the gates
    /// say; from a rollback that is step 0. Throws <see cref="InvalidOperationException"/> at or beyond the last step.
    /// </summary>
    public RampStatus Advance(string who, string? why = null)
    {
        lock (_gate)
        {
            var split = _state.Snapshot;
            var next = NextStep(split.Percent);
            if (next < 0)
            {
                throw new InvalidOperationException(Invariant($"the ramp is already at or beyond its last step ({Plan.Steps[^1]} %; now {split.Percent} %)"));
            }

            var percent = Plan.Steps[next];
            var changed = _state.SetPercent(percent, who, string.IsNullOrWhiteSpace(why) ? "manual advance" : why, next, AuditActions.Advance);
            return Done(changed, Invariant($"advance by {who} to {percent} % (step {next + 1} of {Plan.Steps.Count})"));
        }
    }

    private RampStatus MoveTo(SplitSnapshot split, int step, string reason)
    {
        if (step == 0)
        {
            // A ramp (re)starts: the sequential gates judge what happens from here on.
            _watch.Restart();
        }

        var percent = Plan.Steps[step];
        var changed = _state.SetPercentIfUnchanged(split.Version, percent, Who, reason, step, AuditActions.AutoAdvance);
        return changed is null
            ? Done(_state.Snapshot, "skipped an auto-advance: the split changed meanwhile")
            : Done(changed, Invariant($"auto-advance to {percent} % (step {step + 1} of {Plan.Steps.Count})"));
    }

    private RampStatus Done(SplitSnapshot split, string action)
    {
        _lastAction = action;
        return StatusOf(split);
    }

    private RampStatus StatusOf(SplitSnapshot split) => new(split.RampStep, Plan.Steps, HeldFor(split), _watch.Latest, _lastAction);

    private TimeSpan HeldFor(SplitSnapshot split)
    {
        var held = _time.GetUtcNow() - split.ChangedAt;
        return held < TimeSpan.Zero ? TimeSpan.Zero : held;
    }

    private int NextStep(double percent)
    {
        for (var i = 0; i < Plan.Steps.Count; i++)
        {
            if (Plan.Steps[i] > percent)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Seconds(TimeSpan span) => Math.Floor(span.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
