namespace DualStack.Core.Gates;

/// <summary>Requests, errors and latency percentiles of one stack over a sliding window.</summary>
/// <param name="Requests">Requests recorded in the window.</param>
/// <param name="Errors">Of those, how many failed.</param>
/// <param name="ErrorRate">Errors ÷ requests, 0–1; 0 when there were no requests.</param>
/// <param name="P50Ms">Median latency in milliseconds; 0 when there were no requests.</param>
/// <param name="P95Ms">95th percentile latency in milliseconds; 0 when there were no requests.</param>
/// <param name="P99Ms">99th percentile latency in milliseconds; 0 when there were no requests.</param>
public sealed record WindowStats(long Requests, long Errors, double ErrorRate, double P50Ms, double P95Ms, double P99Ms)
{
    /// <summary>No requests.</summary>
    public static WindowStats Empty { get; } = new(0, 0, 0, 0, 0, 0);
}

/// <summary>
/// Counts requests, errors and latencies over the last <see cref="Window"/>, in one slot per second, each holding a
/// log-scale latency histogram (200 buckets from 0.1 ms to 60 s, about 7 % wide; a percentile is reported as its
/// bucket's geometric midpoint, within 3.4 %). Thread-safe; <see cref="Record"/> takes a short lock and allocates nothing.
/// </summary>
public sealed class SlidingWindow
{
    internal const int LatencyBuckets = 200;
    internal const double MinLatencyMs = 0.1;
    internal const double MaxLatencyMs = 60_000;

    private static readonly double LogMin = Math.Log(MinLatencyMs);
    private static readonly double BucketsPerLogUnit = LatencyBuckets / Math.Log(MaxLatencyMs / MinLatencyMs);

    private readonly TimeProvider _time;
    private readonly long _frequency;
    private readonly Slot[] _slots;
    private readonly Lock _gate = new();
    private readonly long[] _totalHistogram = new long[LatencyBuckets + 2];
    private long _totalRequests;
    private long _totalErrors;

    /// <summary>Creates an empty window of <paramref name="window"/> (whole seconds, rounded up; at least 1 s).</summary>
    public SlidingWindow(TimeSpan window, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "the window must be between 1 second and 1 day");
        }

        _time = time;
        _frequency = time.TimestampFrequency;
        var seconds = (int)Math.Ceiling(window.TotalSeconds);
        Window = TimeSpan.FromSeconds(seconds);
        _slots = new Slot[seconds];
        for (var i = 0; i < seconds; i++)
        {
            _slots[i] = new Slot();
        }
    }

    /// <summary>Length of the window, in whole seconds.</summary>
    public TimeSpan Window { get; }

    /// <summary>Records one request; latencies below 0.1 ms or above 60 s count in open-ended edge buckets.</summary>
    public void Record(double latencyMs, bool error)
    {
        var bucket = BucketOf(latencyMs);
        var second = CurrentSecond();
        var slot = _slots[SlotIndex(second)];
        lock (_gate)
        {
            if (slot.Second != second)
            {
                slot.Reset(second);
            }

            slot.Requests++;
            if (error)
            {
                slot.Errors++;
            }

            slot.Histogram[bucket]++;
            _totalRequests++;
            _totalErrors += error ? 1 : 0;
            _totalHistogram[bucket]++;
        }
    }

    /// <summary>
    /// Everything recorded since this window was created (or cleared), not only the last <see cref="Window"/>: what the
    /// sequential gates judge. Subtract an earlier snapshot (<see cref="GateSample.Minus"/>) for "since then".
    /// </summary>
    public GateSample Totals()
    {
        lock (_gate)
        {
            return new GateSample(_totalRequests, _totalErrors, (long[])_totalHistogram.Clone());
        }
    }

    /// <summary>Requests, errors and percentiles over the last <see cref="Window"/> (the current second included).</summary>
    public WindowStats Stats()
    {
        var now = CurrentSecond();
        var merged = new long[LatencyBuckets + 2];
        long requests = 0;
        long errors = 0;
        lock (_gate)
        {
            foreach (var slot in _slots)
            {
                if (slot.Second > now - _slots.Length && slot.Second <= now)
                {
                    requests += slot.Requests;
                    errors += slot.Errors;
                    for (var b = 0; b < merged.Length; b++)
                    {
                        merged[b] += slot.Histogram[b];
                    }
                }
            }
        }

        if (requests == 0)
        {
            return WindowStats.Empty;
        }

        return new WindowStats(
            requests,
            errors,
            (double)errors / requests,
            Percentile(merged, requests, 0.50),
            Percentile(merged, requests, 0.95),
            Percentile(merged, requests, 0.99));
    }

    /// <summary>Forgets everything recorded so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var slot in _slots)
            {
                slot.Reset(long.MinValue);
            }

            _totalRequests = 0;
            _totalErrors = 0;
            Array.Clear(_totalHistogram);
        }
    }

    internal static int BucketOf(double latencyMs)
    {
        if (!(latencyMs >= MinLatencyMs))
        {
            return 0;
        }

        if (latencyMs >= MaxLatencyMs)
        {
            return LatencyBuckets + 1;
        }

        var index = 1 + (int)((Math.Log(latencyMs) - LogMin) * BucketsPerLogUnit);
        return Math.Clamp(index, 1, LatencyBuckets);
    }

    /// <summary>Smallest latency (ms) counted in <paramref name="bucket"/>; 0 for the open-ended bucket below 0.1 ms.</summary>
    internal static double BucketLowerEdge(int bucket) =>
        bucket <= 0 ? 0 : bucket > LatencyBuckets ? MaxLatencyMs : Math.Exp(LogMin + ((bucket - 1) / BucketsPerLogUnit));

    /// <summary>Largest latency (ms) counted in <paramref name="bucket"/>; +∞ for the open-ended bucket above 60 s.</summary>
    internal static double BucketUpperEdge(int bucket) =>
        bucket <= 0 ? MinLatencyMs : bucket > LatencyBuckets ? double.PositiveInfinity : Math.Exp(LogMin + (bucket / BucketsPerLogUnit));

    internal static double Percentile(long[] histogram, long total, double quantile)
    {
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long before = 0;
        for (var b = 0; b < histogram.Length; b++)
        {
            var count = histogram[b];
            if (before + count < rank)
            {
                before += count;
                continue;
            }

            if (b == 0)
            {
                return MinLatencyMs;
            }

            if (b == LatencyBuckets + 1)
            {
                return MaxLatencyMs;
            }

            // The bucket's geometric midpoint: at most half a bucket (about 3.4 %) from any value in it, whatever the
            // distribution inside (interpolating would be closer for smooth data but up to a whole bucket off for a spike).
            return Math.Exp(LogMin + ((b - 0.5) / BucketsPerLogUnit));
        }

        return MaxLatencyMs;
    }

    private long CurrentSecond() => _time.GetTimestamp() / _frequency;

    private int SlotIndex(long second) => (int)(((second % _slots.Length) + _slots.Length) % _slots.Length);

    private sealed class Slot
    {
        public long Second { get; private set; } = long.MinValue;

        public long Requests { get; set; }

        public long Errors { get; set; }

        public long[] Histogram { get; } = new long[LatencyBuckets + 2];

        public void Reset(long second)
        {
            Second = second;
            Requests = 0;
            Errors = 0;
            Array.Clear(Histogram);
        }
    }
}
