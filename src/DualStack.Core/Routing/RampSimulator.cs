using DualStack.Core.Config;
using DualStack.Core.Gates;
using Microsoft.Extensions.Time.Testing;

namespace DualStack.Core.Routing;

/// <summary>What the simulated stacks do.</summary>
public sealed record RampScenario
{
    /// <summary>Error rate of the old stack, 0–1; default 0.01.</summary>
    public double OldErrorRate { get; init; } = 0.01;

    /// <summary>Error rate of the new stack, 0–1; default 0.01.</summary>
    public double NewErrorRate { get; init; } = 0.01;

    /// <summary>Requests per second reaching the split (both stacks together); default 20.</summary>
    public double RequestsPerSecond { get; init; } = 20;

    /// <summary>p95 latency of the old stack in ms; default 200.</summary>
    public double OldP95Ms { get; init; } = 200;

    /// <summary>New latency = old latency × this (every request, so new p95 = old p95 × this); default 1.</summary>
    public double P95Ratio { get; init; } = 1;

    /// <summary>σ of the log-normal latency distribution of both stacks; default 0.5 (p95 ≈ 2.3 × median).</summary>
    public double LatencySigma { get; init; } = 0.5;

    /// <summary>Simulated ramps; default 1,000.</summary>
    public int Runs { get; init; } = 1_000;

    /// <summary>Seed of the first run (run i uses seed + i), so every result can be reproduced; default 1.</summary>
    public long Seed { get; init; } = 1;
}

/// <summary>How the simulated ramps ended.</summary>
/// <param name="Runs">Ramps simulated.</param>
/// <param name="RolledBack">Ramps the gates rolled back.</param>
/// <param name="RollbackSeconds">For each rolled-back ramp, seconds from the ramp's start to the rollback, ascending.</param>
/// <param name="CompletedSeconds">Median seconds from start to the end of the last step's hold, for ramps not rolled back; 0 when none.</param>
public sealed record RampSimulationResult(int Runs, int RolledBack, IReadOnlyList<double> RollbackSeconds, double CompletedSeconds)
{
    /// <summary>Rolled back ÷ runs.</summary>
    public double RollbackRate => Runs == 0 ? 0 : (double)RolledBack / Runs;

    /// <summary>The <paramref name="quantile"/> (0–1) of <see cref="RollbackSeconds"/>; NaN when nothing was rolled back.</summary>
    public double RollbackQuantile(double quantile) =>
        RollbackSeconds.Count == 0 ? double.NaN : RollbackSeconds[Math.Clamp((int)Math.Ceiling(quantile * RollbackSeconds.Count) - 1, 0, RollbackSeconds.Count - 1)];

    /// <summary>Rolled back within <paramref name="seconds"/> of the ramp's start ÷ runs.</summary>
    public double RolledBackWithin(double seconds) => Runs == 0 ? 0 : (double)RollbackSeconds.Count(s => s <= seconds) / Runs;
}

/// <summary>
/// Runs whole ramps in process, seconds in simulated time: the real <see cref="RampController"/> and
/// <see cref="SplitState"/> on a <see cref="FakeTimeProvider"/>, ticking once a second as the proxy does, fed by synthetic
/// request streams (each request routed to the new stack with the current percentage, failing with its stack's error
/// rate, with a log-normal latency). No sockets, no threads; thousands of ramps take seconds. A ramp ends when it is
/// rolled back or when the last step has been held for the plan's hold time.
/// </summary>
public static class RampSimulator
{
    /// <summary>Simulates <see cref="RampScenario.Runs"/> ramps of <paramref name="plan"/>.</summary>
    public static RampSimulationResult Run(RampPlan plan, RampScenario scenario, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(scenario);
        var errors = RampPlanLoader.Validate(plan, "ramp plan");
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var oldLatency = new BucketSampler(Math.Log(scenario.OldP95Ms) - (1.6448536269514722 * scenario.LatencySigma), scenario.LatencySigma);
        var newLatency = new BucketSampler(Math.Log(scenario.OldP95Ms * scenario.P95Ratio) - (1.6448536269514722 * scenario.LatencySigma), scenario.LatencySigma);
        var rollbacks = new List<double>();
        var completed = new List<double>();
        for (var run = 0; run < scenario.Runs; run++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var seconds = RunOne(plan, scenario, oldLatency, newLatency, scenario.Seed + run, out var rolledBack);
            (rolledBack ? rollbacks : completed).Add(seconds);
        }

        rollbacks.Sort();
        completed.Sort();
        return new RampSimulationResult(scenario.Runs, rollbacks.Count, rollbacks, completed.Count == 0 ? 0 : completed[completed.Count / 2]);
    }

    private static double RunOne(RampPlan plan, RampScenario scenario, BucketSampler oldLatency, BucketSampler newLatency, long seed, out bool rolledBack)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var state = new SplitState(new SplitOptions { InitialPercent = 0 }, time);
        var random = new Xoshiro(seed);
        var old = new Stream(plan.WindowSeconds);
        var @new = new Stream(plan.WindowSeconds);
        var controller = new RampController(
            state,
            () => (old.WindowStats(), @new.WindowStats()),
            plan,
            time,
            () => (old.Totals(), @new.Totals()));

        var lastStep = plan.Steps[^1];
        var carry = 0.0;
        controller.Tick(); // starts step 0
        var start = time.GetUtcNow();
        // Bound for a ramp that never decides (gates inconclusive forever): every step held twice over, plus an hour.
        var limit = TimeSpan.FromSeconds((plan.Steps.Count * 2.0 * plan.HoldSeconds) + 3_600);
        while (true)
        {
            var share = state.Snapshot.Percent / 100.0;
            carry += scenario.RequestsPerSecond;
            var requests = (long)carry;
            carry -= requests;
            old.NextSecond();
            @new.NextSecond();
            for (long i = 0; i < requests; i++)
            {
                if (random.NextDouble() < share)
                {
                    @new.Record(newLatency.Next(ref random), random.NextDouble() < scenario.NewErrorRate);
                }
                else
                {
                    old.Record(oldLatency.Next(ref random), random.NextDouble() < scenario.OldErrorRate);
                }
            }

            time.Advance(TimeSpan.FromSeconds(1));
            controller.Tick();
            var split = state.Snapshot;
            var elapsed = time.GetUtcNow() - start;
            if (split.RolledBack)
            {
                rolledBack = true;
                return elapsed.TotalSeconds;
            }

            if (split.Promoted || (split.Percent >= lastStep && time.GetUtcNow() - split.ChangedAt >= plan.Hold) || elapsed >= limit)
            {
                rolledBack = false;
                return elapsed.TotalSeconds;
            }
        }
    }

    /// <summary>One stack's simulated traffic: totals since the start, and a sliding window of whole seconds.</summary>
    private sealed class Stream(int windowSeconds)
    {
        private const int Buckets = SlidingWindow.LatencyBuckets + 2;
        private readonly long[] _total = new long[Buckets];
        private readonly long[] _window = new long[Buckets];
        private readonly long[][] _ring = Enumerable.Range(0, windowSeconds).Select(_ => new long[Buckets]).ToArray();
        private readonly long[] _ringRequests = new long[windowSeconds];
        private readonly long[] _ringErrors = new long[windowSeconds];
        private long _requests;
        private long _errors;
        private long _windowRequests;
        private long _windowErrors;
        private int _current = -1;

        public void NextSecond()
        {
            // The slot leaving the window is emptied and reused for the new second, as SlidingWindow does.
            _current = (_current + 1) % _ring.Length;
            var slot = _ring[_current];
            for (var b = 0; b < Buckets; b++)
            {
                _window[b] -= slot[b];
            }

            Array.Clear(slot);
            _windowRequests -= _ringRequests[_current];
            _windowErrors -= _ringErrors[_current];
            _ringRequests[_current] = 0;
            _ringErrors[_current] = 0;
        }

        public void Record(int bucket, bool error)
        {
            var e = error ? 1 : 0;
            _requests++;
            _errors += e;
            _total[bucket]++;
            _window[bucket]++;
            _ring[_current][bucket]++;
            _windowRequests++;
            _windowErrors += e;
            _ringRequests[_current]++;
            _ringErrors[_current] += e;
        }

        public GateSample Totals() => new(_requests, _errors, (long[])_total.Clone());

        public WindowStats WindowStats() => _windowRequests == 0
            ? Gates.WindowStats.Empty
            : new WindowStats(
                _windowRequests,
                _windowErrors,
                (double)_windowErrors / _windowRequests,
                SlidingWindow.Percentile(_window, _windowRequests, 0.50),
                SlidingWindow.Percentile(_window, _windowRequests, 0.95),
                SlidingWindow.Percentile(_window, _windowRequests, 0.99));
    }

    /// <summary>Draws the <see cref="SlidingWindow"/> bucket of a log-normal latency in O(1) (Vose's alias method).</summary>
    private sealed class BucketSampler
    {
        private readonly double[] _probability;
        private readonly int[] _alias;

        public BucketSampler(double mu, double sigma)
        {
            const int n = SlidingWindow.LatencyBuckets + 2;
            var weights = new double[n];
            for (var b = 0; b < n; b++)
            {
                var lower = SlidingWindow.BucketLowerEdge(b);
                var upper = SlidingWindow.BucketUpperEdge(b);
                var cdfLower = lower <= 0 ? 0 : NormalCdf((Math.Log(lower) - mu) / sigma);
                var cdfUpper = double.IsPositiveInfinity(upper) ? 1 : NormalCdf((Math.Log(upper) - mu) / sigma);
                weights[b] = Math.Max(0, cdfUpper - cdfLower);
            }

            var sum = weights.Sum();
            _probability = new double[n];
            _alias = new int[n];
            var scaled = weights.Select(w => w / sum * n).ToArray();
            var small = new Stack<int>();
            var large = new Stack<int>();
            for (var i = 0; i < n; i++)
            {
                (scaled[i] < 1 ? small : large).Push(i);
            }

            while (small.Count > 0 && large.Count > 0)
            {
                var s = small.Pop();
                var l = large.Pop();
                _probability[s] = scaled[s];
                _alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                (scaled[l] < 1 ? small : large).Push(l);
            }

            foreach (var i in large.Concat(small))
            {
                _probability[i] = 1;
                _alias[i] = i;
            }
        }

        public int Next(ref Xoshiro random)
        {
            var u = random.NextDouble() * _probability.Length;
            var i = (int)u;
            return u - i < _probability[i] ? i : _alias[i];
        }

        // Φ(x) through erfc (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7): ample for bucket weights.
        private static double NormalCdf(double x)
        {
            var z = Math.Abs(x) / Math.Sqrt(2);
            var t = 1 / (1 + (0.5 * z));
            ReadOnlySpan<double> c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
            var poly = c[^1];
            for (var k = c.Length - 2; k >= 0; k--)
            {
                poly = c[k] + (t * poly);
            }

            var erfc = t * Math.Exp((-z * z) + poly);
            return x >= 0 ? 1 - (erfc / 2) : erfc / 2;
        }
    }

    /// <summary>xoshiro256** seeded through SplitMix64: fast and the same on every platform and .NET version.</summary>
    private struct Xoshiro
    {
        private ulong _s0;
        private ulong _s1;
        private ulong _s2;
        private ulong _s3;

        public Xoshiro(long seed)
        {
            var x = (ulong)seed;
            _s0 = SplitMix(ref x);
            _s1 = SplitMix(ref x);
            _s2 = SplitMix(ref x);
            _s3 = SplitMix(ref x);
        }

        public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

        private ulong NextULong()
        {
            var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }

        private static ulong SplitMix(ref ulong x)
        {
            x += 0x9E3779B97F4A7C15;
            var z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }
}
