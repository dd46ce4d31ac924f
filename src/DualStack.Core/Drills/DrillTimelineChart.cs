using System.Text;
using DualStack.Core.Reports;
using static DualStack.Core.Reports.Svg;

namespace DualStack.Core.Drills;

/// <summary>
/// The drill timeline as inline SVG: requests per bucket stacked by the stack that served them (old, new, no answer),
/// failed requests as a red row beneath, and the trigger and the rollback as vertical lines with their offsets. The
/// numbers ride on <c>data-*</c> attributes (per bucket and for the whole drill) so a test can check them.
/// </summary>
internal static class DrillTimelineChart
{
    internal const string OldColour = "#6a7f99";
    internal const string NewColour = "#d9480f";
    internal const string OtherColour = "#1d2330";
    internal const string FailedColour = "#c62828";
    internal const string TriggerColour = "#8e24aa";

    private const int Left = 48;
    private const int Top = 30;
    private const int PlotWidth = 640;
    private const int PlotHeight = 170;
    private const int Width = Left + PlotWidth + 20;
    private const int Height = Top + PlotHeight + 62;

    /// <summary>The SVG for <paramref name="report"/>; a short note when the report has no timeline (older drill.json).</summary>
    public static string Render(DrillReport report)
    {
        var timeline = report.Timeline;
        if (timeline.Buckets.Count == 0 || timeline.BucketMs <= 0)
        {
            return "<p id=\"timeline-empty\">No request timeline in this report.</p>";
        }

        var totalMs = (double)timeline.Buckets.Count * timeline.BucketMs;
        var yMax = NiceCeiling(timeline.Buckets.Max(b => b.Old + b.New + b.Other));
        var triggerMs = (report.TriggeredAt - report.StartedAt).TotalMilliseconds;
        double? rollbackMs = report.RolledBackAt is { } at ? (at - report.StartedAt).TotalMilliseconds : null;
        var s = new StringBuilder(4096 + (timeline.Buckets.Count * 160));
        s.Append($"<svg id=\"chart-timeline\" class=\"chart\" role=\"img\" aria-labelledby=\"chart-timeline-title\" viewBox=\"0 0 {N(Width)} {N(Height)}\" width=\"{N(Width)}\" height=\"{N(Height)}\" font-family=\"system-ui,sans-serif\" font-size=\"11\"")
            .Append($" data-bucket-ms=\"{N(timeline.BucketMs)}\" data-buckets=\"{N(timeline.Buckets.Count)}\" data-requests=\"{N(timeline.Buckets.Sum(b => (long)b.Old + b.New + b.Other))}\"")
            .Append($" data-old=\"{N(timeline.Buckets.Sum(b => (long)b.Old))}\" data-new=\"{N(timeline.Buckets.Sum(b => (long)b.New))}\" data-failed=\"{N(timeline.Buckets.Sum(b => (long)b.Failed))}\"")
            .Append($" data-trigger-ms=\"{F(triggerMs)}\"{(rollbackMs is { } r ? $" data-rollback-ms=\"{F(r)}\"" : string.Empty)}>\n");
        s.Append("<title id=\"chart-timeline-title\">Requests per ").Append(E(Seconds(timeline.BucketMs)))
            .Append(" by the stack that served them; trigger at +").Append(E(Seconds(triggerMs)))
            .Append(rollbackMs is { } rb ? $", rollback at +{Seconds(rb)}" : ", no rollback").Append("</title>\n");
        Legend(s);
        Axes(s, totalMs, yMax);
        foreach (var bucket in timeline.Buckets)
        {
            if (bucket.Old + bucket.New + bucket.Other + bucket.Failed == 0)
            {
                continue;
            }

            var x = X(bucket.AtMs, totalMs);
            var w = Math.Max(0.5, (PlotWidth * timeline.BucketMs / totalMs) - 0.5);
            s.Append($"<g class=\"bucket\" data-at-ms=\"{N(bucket.AtMs)}\" data-old=\"{N(bucket.Old)}\" data-new=\"{N(bucket.New)}\" data-other=\"{N(bucket.Other)}\" data-failed=\"{N(bucket.Failed)}\">")
                .Append($"<title>+{E(Seconds(bucket.AtMs))}: {N(bucket.Old)} old, {N(bucket.New)} new, {N(bucket.Other)} no answer, {N(bucket.Failed)} failed</title>");
            var y = (double)(Top + PlotHeight);
            foreach (var (count, colour) in new[] { (bucket.Old, OldColour), (bucket.New, NewColour), (bucket.Other, OtherColour) })
            {
                if (count > 0)
                {
                    var h = PlotHeight * count / yMax;
                    y -= h;
                    s.Append($"<rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(w)}\" height=\"{F(h)}\" fill=\"{colour}\"/>");
                }
            }

            if (bucket.Failed > 0)
            {
                s.Append($"<rect x=\"{F(x)}\" y=\"{N(Top + PlotHeight + 22)}\" width=\"{F(Math.Max(w, 2))}\" height=\"8\" fill=\"{FailedColour}\"/>");
            }

            s.Append("</g>\n");
        }

        Marker(s, "trigger", $"trigger ({report.Trigger.ToString().ToLowerInvariant()}) +{Seconds(triggerMs)}", triggerMs, totalMs, TriggerColour, dashed: true, row: 0);
        if (rollbackMs is { } rollback)
        {
            Marker(s, "rollback", $"rollback +{Seconds(rollback)}", rollback, totalMs, FailedColour, dashed: false, row: 1);
        }
        else
        {
            s.Append($"<text class=\"no-rollback\" x=\"{N(Left + PlotWidth)}\" y=\"{N(Top - 4)}\" text-anchor=\"end\" fill=\"{FailedColour}\" font-weight=\"700\">no rollback</text>\n");
        }

        return s.Append("</svg>\n").ToString();
    }

    private static double X(double ms, double totalMs) => Left + (Math.Clamp(ms / totalMs, 0, 1) * PlotWidth);

    private static string Seconds(double ms) => F(ms / 1000) + " s";

    private static void Legend(StringBuilder s)
    {
        s.Append("<g class=\"legend\">");
        var x = Left;
        foreach (var (label, colour) in new[] { ("old stack", OldColour), ("new stack", NewColour), ("no answer", OtherColour), ("failed (row below)", FailedColour) })
        {
            s.Append($"<rect x=\"{N(x)}\" y=\"2\" width=\"10\" height=\"8\" fill=\"{colour}\"/><text x=\"{N(x + 14)}\" y=\"10\" fill=\"{Text}\">{E(label)}</text>");
            x += 24 + (label.Length * 6);
        }

        s.Append("</g>\n");
    }

    private static void Axes(StringBuilder s, double totalMs, double yMax)
    {
        s.Append("<g class=\"axes\">");
        for (var i = 0; i <= 4; i++)
        {
            var y = Top + PlotHeight - (PlotHeight * i / 4.0);
            s.Append($"<line x1=\"{N(Left)}\" y1=\"{F(y)}\" x2=\"{N(Left + PlotWidth)}\" y2=\"{F(y)}\" stroke=\"{Grid}\"/>")
                .Append($"<text x=\"{N(Left - 6)}\" y=\"{F(y + 4)}\" text-anchor=\"end\" fill=\"{Axis}\">{F(yMax * i / 4)}</text>");
        }

        // Time ticks at a nice step (…, 1 s, 2 s, 2.5 s, 5 s, …), about four across the drill.
        var step = NiceCeiling(totalMs / 4);
        for (var ms = 0d; ms <= totalMs + 1e-9; ms += step)
        {
            var x = X(ms, totalMs);
            s.Append($"<line x1=\"{F(x)}\" y1=\"{N(Top + PlotHeight)}\" x2=\"{F(x)}\" y2=\"{N(Top + PlotHeight + 4)}\" stroke=\"{Axis}\"/>")
                .Append($"<text x=\"{F(x)}\" y=\"{N(Top + PlotHeight + 14)}\" text-anchor=\"middle\" fill=\"{Axis}\">{E(Seconds(ms))}</text>");
        }

        s.Append($"<text x=\"{N(Left - 6)}\" y=\"{N(Top + PlotHeight + 30)}\" text-anchor=\"end\" fill=\"{FailedColour}\">failed</text>")
            .Append($"<text x=\"{N(Left + (PlotWidth / 2))}\" y=\"{N(Top + PlotHeight + 48)}\" text-anchor=\"middle\" fill=\"{Axis}\">time since the load started; bars: requests started per bucket</text></g>\n");
    }

    private static void Marker(StringBuilder s, string name, string label, double ms, double totalMs, string colour, bool dashed, int row)
    {
        var x = X(ms, totalMs);
        var anchor = x > Left + (PlotWidth * 0.75) ? "end" : "start";
        var textX = anchor == "end" ? x - 4 : x + 4;
        s.Append($"<g class=\"marker\" data-marker=\"{name}\" data-at-ms=\"{F(ms)}\"><line x1=\"{F(x)}\" y1=\"{N(Top - 12 + (row * 12))}\" x2=\"{F(x)}\" y2=\"{N(Top + PlotHeight)}\" stroke=\"{colour}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"4 3\"" : string.Empty)}/>")
            .Append($"<text x=\"{F(textX)}\" y=\"{N(Top - 4 + (row * 12))}\" text-anchor=\"{anchor}\" fill=\"{colour}\" font-weight=\"700\">{E(label)}</text></g>\n");
    }
}
