using System.Globalization;
using System.Net;

namespace DualStack.Core.Reports;

/// <summary>
/// Small helpers for the inline SVG charts: invariant number formats, encoding, axis scales. Charts are plain SVG
/// elements in the page (no script, no external reference), so they render under the reports' strict CSP and print.
/// </summary>
internal static class Svg
{
    /// <summary>Chart colours, readable on the light report theme (the verdict colours match the report's badges).</summary>
    public const string Axis = "#6a7385";
    public const string Grid = "#dde1e8";
    public const string Text = "#1d2330";
    public const string LaneA = "#1f5fa8";
    public const string LaneARepeat = "#6f9fd8";
    public const string LaneB = "#d9480f";
    public const string Raw = "#1d4ed8";
    public const string RawReported = "#c62828";
    public const string Noise = "#9aa5b1";

    /// <summary>A coordinate or value with at most two decimals, invariant ("12.5", "0", "-3.25").</summary>
    public static string F(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>An integer, invariant.</summary>
    public static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>HTML/XML-encodes text for an element or an attribute value.</summary>
    public static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>
    /// The smallest "nice" number (1, 2, 2.5 or 5 times a power of ten) at or above <paramref name="value"/>, so axis
    /// ticks at quarters of it read well; 1 for zero or less.
    /// </summary>
    public static double NiceCeiling(double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * power >= value * (1 - 1e-12))
            {
                return step * power;
            }
        }

        return 10 * power;
    }

    /// <summary>Nearest-rank percentile (the value at rank ⌈p·n⌉) of ascending <paramref name="sorted"/>; 0 when empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>Text cut to <paramref name="max"/> characters with an ellipsis; the full text goes into the element's title.</summary>
    public static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
