using System.Text;
using static DualStack.Core.Reports.Svg;

namespace DualStack.Core.Reports;

/// <summary>
/// A small inline-SVG line of recent values with an optional limit line (dashed red) and the latest value as text;
/// points above the limit are marked. Server-rendered, so it shows without script. The numbers ride on
/// <c>data-count</c>, <c>data-last</c>, <c>data-limit</c> (latest limit) and <c>data-over</c> (points above the limit).
/// </summary>
public sealed record Sparkline
{
    private const int Width = 260;
    private const int Height = 48;
    private const int Pad = 3;
    private const int TextWidth = 250;

    /// <summary>Element id (also the stem of the title's id).</summary>
    public required string Id { get; init; }

    /// <summary>What the line shows, e.g. "new stack error rate"; the chart's accessible title starts with it.</summary>
    public required string Title { get; init; }

    /// <summary>Unit shown after numbers ("%", "ms").</summary>
    public required string Unit { get; init; }

    /// <summary>The values, oldest first.</summary>
    public required IReadOnlyList<double> Values { get; init; }

    /// <summary>The limit at each point (same length as <see cref="Values"/>; NaN where there is none); null for no limit line.</summary>
    public IReadOnlyList<double>? Limits { get; init; }

    /// <summary>Label of the limit line; default "limit".</summary>
    public string LimitLabel { get; init; } = "limit";

    /// <summary>Top of the scale; default the nice ceiling of the largest value or limit.</summary>
    public double? Max { get; init; }

    /// <summary>Points above their limit.</summary>
    public int Over => Limits is null ? 0 : Values.Where((v, i) => i < Limits.Count && double.IsFinite(Limits[i]) && v > Limits[i]).Count();

    /// <summary>The SVG element.</summary>
    public string Render()
    {
        if (Limits is not null && Limits.Count != Values.Count)
        {
            throw new ArgumentException($"sparkline '{Id}': {Limits.Count} limits for {Values.Count} values", nameof(Limits));
        }

        var n = Values.Count;
        var finiteLimits = Limits?.Where(double.IsFinite).ToArray() ?? [];
        var max = Max ?? NiceCeiling(Math.Max(n == 0 ? 0 : Values.Max(), finiteLimits.Length == 0 ? 0 : finiteLimits.Max()));
        var lastLimit = Limits is { Count: > 0 } && double.IsFinite(Limits[^1]) ? Limits[^1] : (double?)null;
        var s = new StringBuilder(1024 + (n * 24));
        s.Append($"<svg id=\"{E(Id)}\" class=\"chart sparkline\" role=\"img\" aria-labelledby=\"{E(Id)}-title\" viewBox=\"0 0 {N(Width + TextWidth)} {N(Height)}\" width=\"{N(Width + TextWidth)}\" height=\"{N(Height)}\" font-family=\"system-ui,sans-serif\" font-size=\"11\"")
            .Append($" data-count=\"{N(n)}\" data-max=\"{F(max)}\"");
        if (n > 0)
        {
            s.Append($" data-last=\"{F(Values[^1])}\"");
        }

        if (lastLimit is { } limitNow)
        {
            s.Append($" data-limit=\"{F(limitNow)}\"");
        }

        s.Append($" data-over=\"{N(Over)}\">")
            .Append($"<title id=\"{E(Id)}-title\">{E(Title)}: {(n == 0 ? "no samples yet" : $"now {F(Values[^1])} {Unit}")}{(lastLimit is { } l ? $", {LimitLabel} {F(l)} {Unit}" : string.Empty)}, {N(n)} samples, scale 0–{F(max)} {Unit}</title>")
            .Append($"<rect x=\"0\" y=\"0\" width=\"{N(Width)}\" height=\"{N(Height)}\" fill=\"#f8f9fb\" stroke=\"{Grid}\"/>");
        if (n == 0)
        {
            return s.Append($"<text x=\"{N(Width / 2)}\" y=\"{N((Height / 2) + 4)}\" text-anchor=\"middle\" fill=\"{Axis}\">no samples yet</text></svg>").ToString();
        }

        if (Limits is not null && finiteLimits.Length > 0)
        {
            s.Append($"<path class=\"limit\" d=\"{LimitPath(max)}\" fill=\"none\" stroke=\"{RawReported}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>");
        }

        s.Append("<polyline class=\"values\" points=\"");
        for (var i = 0; i < n; i++)
        {
            s.Append(i == 0 ? string.Empty : " ").Append(F(X(i, n))).Append(',').Append(F(Y(Values[i], max)));
        }

        s.Append($"\" fill=\"none\" stroke=\"{Raw}\" stroke-width=\"1.5\"/>");
        if (Limits is not null)
        {
            for (var i = 0; i < n; i++)
            {
                if (double.IsFinite(Limits[i]) && Values[i] > Limits[i])
                {
                    s.Append($"<circle class=\"over\" cx=\"{F(X(i, n))}\" cy=\"{F(Y(Values[i], max))}\" r=\"2.5\" fill=\"{RawReported}\"/>");
                }
            }
        }

        s.Append($"<text x=\"{N(Width + 8)}\" y=\"18\" fill=\"{Text}\" font-weight=\"600\">now {F(Values[^1])} {E(Unit)}</text>");
        if (lastLimit is { } shown)
        {
            s.Append($"<text x=\"{N(Width + 8)}\" y=\"34\" fill=\"{RawReported}\">{E(LimitLabel)} {F(shown)} {E(Unit)}</text>");
        }

        return s.Append("</svg>").ToString();
    }

    private static double X(int i, int n) => n == 1 ? Width - Pad : Pad + ((Width - (2 * Pad)) * i / (double)(n - 1));

    private static double Y(double value, double max) => Pad + ((Height - (2 * Pad)) * (1 - Math.Clamp(value / max, 0, 1)));

    // Gaps where a point has no limit: the line restarts (M) at the next point that has one.
    private string LimitPath(double max)
    {
        var d = new StringBuilder(Values.Count * 16);
        var pen = false;
        for (var i = 0; i < Values.Count; i++)
        {
            if (!double.IsFinite(Limits![i]))
            {
                pen = false;
                continue;
            }

            d.Append(pen ? 'L' : 'M').Append(F(X(i, Values.Count))).Append(' ').Append(F(Y(Limits[i], max)));
            pen = true;
        }

        return d.ToString();
    }
}
