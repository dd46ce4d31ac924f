using DualStack.Core.Gates;

namespace DualStack.Core.Tests.Gates;

public sealed class GateEvaluatorTests
{
    private static readonly GateConfig Config = new() { Method = GateMethod.Window, Confidence = 0.95 };

    internal static WindowStats Stats(long requests, long errors, double p95Ms = 100) =>
        new(requests, errors, requests == 0 ? 0 : (double)errors / requests, p95Ms / 2, p95Ms, p95Ms * 1.2);

    private static GateResult Gate(IReadOnlyList<GateResult> results, string name) => results.Single(r => r.Name == name);

    [Test]
    public void Evaluate_EqualErrorRatesAndLatency_BothPass()
    {
        var results = GateEvaluator.Evaluate(Stats(1_000, 10), Stats(1_000, 10), Config);

        Assert.That(results.Select(r => r.Name), Is.EqualTo(new[] { "error-rate", "p95-latency" }));
        Assert.That(results.Select(r => r.Status), Is.All.EqualTo(GateStatus.Pass));
    }

    [Test]
    public void Evaluate_BothWithoutErrors_ErrorRatePasses()
    {
        var result = Gate(GateEvaluator.Evaluate(Stats(500, 0), Stats(500, 0), Config), GateEvaluator.ErrorRateGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Pass));
        Assert.That(result.Evidence, Does.Contain("z = 0.00"));
    }

    [Test]
    public void Evaluate_NewTenPercentVsOldZeroOver500_ErrorRateFailsWithEvidence()
    {
        var result = Gate(GateEvaluator.Evaluate(Stats(500, 0), Stats(500, 50), Config), GateEvaluator.ErrorRateGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Fail));
        Assert.That(result.Evidence, Does.Contain("new 10.00 % (50/500)"));
        Assert.That(result.Evidence, Does.Contain("old 0.00 % (0/500)"));
        Assert.That(result.Evidence, Does.Contain("z = 7.25"));
        Assert.That(result.Evidence, Does.Contain("critical 1.645"));
    }

    [Test]
    public void Evaluate_OnePercentVsPointEightPercent_NotSignificantPasses()
    {
        var result = Gate(GateEvaluator.Evaluate(Stats(500, 4), Stats(200, 2), Config), GateEvaluator.ErrorRateGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Pass));
        Assert.That(result.Evidence, Does.Contain("not significantly higher"));
    }

    [Test]
    public void Evaluate_SignificantButWithinAbsoluteTolerance_Passes()
    {
        var result = Gate(GateEvaluator.Evaluate(Stats(100_000, 1_000), Stats(100_000, 1_500), Config), GateEvaluator.ErrorRateGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Pass));
        Assert.That(result.Evidence, Does.Contain("within tolerance"));
    }

    [Test]
    public void Evaluate_NewBelowMinRequests_BothInconclusiveNamingCounts()
    {
        var results = GateEvaluator.Evaluate(Stats(1_000, 0), Stats(37, 30), Config);

        Assert.That(results.Select(r => r.Status), Is.All.EqualTo(GateStatus.Inconclusive));
        Assert.That(results.Select(r => r.Evidence), Is.All.EqualTo("new has 37 of 100 requests"));
    }

    [Test]
    public void Evaluate_OldBelowMinRequests_Inconclusive()
    {
        var results = GateEvaluator.Evaluate(Stats(12, 0), Stats(500, 0), Config with { MinRequests = 50 });

        Assert.That(results.Select(r => r.Evidence), Is.All.EqualTo("old has 12 of 50 requests"));
    }

    [Test]
    public void Evaluate_NewP95ThreeHundredMsSlower_LatencyFails()
    {
        var result = Gate(GateEvaluator.Evaluate(Stats(1_000, 0, p95Ms: 200), Stats(1_000, 0, p95Ms: 500), Config), GateEvaluator.P95LatencyGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Fail));
        Assert.That(result.Evidence, Is.EqualTo("new p95 500.0 ms vs old p95 200.0 ms: limit 225.0 ms (old × 1.10 + 5.0 ms): too slow"));
    }

    [Test]
    public void Evaluate_NewP95WithinRatioAndSlack_LatencyPasses()
    {
        var result = Gate(GateEvaluator.Evaluate(Stats(1_000, 0, p95Ms: 200), Stats(1_000, 0, p95Ms: 224), Config), GateEvaluator.P95LatencyGate);

        Assert.That(result.Status, Is.EqualTo(GateStatus.Pass));
    }

    [TestCase(0.5, 0.0)]
    [TestCase(0.95, 1.6448536)]
    [TestCase(0.975, 1.9599640)]
    [TestCase(0.99, 2.3263479)]
    [TestCase(0.01, -2.3263479)]
    [TestCase(0.001, -3.0902323)]
    [TestCase(0.9999, 3.7190165)]
    public void NormalQuantile_KnownValues_Matches(double p, double expected)
    {
        Assert.That(GateEvaluator.NormalQuantile(p), Is.EqualTo(expected).Within(1e-6));
    }

    [TestCase(0.0)]
    [TestCase(1.0)]
    [TestCase(double.NaN)]
    public void NormalQuantile_OutsideOpenInterval_Throws(double p)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GateEvaluator.NormalQuantile(p));
    }
}
