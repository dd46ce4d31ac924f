using System.Globalization;

namespace DualStack.Core.Gates;

/// <summary>
/// Everything one stack did since a point in time (the ramp's start): requests, errors and the latency histogram in
/// <see cref="SlidingWindow"/>'s buckets. Totals only grow, so two snapshots subtract (<see cref="Minus"/>).
/// </summary>
/// <param name="Requests">Requests counted.</param>
/// <param name="Errors">Of those, how many failed.</param>
/// <param name="Histogram">Requests per latency bucket (<see cref="SlidingWindow.BucketOf"/>); length <c>LatencyBuckets + 2</c>.</param>
public sealed record GateSample(long Requests, long Errors, IReadOnlyList<long> Histogram)
{
    /// <summary>No requests.</summary>
    public static GateSample Empty { get; } = new(0, 0, new long[SlidingWindow.LatencyBuckets + 2]);

    /// <summary>What was counted after <paramref name="earlier"/> (a snapshot of the same totals taken before this one).</summary>
    public GateSample Minus(GateSample earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var histogram = new long[Histogram.Count];
        for (var i = 0; i < histogram.Length; i++)
        {
            histogram[i] = Histogram[i] - earlier.Histogram[i];
        }

        return new GateSample(Requests - earlier.Requests, Errors - earlier.Errors, histogram);
    }
}

/// <summary>
/// The always-valid gates (<see cref="GateMethod.Sequential"/>): they judge everything since the ramp started and may be
/// re-evaluated after every request without raising the false-rollback rate above α = 1 − <see cref="GateConfig.Confidence"/>
/// for the whole ramp (α/2 for the error-rate gate, α/2 for the latency gate; Ville's inequality, so peeking is free).
/// </summary>
internal static class SequentialGates
{
    /// <summary>
    /// Prior standard deviation τ of the error-rate difference in the mixture SPRT. It sets where the test is most
    /// sensitive (differences of a few points); any τ &gt; 0 keeps the test valid.
    /// </summary>
    public const double ErrorMixtureSd = 0.03;

    /// <summary>The quantile the latency gate judges.</summary>
    public const double LatencyQuantile = 0.95;

    // ρ of the normal-mixture boundary, as an intrinsic time q(1−q)·n: tuned for about 2,000 requests per stack.
    private const double LatencyMixtureRho = 0.95 * 0.05 * 2_000 / 10;

    /// <summary>
    /// Judges both gates on what each stack did since the ramp started. Inconclusive while either stack has fewer than
    /// <see cref="GateConfig.MinRequests"/> requests.
    /// </summary>
    public static IReadOnlyList<GateResult> Evaluate(GateSample old, GateSample @new, GateConfig config)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(@new);
        ArgumentNullException.ThrowIfNull(config);
        if (@new.Requests < config.MinRequests || old.Requests < config.MinRequests)
        {
            var evidence = Invariant($"since the ramp started: new has {@new.Requests}, old {old.Requests} of {config.MinRequests} requests");
            return [new GateResult(GateEvaluator.ErrorRateGate, GateStatus.Inconclusive, evidence), new GateResult(GateEvaluator.P95LatencyGate, GateStatus.Inconclusive, evidence)];
        }

        var alpha = 1 - config.Confidence;
        return [ErrorRate(old, @new, config.AbsoluteErrorTolerance, alpha / 2), P95(old, @new, config.MaxP95Ratio, alpha / 2)];
    }

    /// <summary>
    /// The mixture likelihood ratio Λ of the error-rate difference against H0: the new stack fails no more often than the
    /// old one, and the observed difference new − old.
    /// </summary>
    internal static (double Lambda, double Difference) ErrorLambda(long oldRequests, long oldErrors, long newRequests, long newErrors)
    {
        var oldRate = (double)oldErrors / oldRequests;
        var newRate = (double)newErrors / newRequests;

        // Variance of the estimated difference under H0 (both stacks fail at one rate): the pooled rate, pulled towards 1/2
        // by one pseudo-error and one pseudo-success (Laplace) so that 0 errors on both sides does not claim a variance of 0.
        var pooled = (oldErrors + newErrors + 1.0) / (oldRequests + newRequests + 2.0);
        var v = pooled * (1 - pooled) * ((1.0 / oldRequests) + (1.0 / newRequests));

        // Mixture SPRT with a normal mixture N(0, τ²) over the difference θ (Johari, Koomen, Pekelis & Walsh, "Always
        // valid inference: continuous monitoring of A/B tests", Operations Research 70(3), 2022, arXiv:1512.04922; the
        // mixture of Robbins 1970), for the two-stream normal case:
        //     Λ_n = sqrt(V / (V + τ²)) · exp( τ² Δ̂² / (2 V (V + τ²)) )
        // with Δ̂ = p̂_new − p̂_old and V = p̄(1 − p̄)(1/n_old + 1/n_new) its variance under H0 (p̄ pooled). Under H0, Λ is a
        // nonnegative martingale in the information 1/V (the difference of two means has independent increments in that
        // time scale whatever the split, Jennison & Turnbull 2000, ch. 11), so by Ville's inequality
        // P(Λ_n ≥ 1/α for some n) ≤ α: rejecting whenever Λ ≥ 1/α may be checked after every request. The gate fails only
        // when, in addition, the observed difference exceeds the tolerance: a subset of the rejections, so still ≤ α.
        var difference = newRate - oldRate;
        var tau2 = ErrorMixtureSd * ErrorMixtureSd;
        var lambda = Math.Sqrt(v / (v + tau2)) * Math.Exp(tau2 * difference * difference / (2 * v * (v + tau2)));
        return (lambda, difference);
    }

    /// <summary>
    /// The rank half-width d_n of a time-uniform confidence sequence for a quantile q after n observations, one-sided at
    /// level <paramref name="alpha"/>.
    /// </summary>
    internal static double RankHalfWidth(long n, double q, double alpha)
    {
        // #{X_i ≤ ξ_q} is a sum of Bernoulli(q) with variance process V_n = n·q(1−q). The one-sided normal-mixture boundary
        // of Howard, Ramdas, McAuliffe & Sekhon ("Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals
        // of Statistics 49(2), 2021), used with the Bernoulli's own variance as in the asymptotic confidence
        // sequences of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas (Annals of Statistics 52(6), 2024):
        //     d_n = sqrt( 2 (V_n + ρ) · ln( sqrt((V_n + ρ) / ρ) / α ) )
        // so |#{X_i ≤ ξ_q} − n q| stays below d_n for every n at once with probability ≥ 1 − α (per side), and the order
        // statistics at ranks n q ∓ d_n bound the quantile for all n (Howard & Ramdas, "Sequential estimation of
        // quantiles", Bernoulli 28(3), 2022).
        var v = n * q * (1 - q);
        return Math.Sqrt(2 * (v + LatencyMixtureRho) * Math.Log(Math.Sqrt((v + LatencyMixtureRho) / LatencyMixtureRho) / alpha));
    }

    /// <summary>
    /// Lower and upper confidence bounds (ms) of the <paramref name="q"/> quantile of <paramref name="sample"/>, each valid
    /// at level <paramref name="alpha"/> for every sample size at once; bucket edges are used, so the bounds are
    /// conservative by up to one bucket (about 7 %). The lower bound is 0 and the upper +∞ while too few requests pin them.
    /// </summary>
    internal static (double Lower, double Upper) QuantileBounds(GateSample sample, double q, double alpha)
    {
        var n = sample.Requests;
        var d = RankHalfWidth(n, q, alpha);
        var lowRank = (long)Math.Floor((n * q) - d);
        var highRank = (long)Math.Floor((n * q) + d) + 1;
        var lower = lowRank < 1 ? 0 : SlidingWindow.BucketLowerEdge(BucketOfRank(sample.Histogram, lowRank));
        var upper = highRank > n ? double.PositiveInfinity : SlidingWindow.BucketUpperEdge(BucketOfRank(sample.Histogram, highRank));
        return (lower, upper);
    }

    private static int BucketOfRank(IReadOnlyList<long> histogram, long rank)
    {
        long seen = 0;
        for (var b = 0; b < histogram.Count; b++)
        {
            seen += histogram[b];
            if (seen >= rank)
            {
                return b;
            }
        }

        return histogram.Count - 1;
    }

    private static GateResult ErrorRate(GateSample old, GateSample @new, double tolerance, double alpha)
    {
        var (lambda, difference) = ErrorLambda(old.Requests, old.Errors, @new.Requests, @new.Errors);
        var fails = difference > tolerance && lambda >= 1 / alpha;
        var evidence = Invariant(
            $"since the ramp started new {(double)@new.Errors / @new.Requests:P2} ({@new.Errors}/{@new.Requests}) vs old {(double)old.Errors / old.Requests:P2} ({old.Errors}/{old.Requests}): difference {difference * 100:F2} points (tolerance {tolerance * 100:F2}), mixture SPRT Λ = {lambda:G3}, threshold 1/α = {1 / alpha:G3}{(fails ? ": worse" : string.Empty)}");
        return new GateResult(GateEvaluator.ErrorRateGate, fails ? GateStatus.Fail : GateStatus.Pass, evidence);
    }

    private static GateResult P95(GateSample old, GateSample @new, double maxRatio, double alpha)
    {
        // The ratio new p95 / old p95 is at least newLower / oldUpper whenever both sequences hold (α/2 each).
        var (newLower, newUpper) = QuantileBounds(@new, LatencyQuantile, alpha / 2);
        var (oldLower, oldUpper) = QuantileBounds(old, LatencyQuantile, alpha / 2);
        var ratioLower = oldUpper > 0 ? newLower / oldUpper : 0;
        var ratioUpper = oldLower > 0 ? newUpper / oldLower : double.PositiveInfinity;
        var fails = ratioLower > maxRatio;
        var evidence = Invariant(
            $"since the ramp started new p95 in [{newLower:F1}, {newUpper:F1}] ms, old p95 in [{oldLower:F1}, {oldUpper:F1}] ms: ratio in [{ratioLower:F2}, {ratioUpper:F2}] (limit {maxRatio:F2}, confidence sequences){(fails ? ": too slow" : string.Empty)}");
        return new GateResult(GateEvaluator.P95LatencyGate, fails ? GateStatus.Fail : GateStatus.Pass, evidence);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
