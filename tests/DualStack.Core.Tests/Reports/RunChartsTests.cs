using System.Globalization;
using System.Text.RegularExpressions;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Reports;
using DualStack.Core.Results;
using TestRuns = DualStack.Core.Tests.Support.Runs;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Reports;

public sealed partial class RunChartsTests
{
    [Test]
    public void Latencies_FailedObservationsAndMissingRepeat_CountOnlyWhatAnswered()
    {
        var run = TestRuns.Run(TestRuns.Conversation("c1",
            Turn(Ok("old", "a", latencyMs: 300), Ok("old", "a", latencyMs: 90), Ok("new", "a", latencyMs: 40)),
            Turn(Ok("old", "a", latencyMs: 100), null, Failed("new", ObservationErrorKind.Timeout, "timeout")),
            Turn(Ok("old", "a", latencyMs: 200), Ok("old", "a", latencyMs: 80), Ok("new", "a", latencyMs: 60))));

        var lanes = RunCharts.Latencies(run).ToDictionary(l => l.Lane, l => l.SortedMs);

        Assert.That(lanes.Keys, Is.EqualTo(new[] { "A", "A′", "B" }));
        Assert.That(lanes["A"], Is.EqualTo(new[] { 100d, 200, 300 }), "ascending");
        Assert.That(lanes["A′"], Is.EqualTo(new[] { 80d, 90 }));
        Assert.That(lanes["B"], Is.EqualTo(new[] { 40d, 60 }), "the timed-out turn has no latency to plot");
    }

    [Test]
    public void WriteLatencyCdf_TwentyTurns_LaneAttributesHoldNearestRankPercentiles()
    {
        // A: 10, 20, …, 200 ms; B: A + 5 ms. Nearest rank: p50 = 10th value, p95 = 19th value.
        var turns = Enumerable.Range(1, 20).Select(i => Turn(Ok("old", "a", latencyMs: i * 10), Ok("old", "a", latencyMs: i * 10), Ok("new", "a", latencyMs: (i * 10) + 5))).ToArray();
        var html = Render(w => RunCharts.WriteLatencyCdf(w, TestRuns.Run(TestRuns.Conversation("c1", turns))));

        Assert.That(Attr(html, "A", "data-count"), Is.EqualTo("20"));
        Assert.That(Attr(html, "A", "data-p50"), Is.EqualTo("100"));
        Assert.That(Attr(html, "A", "data-p95"), Is.EqualTo("190"));
        Assert.That(Attr(html, "B", "data-p50"), Is.EqualTo("105"));
        Assert.That(Attr(html, "B", "data-p95"), Is.EqualTo("195"));
        Assert.That(Attr(html, "B", "data-max"), Is.EqualTo("205"));
        Assert.That(html, Does.Contain("data-x-max-ms=\"250\""), "the x axis ends at the nice ceiling of 205 ms");
        Assert.That(html, Does.Contain("<title id=\"chart-latency-title\">"));
        Assert.That(html, Does.Contain("B new · 20 turns"), "a text label, not colour alone");
    }

    [Test]
    public void StepPath_TwoValues_StepsUpAtEachValueAndRunsToTheAxisEnd()
    {
        // x = 52 + ms / 100 × 460; y = 14 + (1 − share) × 200.
        var path = RunCharts.StepPath(RunCharts.CdfPoints([25, 50]), 100);

        Assert.That(path, Is.EqualTo("M167 214H167V114H282V14H512"));
    }

    [Test]
    public void CdfPoints_MoreValuesThanTheCap_DrawsEvenlySpacedQuantilesEndingAtTheMaximum()
    {
        var sorted = Enumerable.Range(1, 1000).Select(i => (double)i).ToArray();

        var points = RunCharts.CdfPoints(sorted);

        Assert.That(points, Has.Count.EqualTo(RunCharts.MaxCdfPoints));
        Assert.That(points[0], Is.EqualTo((5d, 0.005)));
        Assert.That(points[99], Is.EqualTo((500d, 0.5)));
        Assert.That(points[^1], Is.EqualTo((1000d, 1d)));
    }

    [Test]
    public void WriteKeyBars_RawTwiceTheNoise_BarsOnOneScaleReportedFirst()
    {
        var run = TestRuns.Run(TestRuns.Conversation("c1", Turn(Ok("old", "a"), Ok("old", "a"), Ok("new", "a")))) with
        {
            Keys =
            [
                new KeyStatistic("reply.id", 10, 2, 2, false),
                new KeyStatistic("skills.args:issue_refund.$.amount", 10, 4, 0, true),
                new KeyStatistic("reply.<b>", 10, 1, 0, false),
            ],
        };

        var html = Render(w => RunCharts.WriteKeyBars(w, run));

        var rows = KeyRow().Matches(html).Select(m => (m.Groups["key"].Value, m.Groups["raw"].Value, m.Groups["noise"].Value)).ToArray();
        Assert.That(rows, Is.EqualTo(new[] { ("skills.args:issue_refund.$.amount", "4", "0"), ("reply.&lt;b&gt;", "1", "0"), ("reply.id", "2", "2") }), "reported first, then by raw − noise");
        var widths = BarWidth().Matches(html).Select(m => (m.Groups["kind"].Value, double.Parse(m.Groups["w"].Value, CultureInfo.InvariantCulture))).ToArray();
        Assert.That(widths, Is.EqualTo(new[] { ("raw", 300d), ("noise", 0d), ("raw", 75d), ("noise", 0d), ("raw", 150d), ("noise", 150d) }), "300 px = the largest count (4)");
        Assert.That(html, Does.Not.Contain("<b>"), "keys are encoded");
        Assert.That(html, Does.Contain("data-reported=\"true\""));
    }

    [Test]
    public void WriteKeyBars_MoreKeysThanTheCap_DrawsTheFirstAndCountsTheRest()
    {
        var run = TestRuns.Run(TestRuns.Conversation("c1", Turn(Ok("old", "a"), Ok("old", "a"), Ok("new", "a")))) with
        {
            Keys = Enumerable.Range(0, RunCharts.MaxKeyBars + 5).Select(i => new KeyStatistic($"reply.k{i:00}", 10, 1, 0, false)).ToArray(),
        };

        var html = Render(w => RunCharts.WriteKeyBars(w, run));

        Assert.That(KeyRow().Matches(html), Has.Count.EqualTo(RunCharts.MaxKeyBars));
        Assert.That(html, Does.Contain($"data-keys=\"{RunCharts.MaxKeyBars + 5}\" data-shown=\"{RunCharts.MaxKeyBars}\""));
        Assert.That(html, Does.Contain("and 5 more keys"));
    }

    [Test]
    public void WriteDimensionVerdicts_OneRegressionInFour_SegmentWidthsSplitTheBarByCount()
    {
        var run = TestRuns.Run(
            TestRuns.Conversation("c1", TestRuns.Turn(Verdict.Regression, Severity.Major), TestRuns.Turn(Verdict.Match)),
            TestRuns.Conversation("c2", TestRuns.Turn(Verdict.Match), TestRuns.Turn(Verdict.Match)));

        var html = Render(w => RunCharts.WriteDimensionVerdicts(w, run.Summary, [Verdict.Regression, Verdict.Error, Verdict.NotObserved, Verdict.Noise, Verdict.Match]));

        Assert.That(html, Does.Contain("data-dimension=\"reply\" data-total=\"4\""));
        Assert.That(html, Does.Contain("<rect class=\"segment\" data-verdict=\"regression\" data-count=\"1\" x=\"100\" y=\"22\" width=\"100\""));
        Assert.That(html, Does.Contain("<rect class=\"segment\" data-verdict=\"match\" data-count=\"3\" x=\"200\" y=\"22\" width=\"300\""));
        Assert.That(html, Does.Contain("1 regression · 3 match"));
        Assert.That(html, Does.Contain("data-dimension=\"memory\" data-total=\"0\""));
    }

    [Test]
    public void NiceCeiling_Values_RoundUpToOneTwoTwoAndAHalfOrFive()
    {
        Assert.That(new[] { 0, 0.7, 1, 130, 205, 420, 999, 1001 }.Select(Svg.NiceCeiling), Is.EqualTo(new[] { 1, 1, 1, 200, 250, 500, 1000, 2000 }));
    }

    private static TurnResult Turn(StackObservation old, StackObservation? repeat, StackObservation @new) =>
        TestRuns.Turn(Verdict.Match) with { Old = old, OldRepeat = repeat, New = @new };

    private static string Render(Action<TextWriter> write)
    {
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        write(w);
        return w.ToString();
    }

    private static string Attr(string html, string lane, string name)
    {
        var match = Regex.Match(html, $"<g class=\"cdf-lane\" data-lane=\"{Regex.Escape(lane)}\"[^>]*\\b{name}=\"(?<v>[^\"]*)\"");
        Assert.That(match.Success, Is.True, $"lane {lane} has {name}");
        return match.Groups["v"].Value;
    }

    [GeneratedRegex("<g class=\"key-bar[^\"]*\" data-key=\"(?<key>[^\"]*)\" data-raw=\"(?<raw>\\d+)\" data-noise=\"(?<noise>\\d+)\"")]
    private static partial Regex KeyRow();

    [GeneratedRegex("<rect class=\"(?<kind>raw|noise)\" x=\"330\" y=\"\\d+\" width=\"(?<w>[0-9.]+)\"")]
    private static partial Regex BarWidth();
}
