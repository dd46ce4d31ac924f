using System.Text;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Results;
using static DualStack.Core.Reports.Svg;

namespace DualStack.Core.Reports;

/// <summary>
/// The run report's pictures, as inline SVG: latency CDF per lane (A, A′, B), raw-vs-noise bars per difference key,
/// and verdicts per dimension. Every chart carries its numbers in <c>data-*</c> attributes (what tests and scrapers
/// read) and a <c>&lt;title&gt;</c>; every bar and line has a text label, so the numbers never depend on colour.
/// </summary>
internal static class RunCharts
{
    /// <summary>Points per lane in the CDF; larger runs are drawn at this many evenly spaced quantiles.</summary>
    public const int MaxCdfPoints = 200;

    /// <summary>Keys drawn in the bar chart (reported first, as in the table); the rest are counted in a note.</summary>
    public const int MaxKeyBars = 25;

    private const int CdfWidth = 760;
    private const int CdfLeft = 52;
    private const int CdfTop = 14;
    private const int CdfPlotWidth = 460;
    private const int CdfPlotHeight = 200;

    /// <summary>One lane's latencies (successful observations only), ascending.</summary>
    internal sealed record LaneLatencies(string Lane, string Label, string Colour, bool Dashed, IReadOnlyList<double> SortedMs);

    /// <summary>The latencies of A, A′ and B over all turns whose observation succeeded; lanes with none are left out.</summary>
    public static IReadOnlyList<LaneLatencies> Latencies(RunResult result)
    {
        var a = new List<double>();
        var repeat = new List<double>();
        var b = new List<double>();
        foreach (var turn in result.Conversations.SelectMany(c => c.Turns))
        {
            Add(a, turn.Old);
            Add(repeat, turn.OldRepeat);
            Add(b, turn.New);
        }

        var lanes = new List<LaneLatencies>(3);
        foreach (var (lane, label, colour, dashed, values) in new[]
        {
            ("A", "A old", LaneA, false, a),
            ("A′", "A′ old again", LaneARepeat, true, repeat),
            ("B", "B new", LaneB, false, b),
        })
        {
            if (values.Count > 0)
            {
                values.Sort();
                lanes.Add(new LaneLatencies(lane, label, colour, dashed, values));
            }
        }

        return lanes;

        static void Add(List<double> values, StackObservation? observation)
        {
            if (observation is { Error: null } && double.IsFinite(observation.LatencyMs) && observation.LatencyMs >= 0)
            {
                values.Add(observation.LatencyMs);
            }
        }
    }

    /// <summary>
    /// The (latency, cumulative share) corners of a lane's step CDF: every observation when there are at most
    /// <see cref="MaxCdfPoints"/>, else the nearest-rank quantiles at k / <see cref="MaxCdfPoints"/>.
    /// </summary>
    public static IReadOnlyList<(double Ms, double Share)> CdfPoints(IReadOnlyList<double> sorted)
    {
        var n = sorted.Count;
        if (n <= MaxCdfPoints)
        {
            return sorted.Select((v, i) => (v, (i + 1) / (double)n)).ToArray();
        }

        return Enumerable.Range(1, MaxCdfPoints).Select(k => (Percentile(sorted, k / (double)MaxCdfPoints), k / (double)MaxCdfPoints)).ToArray();
    }

    /// <summary>Writes the latency CDF: one step line per lane, x in milliseconds from 0, y the share of turns at or below.</summary>
    public static void WriteLatencyCdf(TextWriter w, RunResult result)
    {
        var lanes = Latencies(result);
        if (lanes.Count == 0)
        {
            w.Write("<p id=\"chart-latency-empty\" class=\"muted\">No successful observation: no latency to draw.</p>\n");
            return;
        }

        var max = NiceCeiling(lanes.Max(l => l.SortedMs[^1]));
        var height = CdfTop + CdfPlotHeight + 40;
        w.Write($"<svg id=\"chart-latency\" class=\"chart\" role=\"img\" aria-labelledby=\"chart-latency-title\" viewBox=\"0 0 {CdfWidth} {height}\" width=\"{CdfWidth}\" height=\"{height}\" data-x-max-ms=\"{F(max)}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">\n");
        w.Write("<title id=\"chart-latency-title\">Latency per lane: share of turns answered within x milliseconds (");
        w.Write(E(string.Join("; ", lanes.Select(l => $"{l.Label}: p50 {F(Percentile(l.SortedMs, 0.5))} ms, p95 {F(Percentile(l.SortedMs, 0.95))} ms"))));
        w.Write(")</title>\n");
        WriteAxes(w, max);
        for (var i = 0; i < lanes.Count; i++)
        {
            var lane = lanes[i];
            var p50 = Percentile(lane.SortedMs, 0.5);
            var p95 = Percentile(lane.SortedMs, 0.95);
            w.Write($"<g class=\"cdf-lane\" data-lane=\"{E(lane.Lane)}\" data-count=\"{N(lane.SortedMs.Count)}\" data-p50=\"{F(p50)}\" data-p95=\"{F(p95)}\" data-max=\"{F(lane.SortedMs[^1])}\">");
            w.Write($"<title>{E(lane.Label)}: {N(lane.SortedMs.Count)} turns, p50 {F(p50)} ms, p95 {F(p95)} ms, max {F(lane.SortedMs[^1])} ms</title>");
            w.Write($"<path d=\"{StepPath(CdfPoints(lane.SortedMs), max)}\" fill=\"none\" stroke=\"{lane.Colour}\" stroke-width=\"2\"{(lane.Dashed ? " stroke-dasharray=\"5 3\"" : string.Empty)}/>");
            var legendX = CdfLeft + CdfPlotWidth + 20;
            var legendY = CdfTop + 14 + (i * 40);
            w.Write($"<line x1=\"{N(legendX)}\" y1=\"{N(legendY - 4)}\" x2=\"{N(legendX + 22)}\" y2=\"{N(legendY - 4)}\" stroke=\"{lane.Colour}\" stroke-width=\"2\"{(lane.Dashed ? " stroke-dasharray=\"5 3\"" : string.Empty)}/>");
            w.Write($"<text x=\"{N(legendX + 28)}\" y=\"{N(legendY)}\" fill=\"{Text}\" font-weight=\"600\">{E(lane.Label)} · {N(lane.SortedMs.Count)} turns</text>");
            w.Write($"<text x=\"{N(legendX + 28)}\" y=\"{N(legendY + 15)}\" fill=\"{Axis}\">p50 {F(p50)} ms · p95 {F(p95)} ms</text></g>\n");
        }

        w.Write("</svg>\n");
    }

    /// <summary>The SVG path of a step CDF through <paramref name="points"/>, with x scaled to 0…<paramref name="maxMs"/>.</summary>
    public static string StepPath(IReadOnlyList<(double Ms, double Share)> points, double maxMs)
    {
        var d = new StringBuilder(points.Count * 16);
        d.Append('M').Append(F(X(points[0].Ms, maxMs))).Append(' ').Append(F(Y(0)));
        foreach (var (ms, share) in points)
        {
            d.Append('H').Append(F(X(ms, maxMs))).Append('V').Append(F(Y(share)));
        }

        return d.Append('H').Append(F(X(maxMs, maxMs))).ToString();
    }

    private static double X(double ms, double maxMs) => CdfLeft + (Math.Clamp(ms / maxMs, 0, 1) * CdfPlotWidth);

    private static double Y(double share) => CdfTop + ((1 - share) * CdfPlotHeight);

    private static void WriteAxes(TextWriter w, double max)
    {
        w.Write("<g class=\"axes\">");
        for (var i = 0; i <= 4; i++)
        {
            var share = i / 4.0;
            var y = Y(share);
            w.Write($"<line x1=\"{N(CdfLeft)}\" y1=\"{F(y)}\" x2=\"{N(CdfLeft + CdfPlotWidth)}\" y2=\"{F(y)}\" stroke=\"{Grid}\"/>");
            w.Write($"<text x=\"{N(CdfLeft - 6)}\" y=\"{F(y + 4)}\" text-anchor=\"end\" fill=\"{Axis}\">{N(i * 25)} %</text>");
            var ms = max * i / 4;
            var x = X(ms, max);
            w.Write($"<line x1=\"{F(x)}\" y1=\"{N(CdfTop + CdfPlotHeight)}\" x2=\"{F(x)}\" y2=\"{N(CdfTop + CdfPlotHeight + 4)}\" stroke=\"{Axis}\"/>");
            w.Write($"<text x=\"{F(x)}\" y=\"{N(CdfTop + CdfPlotHeight + 16)}\" text-anchor=\"middle\" fill=\"{Axis}\">{F(ms)}</text>");
        }

        w.Write($"<line x1=\"{N(CdfLeft)}\" y1=\"{N(CdfTop + CdfPlotHeight)}\" x2=\"{N(CdfLeft + CdfPlotWidth)}\" y2=\"{N(CdfTop + CdfPlotHeight)}\" stroke=\"{Axis}\"/>");
        w.Write($"<text x=\"{N(CdfLeft + (CdfPlotWidth / 2))}\" y=\"{N(CdfTop + CdfPlotHeight + 32)}\" text-anchor=\"middle\" fill=\"{Axis}\">latency (ms)</text></g>\n");
    }

    /// <summary>
    /// Writes the raw-vs-noise bars: per difference key, turns where A and B differ (raw) next to turns where A differs
    /// from A′ (noise), on one scale; reported keys are red. Same order as the table.
    /// </summary>
    public static void WriteKeyBars(TextWriter w, RunResult result)
    {
        if (result.Keys.Count == 0)
        {
            return;
        }

        var keys = OrderedKeys(result.Keys).ToArray();
        var shown = keys.Take(MaxKeyBars).ToArray();
        var scale = Math.Max(1, shown.Max(k => Math.Max(k.Raw, k.Noise)));
        const int labelWidth = 330;
        const int barWidth = 300;
        const int row = 26;
        var height = 22 + (shown.Length * row) + (keys.Length > shown.Length ? 18 : 0);
        var width = labelWidth + barWidth + 150;
        w.Write($"<svg id=\"chart-keys\" class=\"chart\" role=\"img\" aria-labelledby=\"chart-keys-title\" viewBox=\"0 0 {N(width)} {N(height)}\" width=\"{N(width)}\" height=\"{N(height)}\" data-keys=\"{N(keys.Length)}\" data-shown=\"{N(shown.Length)}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">\n");
        w.Write($"<title id=\"chart-keys-title\">Raw (A≠B) against noise (A≠A′) turns per difference key: {N(keys.Count(k => k.Reported))} of {N(keys.Length)} keys beyond the noise floor</title>\n");
        w.Write($"<g class=\"legend\"><rect x=\"{N(labelWidth)}\" y=\"2\" width=\"10\" height=\"8\" fill=\"{Raw}\"/><text x=\"{N(labelWidth + 14)}\" y=\"10\" fill=\"{Text}\">raw A≠B</text>");
        w.Write($"<rect x=\"{N(labelWidth + 80)}\" y=\"2\" width=\"10\" height=\"8\" fill=\"{RawReported}\"/><text x=\"{N(labelWidth + 94)}\" y=\"10\" fill=\"{Text}\">raw, reported</text>");
        w.Write($"<rect x=\"{N(labelWidth + 185)}\" y=\"2\" width=\"10\" height=\"8\" fill=\"{Noise}\"/><text x=\"{N(labelWidth + 199)}\" y=\"10\" fill=\"{Text}\">noise A≠A′</text></g>\n");
        for (var i = 0; i < shown.Length; i++)
        {
            var key = shown[i];
            var y = 20 + (i * row);
            var rawWidth = barWidth * key.Raw / (double)scale;
            var noiseWidth = barWidth * key.Noise / (double)scale;
            w.Write($"<g class=\"key-bar{(key.Reported ? " reported" : string.Empty)}\" data-key=\"");
            HtmlText.Enc(w, key.Key);
            w.Write($"\" data-raw=\"{N(key.Raw)}\" data-noise=\"{N(key.Noise)}\" data-turns=\"{N(key.Turns)}\" data-reported=\"{(key.Reported ? "true" : "false")}\"><title>");
            HtmlText.Enc(w, key.Key);
            w.Write($": raw {N(key.Raw)}, noise {N(key.Noise)} of {N(key.Turns)} turns — {(key.Reported ? "reported, beyond noise" : "within noise")}</title>");
            w.Write($"<text x=\"0\" y=\"{N(y + 13)}\" fill=\"{Text}\" font-family=\"ui-monospace,Menlo,Consolas,monospace\">");
            HtmlText.Enc(w, Cut(key.Key, 48));
            w.Write("</text>");
            w.Write($"<rect class=\"raw\" x=\"{N(labelWidth)}\" y=\"{N(y + 2)}\" width=\"{F(rawWidth)}\" height=\"10\" fill=\"{(key.Reported ? RawReported : Raw)}\"/>");
            w.Write($"<rect class=\"noise\" x=\"{N(labelWidth)}\" y=\"{N(y + 13)}\" width=\"{F(noiseWidth)}\" height=\"10\" fill=\"{Noise}\"/>");
            w.Write($"<text x=\"{F(labelWidth + Math.Max(rawWidth, noiseWidth) + 6)}\" y=\"{N(y + 16)}\" fill=\"{(key.Reported ? RawReported : Axis)}\">{N(key.Raw)} raw · {N(key.Noise)} noise / {N(key.Turns)}</text></g>\n");
        }

        if (keys.Length > shown.Length)
        {
            w.Write($"<text x=\"0\" y=\"{N(height - 4)}\" fill=\"{Axis}\">and {N(keys.Length - shown.Length)} more keys within the table below</text>\n");
        }

        w.Write("</svg>\n");
    }

    /// <summary>Keys as the table orders them: reported first, then by raw − noise, then by name.</summary>
    public static IEnumerable<KeyStatistic> OrderedKeys(IEnumerable<KeyStatistic> keys) =>
        keys.OrderByDescending(k => k.Reported).ThenByDescending(k => k.Raw - k.Noise).ThenBy(k => k.Key, StringComparer.Ordinal);

    /// <summary>Writes one 100 % bar per dimension, split by verdict (worst first), with the counts as text.</summary>
    public static void WriteDimensionVerdicts(TextWriter w, RunSummary summary, IReadOnlyList<Verdict> verdictsWorstFirst)
    {
        var dimensions = Enum.GetValues<Dimension>();
        const int labelWidth = 100;
        const int barWidth = 400;
        const int row = 24;
        var height = 24 + (dimensions.Length * row);
        const int width = labelWidth + barWidth + 260;
        w.Write($"<svg id=\"chart-dimensions\" class=\"chart\" role=\"img\" aria-labelledby=\"chart-dimensions-title\" viewBox=\"0 0 {N(width)} {N(height)}\" width=\"{N(width)}\" height=\"{N(height)}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">\n");
        w.Write("<title id=\"chart-dimensions-title\">Turn verdicts per dimension</title>\n<g class=\"legend\">");
        var legendX = labelWidth;
        foreach (var verdict in verdictsWorstFirst)
        {
            w.Write($"<rect x=\"{N(legendX)}\" y=\"2\" width=\"10\" height=\"8\" fill=\"{VerdictColour(verdict)}\"/><text x=\"{N(legendX + 14)}\" y=\"10\" fill=\"{Text}\">{HtmlText.Label(verdict)}</text>");
            legendX += 28 + (HtmlText.Label(verdict).Length * 6);
        }

        w.Write("</g>\n");
        for (var i = 0; i < dimensions.Length; i++)
        {
            var dimension = dimensions[i];
            var counts = summary.ByDimension.GetValueOrDefault(dimension);
            var total = verdictsWorstFirst.Sum(v => counts?.GetValueOrDefault(v) ?? 0);
            var y = 20 + (i * row);
            var name = HtmlText.Name(dimension);
            w.Write($"<g class=\"dimension-bar\" data-dimension=\"{name}\" data-total=\"{N(total)}\"><title>{name}: ");
            w.Write(total == 0 ? "no turns" : string.Join(", ", verdictsWorstFirst.Where(v => (counts?.GetValueOrDefault(v) ?? 0) > 0).Select(v => $"{N(counts!.GetValueOrDefault(v))} {HtmlText.Label(v).ToLowerInvariant()}")));
            w.Write($"</title><text x=\"0\" y=\"{N(y + 13)}\" fill=\"{Text}\" font-weight=\"600\">{name}</text>");
            w.Write($"<rect x=\"{N(labelWidth)}\" y=\"{N(y + 2)}\" width=\"{N(barWidth)}\" height=\"16\" fill=\"#f0f2f5\" stroke=\"{Grid}\"/>");
            var x = (double)labelWidth;
            var parts = new List<string>(); // counts and fixed labels only: nothing to encode
            foreach (var verdict in verdictsWorstFirst)
            {
                var count = counts?.GetValueOrDefault(verdict) ?? 0;
                if (count == 0)
                {
                    continue;
                }

                var segment = barWidth * count / (double)total;
                w.Write($"<rect class=\"segment\" data-verdict=\"{HtmlText.Name(verdict)}\" data-count=\"{N(count)}\" x=\"{F(x)}\" y=\"{N(y + 2)}\" width=\"{F(segment)}\" height=\"16\" fill=\"{VerdictColour(verdict)}\"/>");
                x += segment;
                parts.Add($"{N(count)} {HtmlText.Label(verdict).ToLowerInvariant()}");
            }

            w.Write($"<text x=\"{N(labelWidth + barWidth + 8)}\" y=\"{N(y + 14)}\" fill=\"{Axis}\">{(total == 0 ? "no turns" : string.Join(" · ", parts))}</text></g>\n");
        }

        w.Write("</svg>\n");
    }

    /// <summary>The verdict's colour, as the report's badges use it.</summary>
    public static string VerdictColour(Verdict verdict) => verdict switch
    {
        Verdict.Regression => "#c62828",
        Verdict.Error => "#8e24aa",
        Verdict.NotObserved => "#ef6c00",
        Verdict.Noise => "#607d8b",
        _ => "#2e7d32",
    };
}
