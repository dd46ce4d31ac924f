using System.Globalization;
using System.Text.Json.Serialization;

namespace DualStack.Core.Gates;

/// <summary>Outcome of one metric gate.</summary>
public enum GateStatus
{
    /// <summary>The new stack is not worse than the old one.</summary>
    Pass,

    /// <summary>The new stack is worse beyond the configured tolerance.</summary>
    Fail,

    /// <summary>Not enough requests to judge yet.</summary>
    Inconclusive,
}

/// <summary>One gate's verdict.</summary>
/// <param name="Name">Gate name: <c>error-rate</c> or <c>p95-latency</c>.</param>
/// <param name="Status">Verdict.</param>
/// <param name="Evidence">The numbers behind the verdict, for people.</param>
public sealed record GateResult(string Name, GateStatus Status, string Evidence);

/// <summary>How the gates judge the new stack.</summary>
public enum GateMethod
{
    /// <summary>
    /// Always-valid tests on everything since the ramp started (<see cref="SequentialGates"/>): a mixture SPRT on the
    /// error-rate difference and confidence sequences for both p95s. Re-evaluating every second keeps the false-rollback
    /// rate of the whole ramp at most 1 − <see cref="GateConfig.Confidence"/>. The default.
    /// </summary>
    Sequential,

    /// <summary>
    /// The fixed-sample tests on the sliding window (<see cref="GateEvaluator"/>): a one-sided two-proportion z-test and
    /// new p95 against old p95 × ratio + slack. Repeated every second these are repeated significance tests, so their
    /// false-rollback rate is well above 1 − confidence; pair them with <see cref="GateConfig.FailureThreshold"/>.
    /// </summary>
    Window,
}

/// <summary>How strictly the new stack is compared with the old one.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record GateConfig
{
    /// <summary><see cref="GateMethod.Sequential"/> (default) or <see cref="GateMethod.Window"/>.</summary>
    public GateMethod Method { get; init; } = GateMethod.Sequential;

    /// <summary>
    /// 1 − α, in (0.5, 1); default 0.99. Sequential: the probability that a ramp of a new stack no worse than the old one
    /// runs to the end without a rollback (α shared equally by the two gates). Window: the confidence of each z-test.
    /// </summary>
    public double Confidence { get; init; } = 0.99;

    /// <summary>
    /// Failing evaluations in a row before a rollback (Flagger's <c>threshold</c>), at least 1; default 1. One evaluation
    /// runs per tick (1 s), so N delays a rollback by N − 1 s and can only lower the false-rollback rate.
    /// </summary>
    public int FailureThreshold { get; init; } = 1;

    /// <summary>The new error rate may exceed the old one by this much (0–1) even when significant; default 0.01 (1 point).</summary>
    public double AbsoluteErrorTolerance { get; init; } = 0.01;

    /// <summary>
    /// The new p95 may be this many times the old one; default 1.10. Sequential: fails only when the confidence sequences
    /// put the ratio above this. Window: new p95 above old p95 × this + <see cref="P95SlackMs"/> fails.
    /// </summary>
    public double MaxP95Ratio { get; init; } = 1.10;

    /// <summary>Window method only: milliseconds added to the p95 limit so tiny latencies are not judged on noise; default 5.</summary>
    public double P95SlackMs { get; init; } = 5;

    /// <summary>
    /// Requests each stack needs in the window before it is judged; default 100. Not read from a gates JSON object:
    /// ramp.json sets it at the top level (<see cref="RampPlan.MinRequests"/>).
    /// </summary>
    [JsonIgnore]
    public long MinRequests { get; init; } = 100;
}

/// <summary>Compares the new stack's window with the old one's: error rate and p95 latency.</summary>
internal static class GateEvaluator
{
    /// <summary>Name of the error-rate gate.</summary>
    public const string ErrorRateGate = "error-rate";

    /// <summary>Name of the p95 latency gate.</summary>
    public const string P95LatencyGate = "p95-latency";

    /// <summary>
    /// Judges both gates. Inconclusive while either stack has fewer than <see cref="GateConfig.MinRequests"/> requests.
    /// error-rate fails when a one-sided two-proportion z-test finds the new rate above the old at
    /// <see cref="GateConfig.Confidence"/> and the difference exceeds <see cref="GateConfig.AbsoluteErrorTolerance"/>;
    /// p95-latency fails when new p95 &gt; old p95 × <see cref="GateConfig.MaxP95Ratio"/> + <see cref="GateConfig.P95SlackMs"/>.
    /// </summary>
    public static IReadOnlyList<GateResult> Evaluate(WindowStats old, WindowStats @new, GateConfig config)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(@new);
        ArgumentNullException.ThrowIfNull(config);

        var shortOf = new List<string>(2);
        if (@new.Requests < config.MinRequests)
        {
            shortOf.Add(Invariant($"new has {@new.Requests} of {config.MinRequests} requests"));
        }

        if (old.Requests < config.MinRequests)
        {
            shortOf.Add(Invariant($"old has {old.Requests} of {config.MinRequests} requests"));
        }

        if (shortOf.Count > 0)
        {
            var evidence = string.Join("; ", shortOf);
            return [new GateResult(ErrorRateGate, GateStatus.Inconclusive, evidence), new GateResult(P95LatencyGate, GateStatus.Inconclusive, evidence)];
        }

        return [ErrorRate(old, @new, config), P95(old, @new, config)];
    }

    /// <summary>
    /// Inverse of the standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9), for p in (0, 1).
    /// </summary>
    internal static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must be between 0 and 1 (exclusive)");
        }

        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;

        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }

        if (p > 1 - low)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }

        var r = p - 0.5;
        var s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }

    private static GateResult ErrorRate(WindowStats old, WindowStats @new, GateConfig config)
    {
        var oldRate = (double)old.Errors / old.Requests;
        var newRate = (double)@new.Errors / @new.Requests;
        var pooled = (double)(old.Errors + @new.Errors) / (old.Requests + @new.Requests);
        var standardError = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / old.Requests) + (1.0 / @new.Requests)));

        // Both rates 0 % (or both 100 %): no variance and no difference.
        var z = standardError > 0 ? (newRate - oldRate) / standardError : 0;
        var critical = NormalQuantile(config.Confidence);
        var difference = newRate - oldRate;
        var significant = z > critical;
        var material = difference > config.AbsoluteErrorTolerance;
        var verdict = significant && material ? "worse"
            : significant ? "higher but within tolerance"
            : "not significantly higher";
        var evidence = Invariant(
            $"new {newRate:P2} ({@new.Errors}/{@new.Requests}) vs old {oldRate:P2} ({old.Errors}/{old.Requests}): z = {z:F2}, critical {critical:F3} at {config.Confidence:P0} confidence, difference {difference * 100:F2} points (tolerance {config.AbsoluteErrorTolerance * 100:F2}): {verdict}");
        return new GateResult(ErrorRateGate, significant && material ? GateStatus.Fail : GateStatus.Pass, evidence);
    }

    private static GateResult P95(WindowStats old, WindowStats @new, GateConfig config)
    {
        var limit = (old.P95Ms * config.MaxP95Ratio) + config.P95SlackMs;
        var fails = @new.P95Ms > limit;
        var evidence = Invariant(
            $"new p95 {@new.P95Ms:F1} ms vs old p95 {old.P95Ms:F1} ms: limit {limit:F1} ms (old × {config.MaxP95Ratio:F2} + {config.P95SlackMs:F1} ms){(fails ? ": too slow" : string.Empty)}");
        return new GateResult(P95LatencyGate, fails ? GateStatus.Fail : GateStatus.Pass, evidence);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
