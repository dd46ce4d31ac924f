using System.Globalization;
using System.Text;
using DualStack.Core.Gates;
using DualStack.Core.Reports;

namespace DualStack.Proxy;

/// <summary>One dashboard sample: the split and both stacks' sliding-window figures at one tick.</summary>
internal readonly record struct TrendPoint(DateTimeOffset At, double Percent, bool RolledBack, WindowStats Old, WindowStats New);

/// <summary>
/// The dashboard's recent history: a ring of the last <see cref="Capacity"/> samples (one per split tick, 1 s by default,
/// so two minutes), drawn as server-rendered sparklines of the new stack's error rate and p95 against the gate limits,
/// and of the split percentage. Thread-safe; memory is fixed.
/// </summary>
internal sealed class DashboardTrend(GateConfig gates, int capacity = DashboardTrend.DefaultCapacity)
{
    public const int DefaultCapacity = 120;

    private readonly TrendPoint[] _ring = new TrendPoint[Math.Max(1, capacity)];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public int Capacity => _ring.Length;

    public void Record(TrendPoint point)
    {
        lock (_lock)
        {
            _ring[_next] = point;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
        }
    }

    /// <summary>The samples, oldest first.</summary>
    public TrendPoint[] Points()
    {
        lock (_lock)
        {
            var points = new TrendPoint[_count];
            for (var i = 0; i < _count; i++)
            {
                points[i] = _ring[(_next - _count + i + _ring.Length) % _ring.Length];
            }

            return points;
        }
    }

    /// <summary>
    /// The error-rate limit drawn for a sample: the old stack's rate plus the gate's tolerance, in percent (the gate also
    /// needs the difference to be significant, so crossing the line is necessary, not sufficient, for a rollback); NaN
    /// while either stack has fewer requests than the gate needs.
    /// </summary>
    public double ErrorRateLimitPercent(TrendPoint point) =>
        Judged(point) ? (point.Old.ErrorRate + gates.AbsoluteErrorTolerance) * 100 : double.NaN;

    /// <summary>The p95 limit drawn for a sample: old p95 × MaxP95Ratio + P95SlackMs; NaN while not judged.</summary>
    public double P95LimitMs(TrendPoint point) =>
        Judged(point) ? (point.Old.P95Ms * gates.MaxP95Ratio) + gates.P95SlackMs : double.NaN;

    /// <summary>The three sparklines as one HTML fragment (what <c>/admin/ui/charts</c> returns and the page embeds).</summary>
    public string RenderCharts()
    {
        var points = Points();
        var errorRate = new Sparkline
        {
            Id = "spark-error-rate",
            Title = "New stack error rate over the sliding window",
            Unit = "%",
            Values = points.Select(p => p.New.ErrorRate * 100).ToArray(),
            Limits = points.Select(ErrorRateLimitPercent).ToArray(),
            LimitLabel = "limit (old + " + (gates.AbsoluteErrorTolerance * 100).ToString("0.##", CultureInfo.InvariantCulture) + " pt)",
        };
        var p95 = new Sparkline
        {
            Id = "spark-p95",
            Title = "New stack p95 latency",
            Unit = "ms",
            Values = points.Select(p => p.New.P95Ms).ToArray(),
            Limits = points.Select(P95LimitMs).ToArray(),
            LimitLabel = "limit (old × " + gates.MaxP95Ratio.ToString("0.##", CultureInfo.InvariantCulture) + " + " + gates.P95SlackMs.ToString("0.#", CultureInfo.InvariantCulture) + " ms)",
        };
        var split = new Sparkline
        {
            Id = "spark-split",
            Title = "Share of conversations on the new stack",
            Unit = "%",
            Values = points.Select(p => p.Percent).ToArray(),
            Max = 100,
        };
        var html = new StringBuilder(4096);
        html.Append("<div class=\"spark-row\"><span class=\"spark-label\">new error rate</span>").Append(errorRate.Render()).Append("</div>")
            .Append("<div class=\"spark-row\"><span class=\"spark-label\">new p95</span>").Append(p95.Render()).Append("</div>")
            .Append("<div class=\"spark-row\"><span class=\"spark-label\">split</span>").Append(split.Render()).Append("</div>")
            .Append("<p class=\"muted\">last ").Append(points.Length.ToString(CultureInfo.InvariantCulture)).Append(" of ").Append(Capacity.ToString(CultureInfo.InvariantCulture))
            .Append(" samples, one per gate tick; limits are drawn once both stacks have ").Append(gates.MinRequests.ToString(CultureInfo.InvariantCulture)).Append(" requests in the window</p>");
        return html.ToString();
    }

    private bool Judged(TrendPoint point) => point.Old.Requests >= gates.MinRequests && point.New.Requests >= gates.MinRequests;
}
