using System.Globalization;
using DualStack.Core.Judgement;
using DualStack.Core.Results;
using static DualStack.Core.Reports.HtmlText;

namespace DualStack.Core.Reports;

/// <summary>The run summary: verdict and severity tiles, the legend, turns per dimension and the difference keys.</summary>
public static partial class HtmlReport
{
    private static void WriteSummary(TextWriter w, RunResult result)
    {
        var summary = result.Summary;
        w.Write("<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"totals\">");
        w.Write(Num(summary.Conversations));
        w.Write(" conversations · ");
        w.Write(Num(summary.Turns));
        w.Write(" turns</p>\n<div class=\"tiles\" id=\"verdict-tiles\">\n");
        foreach (var verdict in VerdictsWorstFirst)
        {
            var name = Name(verdict);
            var count = summary.ByVerdict.GetValueOrDefault(verdict);
            w.Write("<button type=\"button\" class=\"tile v-");
            w.Write(name);
            w.Write(count == 0 ? " zero" : string.Empty);
            w.Write("\" id=\"tile-");
            w.Write(name);
            w.Write("\" data-filter=\"");
            w.Write(name);
            w.Write("\" title=\"Show only these conversations\"><span class=\"tile-count\">");
            w.Write(Num(count));
            w.Write("</span><span class=\"tile-label\">");
            w.Write(Label(verdict));
            w.Write("</span></button>\n");
        }

        w.Write("</div>\n<div class=\"tiles\" id=\"severity-tiles\">\n");
        foreach (var severity in SeveritiesWorstFirst)
        {
            var name = Name(severity);
            var count = summary.RegressionsBySeverity.GetValueOrDefault(severity);
            w.Write("<div class=\"tile s-");
            w.Write(name);
            w.Write(count == 0 ? " zero" : string.Empty);
            w.Write("\" id=\"tile-severity-");
            w.Write(name);
            w.Write("\"><span class=\"tile-count\">");
            w.Write(Num(count));
            w.Write("</span><span class=\"tile-label\">");
            w.Write(name);
            w.Write(" regressions</span></div>\n");
        }

        w.Write("</div>\n");
        w.Write(Legend);
        WriteCharts(w, result);
        WriteDimensionTable(w, summary);
        WriteKeysTable(w, result);
        w.Write("</section>\n");
    }

    // Pictures first, tables after: the tables keep every number, the charts show the shape.
    private static void WriteCharts(TextWriter w, RunResult result)
    {
        w.Write("<div class=\"charts\" id=\"charts\">\n<figure class=\"chart-figure\" id=\"figure-latency\"><figcaption>Latency per lane: share of turns answered within x ms</figcaption>\n");
        RunCharts.WriteLatencyCdf(w, result);
        w.Write("</figure>\n<figure class=\"chart-figure\" id=\"figure-dimensions\"><figcaption>Turn verdicts per dimension</figcaption>\n");
        RunCharts.WriteDimensionVerdicts(w, result.Summary, VerdictsWorstFirst);
        w.Write("</figure>\n</div>\n");
    }

    private static void WriteDimensionTable(TextWriter w, RunSummary summary)
    {
        w.Write("<h3>Turns per dimension</h3>\n<table id=\"by-dimension\" class=\"grid\">\n<thead><tr><th>dimension</th>");
        foreach (var verdict in VerdictsWorstFirst)
        {
            w.Write("<th>");
            w.Write(Label(verdict));
            w.Write("</th>");
        }

        w.Write("</tr></thead>\n<tbody>\n");
        foreach (var dimension in Enum.GetValues<Dimension>())
        {
            var counts = summary.ByDimension.GetValueOrDefault(dimension);
            w.Write("<tr data-dimension=\"");
            w.Write(Name(dimension));
            w.Write("\"><th>");
            w.Write(Name(dimension));
            w.Write("</th>");
            foreach (var verdict in VerdictsWorstFirst)
            {
                var count = counts?.GetValueOrDefault(verdict) ?? 0;
                w.Write(count == 0 ? "<td class=\"num zero\">" : $"<td class=\"num v-{Name(verdict)}\">");
                w.Write(Num(count));
                w.Write("</td>");
            }

            w.Write("</tr>\n");
        }

        w.Write("</tbody>\n</table>\n");
    }

    private static void WriteKeysTable(TextWriter w, RunResult result)
    {
        w.Write("<h3>Difference keys</h3>\n<p class=\"hint\">Raw = turns where old (A) and new (B) differ under the key; noise = turns where old differs from itself (A vs A′). A key is <em>reported</em> only when raw exceeds noise by both aggregation thresholds (relative ");
        w.Write(result.Comparison.Aggregation.RelativeThreshold.ToString("0.###", CultureInfo.InvariantCulture));
        w.Write(", absolute ");
        w.Write(result.Comparison.Aggregation.AbsoluteThreshold.ToString("0.#####", CultureInfo.InvariantCulture));
        w.Write(" per turn); findings under unreported keys count as noise.</p>\n");
        if (result.Keys.Count == 0)
        {
            w.Write("<p id=\"keys-empty\" class=\"muted\">No differences between old and new, nor between old and itself.</p>\n");
            return;
        }

        w.Write("<figure class=\"chart-figure\" id=\"figure-keys\"><figcaption>Raw against noise per difference key</figcaption>\n");
        RunCharts.WriteKeyBars(w, result);
        w.Write("</figure>\n");
        w.Write("<table id=\"keys\" class=\"grid\">\n<thead><tr><th>key</th><th>raw (A≠B)</th><th>noise (A≠A′)</th><th>turns</th><th>reported</th></tr></thead>\n<tbody>\n");
        var keys = RunCharts.OrderedKeys(result.Keys);
        foreach (var key in keys)
        {
            w.Write(key.Reported ? "<tr class=\"reported\">" : "<tr>");
            w.Write("<td><code>");
            Enc(w, key.Key);
            w.Write("</code></td><td class=\"num\">");
            w.Write(Num(key.Raw));
            w.Write("</td><td class=\"num\">");
            w.Write(Num(key.Noise));
            w.Write("</td><td class=\"num\">");
            w.Write(Num(key.Turns));
            w.Write(key.Reported ? "</td><td class=\"flag\">yes — beyond noise</td></tr>\n" : "</td><td class=\"muted\">no — within noise</td></tr>\n");
        }

        w.Write("</tbody>\n</table>\n");
    }

    private const string Legend = """
        <p id="legend" class="legend">Every turn is sent to the old stack twice (<b>A</b> and <b>A′</b>) and to the new stack once (<b>B</b>). Differences between A and A′ are the <b>noise floor</b>: what the old stack already varies by on its own (wording, ids, timing). Each dimension (reply, skills, memory, latency, errors, expectations) is judged against that floor. <span class="badge v-match">Match</span> old and new did the same within thresholds. <span class="badge v-noise">Noise</span> they differ, but old differs from itself the same way (in this turn or as often across the run), so it is not the new stack's fault. <span class="badge v-notobserved">Not observed</span> a stack does not expose that dimension, so it could not be compared — never counted as a match. <span class="badge v-error">Error</span> the harness could not compare: the old stack failed, a stack was unreachable, or the run stopped. <span class="badge v-regression">Regression</span> the new stack differs beyond the noise floor, graded <span class="severity s-critical">critical</span> (skill calls or failures: real side effects), <span class="severity s-major">major</span> (facts or memory) or <span class="severity s-minor">minor</span> (meaning or latency drift). A conversation takes its worst turn's verdict; open one to see which turn and dimension decided it.</p>

        """;
}
