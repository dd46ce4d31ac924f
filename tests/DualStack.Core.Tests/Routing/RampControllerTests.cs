using DualStack.Core.Config;
using DualStack.Core.Gates;
using DualStack.Core.Routing;
using Microsoft.Extensions.Time.Testing;
using DualStack.Core.Tests.Gates;

namespace DualStack.Core.Tests.Routing;

public sealed class RampControllerTests
{
    // These tests drive the gates with window statistics; the sequential gates have their own tests.
    private static readonly GateConfig WindowGates = new() { Method = GateMethod.Window, Confidence = 0.95 };

    private static readonly WindowStats Healthy = GateEvaluatorTests.Stats(1_000, 5, p95Ms: 100);

    private FakeTimeProvider _time = null!;
    private SplitState _state = null!;
    private List<AuditEntry> _audit = null!;
    private (WindowStats Old, WindowStats New) _stats;
    private RampController _ramp = null!;

    [SetUp]
    public void Create()
    {
        _time = SplitStateTests.Clock();
        _state = new SplitState(new SplitOptions(), _time);
        _audit = [];
        _state.Changed += (_, entry) => _audit.Add(entry);
        _stats = (Healthy, Healthy);
        _ramp = new RampController(_state, () => _stats, new RampPlan { Gates = WindowGates }, _time);
    }

    private RampStatus TickFor(TimeSpan span)
    {
        var status = _ramp.Tick();
        for (var elapsed = TimeSpan.Zero; elapsed < span; elapsed += TimeSpan.FromSeconds(1))
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            status = _ramp.Tick();
        }

        return status;
    }

    [Test]
    public void Tick_GatesPassThroughout_AdvancesThroughEveryStepTo100()
    {
        var status = TickFor(TimeSpan.FromMinutes(30));

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(100));
        Assert.That(_state.Snapshot.Promoted, Is.True);
        Assert.That(status.Step, Is.EqualTo(3));
        Assert.That(_audit.Select(a => (a.Who, a.Action, a.ToPercent)), Is.EqualTo(new[]
        {
            ("ramp", "auto-advance", 5.0), ("ramp", "auto-advance", 25.0), ("ramp", "auto-advance", 50.0), ("ramp", "auto-advance", 100.0),
        }));
        var gaps = _audit.Zip(_audit.Skip(1), (a, b) => b.At - a.At);
        Assert.That(gaps, Is.All.EqualTo(TimeSpan.FromSeconds(300)), "each step held exactly the hold time");
        Assert.That(_audit[1].Reason, Does.StartWith("gates passed for 300 s; error-rate: "));
        Assert.That(status.LastAction, Does.StartWith("idle: promoted"));
    }

    [Test]
    public void Tick_FirstTick_StartsStepZeroAtOnce()
    {
        var status = _ramp.Tick();

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(5));
        Assert.That(_state.Snapshot.RampStep, Is.Zero);
        Assert.That(status.LastAction, Is.EqualTo("auto-advance to 5 % (step 1 of 4)"));
    }

    [Test]
    public void Tick_GatesPassButHoldNotElapsed_Waits()
    {
        var status = TickFor(TimeSpan.FromSeconds(299));

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(5));
        Assert.That(status.LastAction, Is.EqualTo("holding at 5 %: gates pass, held 299 of 300 s"));
        Assert.That(status.HeldFor, Is.EqualTo(TimeSpan.FromSeconds(299)));

        _time.Advance(TimeSpan.FromSeconds(1));
        _ramp.Tick();

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(25));
    }

    [Test]
    public void Tick_ErrorRateFails_RollsBackWithReasonNamingTheGate()
    {
        TickFor(TimeSpan.FromSeconds(10));
        _stats = (GateEvaluatorTests.Stats(500, 0), GateEvaluatorTests.Stats(500, 50));

        var status = _ramp.Tick();

        var split = _state.Snapshot;
        Assert.That(split.RolledBack, Is.True);
        Assert.That(split.Percent, Is.Zero);
        Assert.That(split.RollbackReason, Does.StartWith("error-rate: new 10.00 % (50/500)"));
        Assert.That(_audit[^1], Has.Property(nameof(AuditEntry.Action)).EqualTo("auto-rollback").And.Property(nameof(AuditEntry.Who)).EqualTo("ramp"));
        Assert.That(_audit[^1].Reason, Is.EqualTo(split.RollbackReason));
        Assert.That(status.Gates.Single(g => g.Name == "error-rate").Status, Is.EqualTo(GateStatus.Fail));
        Assert.That(status.LastAction, Does.StartWith("auto-rollback: error-rate: "));

        var version = split.Version;
        TickFor(TimeSpan.FromMinutes(10));
        Assert.That(_state.Snapshot.Version, Is.EqualTo(version), "rolled back: the ramp stays idle");
    }

    [Test]
    public void Tick_LatencyFails_RollsBackNamingLatencyGate()
    {
        _ramp.Tick();
        _stats = (GateEvaluatorTests.Stats(1_000, 0, p95Ms: 200), GateEvaluatorTests.Stats(1_000, 0, p95Ms: 500));

        _ramp.Tick();

        Assert.That(_state.Snapshot.RollbackReason, Does.StartWith("p95-latency: new p95 500.0 ms"));
    }

    [Test]
    public void Tick_Inconclusive_HoldsTheStep()
    {
        _stats = (Healthy, GateEvaluatorTests.Stats(37, 0));

        var status = TickFor(TimeSpan.FromMinutes(20));

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(5));
        Assert.That(status.Gates.Select(g => g.Status), Is.All.EqualTo(GateStatus.Inconclusive));
        Assert.That(status.LastAction, Is.EqualTo("waiting at 5 %: new has 37 of 100 requests"));
    }

    [Test]
    public void Advance_ByHand_MovesToNextStepWhateverTheGates()
    {
        _stats = (Healthy, GateEvaluatorTests.Stats(37, 0));
        _ramp.Tick();

        var status = _ramp.Advance("alice", "looks fine");

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(25));
        Assert.That(status.Step, Is.EqualTo(1));
        Assert.That(_audit[^1], Is.EqualTo(new AuditEntry(_time.GetUtcNow(), "alice", "advance", 5, 25, "looks fine")));
    }

    [Test]
    public void Advance_AfterRollback_StartsAgainAtStepZero()
    {
        _state.Rollback("ops", "bad");

        _ramp.Advance("alice");

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(5));
        Assert.That(_state.Snapshot.RolledBack, Is.False);
    }

    [Test]
    public void Advance_AtLastStep_Throws()
    {
        _state.Promote("ops", "done");

        Assert.Throws<InvalidOperationException>(() => _ramp.Advance("alice"));
    }

    [Test]
    public void Tick_RolledBackByHandWhileDeciding_RollbackWins()
    {
        TickFor(TimeSpan.FromSeconds(300));
        Assume.That(_state.Snapshot.Percent, Is.EqualTo(25));
        _time.Advance(TimeSpan.FromSeconds(300));
        _stats = default;
        _ramp = new RampController(_state, () =>
        {
            // An operator rolls back between the ramp reading the split and acting on it.
            _state.Rollback("ops", "manual");
            return (Healthy, Healthy);
        }, new RampPlan { Gates = WindowGates }, _time);

        var status = _ramp.Tick();

        Assert.That(_state.Snapshot.RolledBack, Is.True);
        Assert.That(_state.Snapshot.Percent, Is.Zero);
        Assert.That(status.LastAction, Does.StartWith("skipped an auto-advance"));
    }

    [Test]
    public void Tick_SetBelowFirstStepByHand_RestartsTheRamp()
    {
        TickFor(TimeSpan.FromSeconds(300));
        _state.SetPercent(0, "ops", "restart");

        _ramp.Tick();

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(5));
    }

    [Test]
    public void Tick_PlanEndsBelow100_HoldsAtLastStep()
    {
        _ramp = new RampController(_state, () => _stats, new RampPlan { Steps = [10, 50], HoldSeconds = 60, Gates = WindowGates }, _time);

        var status = TickFor(TimeSpan.FromMinutes(10));

        Assert.That(_state.Snapshot.Percent, Is.EqualTo(50));
        Assert.That(status.LastAction, Is.EqualTo("holding at the last step (50 %): gates pass"));
    }

    [Test]
    public void Constructor_InvalidPlan_ThrowsConfigException()
    {
        var ex = Assert.Throws<ConfigException>(() => _ = new RampController(_state, () => _stats, new RampPlan { Steps = [50, 25] }, _time));

        Assert.That(ex!.Errors.Single(), Does.StartWith("ramp plan: steps[1]: 25 is not above"));
    }

    [Test]
    public void Tick_SequentialGates_JudgeOnlyWhatHappenedSinceTheRampStarted()
    {
        // Before the ramp: the new stack failed half its requests (an earlier, rolled-back attempt).
        var histogram = new long[SlidingWindow.LatencyBuckets + 2];
        histogram[SlidingWindow.BucketOf(100)] = 1_000;
        var totals = (Old: new GateSample(1_000, 10, histogram), New: new GateSample(1_000, 500, (long[])histogram.Clone()));
        var ramp = new RampController(_state, () => _stats, new RampPlan(), _time, () => totals);
        ramp.Tick(); // starts step 0 and takes the baseline

        // Since then both stacks served 2,000 requests with 10 errors each.
        var grown = (long[])histogram.Clone();
        grown[SlidingWindow.BucketOf(100)] += 2_000;
        totals = (new GateSample(3_000, 20, grown), new GateSample(3_000, 510, (long[])grown.Clone()));
        _time.Advance(TimeSpan.FromSeconds(1));
        var status = ramp.Tick();

        Assert.That(_state.Snapshot.RolledBack, Is.False, status.LastAction);
        Assert.That(status.Gates.Select(g => g.Status), Is.All.EqualTo(GateStatus.Pass));
        Assert.That(status.Gates[0].Evidence, Does.Contain("(10/2000)"));

        // 300 more requests with 150 errors on the new stack: now it fails.
        totals = (new GateSample(3_300, 23, grown), new GateSample(3_300, 660, (long[])grown.Clone()));
        _time.Advance(TimeSpan.FromSeconds(1));
        ramp.Tick();

        Assert.That(_state.Snapshot.RolledBack, Is.True);
    }

    [Test]
    public void Tick_FailureThresholdThree_RollsBackOnTheThirdFailingTickInARow()
    {
        var plan = new RampPlan { Gates = WindowGates with { FailureThreshold = 3 } };
        var ramp = new RampController(_state, () => _stats, plan, _time);
        ramp.Tick();
        _stats = (GateEvaluatorTests.Stats(500, 0), GateEvaluatorTests.Stats(500, 50));

        ramp.Tick();
        ramp.Tick();
        var rolledBackEarly = _state.Snapshot.RolledBack;
        _stats = (Healthy, Healthy);
        ramp.Tick(); // a passing evaluation resets the count
        _stats = (GateEvaluatorTests.Stats(500, 0), GateEvaluatorTests.Stats(500, 50));
        ramp.Tick();
        ramp.Tick();
        var afterTwoMore = _state.Snapshot.RolledBack;
        var status = ramp.Tick();

        Assert.That((rolledBackEarly, afterTwoMore), Is.EqualTo((false, false)));
        Assert.That(_state.Snapshot.RolledBack, Is.True, status.LastAction);
    }
}
