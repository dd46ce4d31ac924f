using System.Diagnostics.Metrics;
using DualStack.Core.Judgement;

namespace DualStack.Proxy;

/// <summary>
/// The proxy's instruments on the <see cref="System.Diagnostics.Metrics"/> meter <c>DualStack.Proxy</c>, exported at
/// /metrics by OpenTelemetry's Prometheus exporter (see <see cref="ProxyTelemetry"/>). Counters are observable instruments
/// over lock-free fields, which the health checks and the CLI read too, so the primary path pays one interlocked
/// increment per count as before; the two latency histograms record with no tags (no allocation per request).
/// </summary>
internal sealed class ProxyMetrics
{
    /// <summary>Name of the meter every DualStack proxy instrument lives on.</summary>
    public const string MeterName = "DualStack.Proxy";

    private static readonly double[] BucketBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // Proxy-side time is sub-millisecond when all is well: finer buckets, so a 0.3 ms → 2 ms regression shows.
    private static readonly double[] AddedBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private static readonly string[] ClassNames = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"];

    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _added;
    private readonly long[] _statusClasses = new long[6];
    private readonly long[] _verdicts = new long[Enum.GetValues<Verdict>().Length];
    private long _requests;
    private long _forwardErrors;
    private long _clientAborts;
    private long _shadowSent;
    private long _shadowDropped;
    private long _shadowCompared;
    private long _shadowFailed;
    private long _shadowStored;
    private long _shadowEnqueued;
    private long _adminAuthFailures;
    private long _adminThrottled;

    /// <param name="meters">The host's meter factory: the meter belongs to this proxy instance, so two proxies in one
    /// process never count each other's requests.</param>
    public ProxyMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        Counter("dualstack_requests_total", "Requests forwarded to the primary (old) stack.", () => Requests);
        Meter.CreateObservableCounter("dualstack_responses_total", ResponseClasses, unit: null, "Responses by status class.");
        Counter("dualstack_forward_errors_total", "Requests the primary stack did not answer (refused, reset, timeout); client aborts excluded.", () => ForwardErrors);
        Counter("dualstack_admin_auth_failures_total", "Admin requests that presented a wrong token (sign-in form or Authorization: Bearer).", () => AdminAuthFailures);
        Counter("dualstack_admin_throttled_total", "Admin requests refused with 429: their address sent too many wrong tokens within a minute.", () => AdminThrottled);
        Counter("dualstack_client_aborts_total", "Requests the client abandoned before the exchange finished; not counted as backend errors nor in the split gates.", () => ClientAborts);
        _duration = Meter.CreateHistogram("dualstack_request_duration_seconds", "s", "Primary path latency.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = BucketBounds });
        _added = Meter.CreateHistogram("dualstack_proxy_added_seconds", "s", "Time the proxy adds per forwarded request: the request's whole time minus the backend's time from request sent to response headers (the backend excluded).", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = AddedBounds });
        Counter("dualstack_shadow_sent_total", "Turns mirrored to the shadow (new) stack.", () => ShadowSent);
        Counter("dualstack_shadow_dropped_total", "Turns not mirrored: shadow queue full, shadow circuit open, or conversation already out of step.", () => ShadowDropped);
        Counter("dualstack_shadow_failed_total", "Shadow turns that failed: the new stack timed out, refused, answered an error or an unusable body, or the harness failed.", () => ShadowFailed);
        Counter("dualstack_shadow_enqueued_total", "Turns of sampled conversations handed to the shadow sender.", () => ShadowEnqueued);
        Counter("dualstack_shadow_stored_total", "Mirrored turns whose pair (old and new answer, redacted) was stored for `dualstack shadow judge`.", () => ShadowStored);
        Counter("dualstack_shadow_compared_total", "Shadow turns compared in this process (only with --shadow-judge inproc; otherwise `dualstack shadow judge` compares them).", () => ShadowCompared);
        Meter.CreateObservableCounter("dualstack_shadow_verdicts_total", VerdictCounts, unit: null, "Shadow turn verdicts.");
    }

    /// <summary>This instance's meter; the proxy adds the instruments of its optional parts (capture, shadow, shared state).</summary>
    public Meter Meter { get; }

    public long Requests => Interlocked.Read(ref _requests);

    public long ShadowSent => Interlocked.Read(ref _shadowSent);

    public long ShadowDropped => Interlocked.Read(ref _shadowDropped);

    public long ShadowCompared => Interlocked.Read(ref _shadowCompared);

    public long ShadowFailed => Interlocked.Read(ref _shadowFailed);

    /// <summary>Mirrored turns whose pair (old and new answer) was stored for <c>dualstack shadow judge</c>.</summary>
    public long ShadowStored => Interlocked.Read(ref _shadowStored);

    /// <summary>Turns handed to the shadow sender's queue (sampled conversations only).</summary>
    public long ShadowEnqueued => Interlocked.Read(ref _shadowEnqueued);

    public long ForwardErrors => Interlocked.Read(ref _forwardErrors);

    public long ClientAborts => Interlocked.Read(ref _clientAborts);

    /// <summary>Admin requests that presented a wrong token (sign-in form or <c>Authorization: Bearer</c>).</summary>
    public long AdminAuthFailures => Interlocked.Read(ref _adminAuthFailures);

    /// <summary>Admin requests refused with 429 because their address sent too many wrong tokens.</summary>
    public long AdminThrottled => Interlocked.Read(ref _adminThrottled);

    public void AdminAuthFailed() => Interlocked.Increment(ref _adminAuthFailures);

    public void AdminThrottledOne() => Interlocked.Increment(ref _adminThrottled);

    public long Verdicts(Verdict verdict) => Interlocked.Read(ref _verdicts[(int)verdict]);

    /// <param name="status">Status sent to the client; 0 when none was (client gone before the response started).</param>
    /// <param name="seconds">Time on the primary path.</param>
    /// <param name="forwardError">The old stack did not answer (refused, reset, timeout); never a client abort.</param>
    /// <param name="clientAbort">The client went away before the exchange finished: not the stack's fault.</param>
    public void Request(int status, double seconds, bool forwardError, bool clientAbort = false)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _statusClasses[Math.Clamp(status / 100, 0, 5)]);
        if (clientAbort)
        {
            Interlocked.Increment(ref _clientAborts);
        }
        else if (forwardError)
        {
            Interlocked.Increment(ref _forwardErrors);
        }

        _duration.Record(seconds);
    }

    /// <summary>Time the proxy added to one request: its whole time minus the backend's time to response headers.</summary>
    public void ProxyAdded(double seconds) => _added.Record(Math.Max(0, seconds));

    public void ShadowSentOne() => Interlocked.Increment(ref _shadowSent);

    public void ShadowDroppedOne() => Interlocked.Increment(ref _shadowDropped);

    public void ShadowFailedOne() => Interlocked.Increment(ref _shadowFailed);

    /// <summary>Pairs of one committed batch: counted only once the store transaction committed.</summary>
    public void ShadowStoredAdd(int count) => Interlocked.Add(ref _shadowStored, count);

    public void ShadowEnqueuedOne() => Interlocked.Increment(ref _shadowEnqueued);

    public void ShadowComparedOne(Verdict verdict)
    {
        Interlocked.Increment(ref _shadowCompared);
        Interlocked.Increment(ref _verdicts[(int)verdict]);
    }

    /// <summary>A monotonic count owned elsewhere, read when /metrics is scraped.</summary>
    public void Counter(string name, string description, Func<long> read) => Meter.CreateObservableCounter(name, read, unit: null, description);

    /// <summary>A current value owned elsewhere, read when /metrics is scraped.</summary>
    public void Gauge(string name, string description, Func<double> read) => Meter.CreateObservableGauge(name, read, unit: null, description);

    private IEnumerable<Measurement<long>> ResponseClasses()
    {
        var measurements = new Measurement<long>[_statusClasses.Length];
        for (var i = 0; i < measurements.Length; i++)
        {
            measurements[i] = new Measurement<long>(Interlocked.Read(ref _statusClasses[i]), new KeyValuePair<string, object?>("class", ClassNames[i]));
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> VerdictCounts()
    {
        var verdicts = Enum.GetValues<Verdict>();
        var measurements = new Measurement<long>[verdicts.Length];
        for (var i = 0; i < verdicts.Length; i++)
        {
            measurements[i] = new Measurement<long>(Verdicts(verdicts[i]), new KeyValuePair<string, object?>("verdict", verdicts[i].ToString().ToLowerInvariant()));
        }

        return measurements;
    }
}
