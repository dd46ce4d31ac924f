using System.Globalization;
using System.Text;
using DualStack.Core.Judgement;

namespace DualStack.Proxy;

/// <summary>Lock-free counters and a latency histogram, rendered in the Prometheus text format at /metrics.</summary>
internal sealed class ProxyMetrics
{
    private static readonly double[] BucketBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // Proxy-side time is sub-millisecond when all is well: finer buckets, so a 0.3 ms → 2 ms regression shows.
    private static readonly double[] AddedBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private readonly long[] _statusClasses = new long[6];
    private readonly long[] _latencyBuckets = new long[BucketBounds.Length + 1];
    private readonly long[] _addedBuckets = new long[AddedBounds.Length + 1];
    private long _addedSumMicros;
    private readonly long[] _verdicts = new long[Enum.GetValues<Verdict>().Length];
    private long _requests;
    private long _forwardErrors;
    private long _clientAborts;
    private long _latencySumMicros;
    private long _shadowSent;
    private long _shadowDropped;
    private long _shadowCompared;
    private long _shadowFailed;
    private long _shadowStored;
    private long _shadowEnqueued;
    private long _adminAuthFailures;
    private long _adminThrottled;

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

        var bucket = Array.BinarySearch(BucketBounds, seconds);
        Interlocked.Increment(ref _latencyBuckets[bucket >= 0 ? bucket : ~bucket]);
        Interlocked.Add(ref _latencySumMicros, (long)(seconds * 1_000_000));
    }

    /// <summary>Time the proxy added to one request: its whole time minus the backend's time to response headers.</summary>
    public void ProxyAdded(double seconds)
    {
        seconds = Math.Max(0, seconds);
        var bucket = Array.BinarySearch(AddedBounds, seconds);
        Interlocked.Increment(ref _addedBuckets[bucket >= 0 ? bucket : ~bucket]);
        Interlocked.Add(ref _addedSumMicros, (long)(seconds * 1_000_000));
    }

    public void ShadowSentOne() => Interlocked.Increment(ref _shadowSent);

    public void ShadowDroppedOne() => Interlocked.Increment(ref _shadowDropped);

    public void ShadowFailedOne() => Interlocked.Increment(ref _shadowFailed);

    public void ShadowStoredOne() => Interlocked.Increment(ref _shadowStored);

    public void ShadowEnqueuedOne() => Interlocked.Increment(ref _shadowEnqueued);

    public void ShadowComparedOne(Verdict verdict)
    {
        Interlocked.Increment(ref _shadowCompared);
        Interlocked.Increment(ref _verdicts[(int)verdict]);
    }

    /// <summary>Prometheus text exposition; <paramref name="extra"/> appends gauges/counters owned elsewhere (capture writer).</summary>
    public string Render(Action<StringBuilder>? extra)
    {
        var s = new StringBuilder(2048);
        Counter(s, "dualstack_requests_total", "Requests forwarded to the primary (old) stack.", Requests);
        s.Append("# HELP dualstack_responses_total Responses by status class.\n# TYPE dualstack_responses_total counter\n");
        for (var i = 0; i < _statusClasses.Length; i++)
        {
            s.Append(CultureInfo.InvariantCulture, $"dualstack_responses_total{{class=\"{(i == 0 ? "none" : i + "xx")}\"}} {Interlocked.Read(ref _statusClasses[i])}\n");
        }

        Counter(s, "dualstack_forward_errors_total", "Requests the primary stack did not answer (refused, reset, timeout); client aborts excluded.", ForwardErrors);
        Counter(s, "dualstack_admin_auth_failures_total", "Admin requests that presented a wrong token (sign-in form or Authorization: Bearer).", AdminAuthFailures);
        Counter(s, "dualstack_admin_throttled_total", "Admin requests refused with 429: their address sent too many wrong tokens within a minute.", AdminThrottled);
        Counter(s, "dualstack_client_aborts_total", "Requests the client abandoned before the exchange finished; not counted as backend errors nor in the split gates.", ClientAborts);
        s.Append("# HELP dualstack_request_duration_seconds Primary path latency.\n# TYPE dualstack_request_duration_seconds histogram\n");
        long cumulative = 0;
        for (var i = 0; i < BucketBounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _latencyBuckets[i]);
            s.Append(CultureInfo.InvariantCulture, $"dualstack_request_duration_seconds_bucket{{le=\"{BucketBounds[i]}\"}} {cumulative}\n");
        }

        cumulative += Interlocked.Read(ref _latencyBuckets[^1]);
        s.Append(CultureInfo.InvariantCulture, $"dualstack_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}\n");
        s.Append(CultureInfo.InvariantCulture, $"dualstack_request_duration_seconds_sum {Interlocked.Read(ref _latencySumMicros) / 1_000_000.0}\n");
        s.Append(CultureInfo.InvariantCulture, $"dualstack_request_duration_seconds_count {cumulative}\n");
        s.Append("# HELP dualstack_proxy_added_seconds Time the proxy adds per forwarded request: the request's whole time minus the backend's time from request sent to response headers (the backend excluded).\n# TYPE dualstack_proxy_added_seconds histogram\n");
        long added = 0;
        for (var i = 0; i < AddedBounds.Length; i++)
        {
            added += Interlocked.Read(ref _addedBuckets[i]);
            s.Append(CultureInfo.InvariantCulture, $"dualstack_proxy_added_seconds_bucket{{le=\"{AddedBounds[i]}\"}} {added}\n");
        }

        added += Interlocked.Read(ref _addedBuckets[^1]);
        s.Append(CultureInfo.InvariantCulture, $"dualstack_proxy_added_seconds_bucket{{le=\"+Inf\"}} {added}\n");
        s.Append(CultureInfo.InvariantCulture, $"dualstack_proxy_added_seconds_sum {Interlocked.Read(ref _addedSumMicros) / 1_000_000.0}\n");
        s.Append(CultureInfo.InvariantCulture, $"dualstack_proxy_added_seconds_count {added}\n");
        Counter(s, "dualstack_shadow_sent_total", "Turns mirrored to the shadow (new) stack.", ShadowSent);
        Counter(s, "dualstack_shadow_dropped_total", "Turns not mirrored: shadow queue full, shadow circuit open, or conversation already out of step.", ShadowDropped);
        Counter(s, "dualstack_shadow_failed_total", "Shadow turns that failed: the new stack timed out, refused, answered an error or an unusable body, or the harness failed.", ShadowFailed);
        Counter(s, "dualstack_shadow_enqueued_total", "Turns of sampled conversations handed to the shadow sender.", ShadowEnqueued);
        Counter(s, "dualstack_shadow_stored_total", "Mirrored turns whose pair (old and new answer, redacted) was stored for `dualstack shadow judge`.", ShadowStored);
        Counter(s, "dualstack_shadow_compared_total", "Shadow turns compared in this process (only with --shadow-judge inproc; otherwise `dualstack shadow judge` compares them).", ShadowCompared);
        s.Append("# HELP dualstack_shadow_verdicts_total Shadow turn verdicts.\n# TYPE dualstack_shadow_verdicts_total counter\n");
        foreach (var verdict in Enum.GetValues<Verdict>())
        {
            s.Append(CultureInfo.InvariantCulture, $"dualstack_shadow_verdicts_total{{verdict=\"{verdict.ToString().ToLowerInvariant()}\"}} {Verdicts(verdict)}\n");
        }

        extra?.Invoke(s);
        return s.ToString();
    }

    public static void Counter(StringBuilder s, string name, string help, long value) =>
        s.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");

    public static void Gauge(StringBuilder s, string name, string help, double value) =>
        s.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");
}
