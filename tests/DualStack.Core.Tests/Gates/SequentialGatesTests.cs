using DualStack.Core.Gates;

namespace DualStack.Core.Tests.Gates;

public sealed class SequentialGatesTests
{
    private static readonly GateConfig Config = new();

    // n requests with latencies spread evenly (in log scale) between fromMs and toMs.
    private static GateSample Sample(long requests, long errors, double fromMs = 100, double toMs = 300)
    {
        var histogram = new long[SlidingWindow.LatencyBuckets + 2];
        for (var i = 0; i < requests; i++)
        {
            var latency = fromMs * Math.Pow(toMs / fromMs, (i + 0.5) / requests);
            histogram[SlidingWindow.BucketOf(latency)]++;
        }

        return new GateSample(requests, errors, histogram);
    }

    private static GateResult Gate(IReadOnlyList<GateResult> results, string name) => results.Single(r => r.Name == name);

    [Test]
    public void ErrorLambda_KnownValues_MatchesTheClosedForm()
    {
        // Pooled p̄ = 71/2002, V = p̄(1 − p̄)(1/1000 + 1/1000), τ² = 0.0009, Δ̂ = 0.05.
        var (lambda, difference) = SequentialGates.ErrorLambda(1_000, 10, 1_000, 60);

        var pooled = 71.0 / 2002;
        var v = pooled * (1 - pooled) * 0.002;
        var expected = Math.Sqrt(v / (v + 0.0009)) * Math.Exp(0.0009 * 0.05 * 0.05 / (2 * v * (v + 0.0009)));
        Assert.That(difference, Is.EqualTo(0.05).Within(1e-12));
        Assert.That(lambda, Is.EqualTo(expected).Within(expected * 1e-12));
    }

    [Test]
    public void Evaluate_SameRatesAndLatencies_Passes()
    {
        var results = SequentialGates.Evaluate(Sample(5_000, 50), Sample(5_000, 50), Config);

        Assert.That(results.Select(r => r.Status), Is.All.EqualTo(GateStatus.Pass));
    }

    [Test]
    public void Evaluate_FivePointsMoreErrors_FailsErrorRate()
    {
        var result = Gate(SequentialGates.Evaluate(Sample(2_000, 20), Sample(2_000, 120), Config), GateEvaluator.ErrorRateGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Fail));
        Assert.That(result.Evidence, Does.Contain("difference 5.00 points").And.Contain("mixture SPRT"));
    }

    [Test]
    public void Evaluate_HigherButWithinTolerance_Passes()
    {
        // 0.8 points more on 100,000 requests each: significant, but below the 1-point tolerance.
        var result = Gate(SequentialGates.Evaluate(Sample(100_000, 1_000), Sample(100_000, 1_800), Config), GateEvaluator.ErrorRateGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Pass));
    }

    [Test]
    public void Evaluate_LatencyTwiceAsHigh_FailsP95()
    {
        var result = Gate(SequentialGates.Evaluate(Sample(2_000, 0), Sample(2_000, 0, 200, 600), Config), GateEvaluator.P95LatencyGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Fail));
        Assert.That(result.Evidence, Does.Contain("too slow"));
    }

    [Test]
    public void Evaluate_LatencyFivePercentHigher_PassesBecauseTheIntervalReachesBelowTheLimit()
    {
        var result = Gate(SequentialGates.Evaluate(Sample(100_000, 0), Sample(100_000, 0, 105, 315), Config), GateEvaluator.P95LatencyGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Pass));
    }

    [Test]
    public void Evaluate_FewRequests_Inconclusive()
    {
        var results = SequentialGates.Evaluate(Sample(99, 50), Sample(5_000, 0), Config);

        Assert.That(results.Select(r => r.Status), Is.All.EqualTo(GateStatus.Inconclusive));
    }

    [Test]
    public void QuantileBounds_ManyRequests_BracketTheTrueP95()
    {
        var sample = Sample(100_000, 0);
        var trueP95 = 100 * Math.Pow(3, 0.95);

        var (lower, upper) = SequentialGates.QuantileBounds(sample, 0.95, 0.0025);

        Assert.That(lower, Is.LessThanOrEqualTo(trueP95));
        Assert.That(upper, Is.GreaterThanOrEqualTo(trueP95));
        Assert.That(upper / lower, Is.LessThan(1.2), "100,000 requests pin the p95 to a few buckets");
    }

    [Test]
    public void Totals_AfterRecords_CountEverythingAndSubtract()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var window = new SlidingWindow(TimeSpan.FromSeconds(10), time);
        window.Record(50, error: false);
        var before = window.Totals();
        time.Advance(TimeSpan.FromMinutes(5));
        window.Record(70, error: true);

        var since = window.Totals().Minus(before);

        Assert.That(window.Totals().Requests, Is.EqualTo(2), "totals outlive the 10 s window");
        Assert.That((since.Requests, since.Errors), Is.EqualTo((1L, 1L)));
        Assert.That(since.Histogram[SlidingWindow.BucketOf(70)], Is.EqualTo(1));
    }
}
