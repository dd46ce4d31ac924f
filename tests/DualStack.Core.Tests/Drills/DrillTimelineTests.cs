using System.Text.RegularExpressions;
using DualStack.Core.Drills;

namespace DualStack.Core.Tests.Drills;

public sealed partial class DrillTimelineTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [TestCase(10, 100, 100)]
    [TestCase(24, 100, 240)]
    [TestCase(25, 200, 125)]
    [TestCase(3600, 15_000, 240)]
    [TestCase(7200, 30_000, 240)]
    public void Build_DrillLength_PicksTheFinestBucketWithinTheCap(double seconds, int bucketMs, int buckets)
    {
        var timeline = DrillTimeline.Build([], Start, Start.AddSeconds(seconds));

        Assert.That(timeline.BucketMs, Is.EqualTo(bucketMs));
        Assert.That(timeline.Buckets, Has.Count.EqualTo(buckets));
        Assert.That(timeline.Buckets[^1].AtMs, Is.EqualTo((long)(buckets - 1) * bucketMs));
    }

    [Test]
    public void Build_RequestsOnBothStacks_CountsEachInTheBucketOfItsStart()
    {
        DrillRequest[] requests =
        [
            new(Start.AddMilliseconds(0), "old", false),
            new(Start.AddMilliseconds(99), "new", false),
            new(Start.AddMilliseconds(100), "new", true),
            new(Start.AddMilliseconds(450), null, true),
            new(Start.AddMilliseconds(1000), "old", false),
        ];

        var timeline = DrillTimeline.Build(requests, Start, Start.AddSeconds(1));

        Assert.That(timeline.BucketMs, Is.EqualTo(100));
        Assert.That(timeline.Buckets, Has.Count.EqualTo(10));
        Assert.That(timeline.Buckets[0], Is.EqualTo(new DrillBucket(0, 1, 1, 0, 0)));
        Assert.That(timeline.Buckets[1], Is.EqualTo(new DrillBucket(100, 0, 1, 0, 1)));
        Assert.That(timeline.Buckets[4], Is.EqualTo(new DrillBucket(400, 0, 0, 1, 1)));
        Assert.That(timeline.Buckets[9], Is.EqualTo(new DrillBucket(900, 1, 0, 0, 0)), "a request exactly at the end joins the last bucket");
        Assert.That(timeline.Buckets.Sum(b => b.Old + b.New + b.Other), Is.EqualTo(requests.Length));
    }

    [Test]
    public void Render_RolledBackDrill_TotalsAndMarkersAtTheirOffsets()
    {
        var requests = Enumerable.Range(0, 40).Select(i => new DrillRequest(Start.AddMilliseconds(i * 100), i < 25 && i % 2 == 0 ? "new" : "old", false)).ToArray();
        var report = Report(DrillTimeline.Build(requests, Start, Start.AddSeconds(4)), rolledBackAt: Start.AddMilliseconds(2500));

        var svg = DrillTimelineChart.Render(report);

        Assert.That(svg, Does.Contain("data-bucket-ms=\"100\" data-buckets=\"40\" data-requests=\"40\" data-old=\"27\" data-new=\"13\" data-failed=\"0\" data-trigger-ms=\"2000\" data-rollback-ms=\"2500\""));
        Assert.That(Bucket().Matches(svg), Has.Count.EqualTo(40));
        // x = 48 + ms / 4000 × 640.
        Assert.That(svg, Does.Contain("data-marker=\"trigger\" data-at-ms=\"2000\"><line x1=\"368\""));
        Assert.That(svg, Does.Contain("data-marker=\"rollback\" data-at-ms=\"2500\"><line x1=\"448\""));
        Assert.That(svg, Does.Contain(">trigger (command) +2 s</text>"));
        Assert.That(svg, Does.Contain(">rollback +2.5 s</text>"));
        Assert.That(svg, Does.Contain("<title id=\"chart-timeline-title\">"));
    }

    [Test]
    public void Render_NoRollback_SaysSoAndDrawsNoRollbackMarker()
    {
        var report = Report(DrillTimeline.Build([new DrillRequest(Start, "new", false)], Start, Start.AddSeconds(1)), rolledBackAt: null);

        var svg = DrillTimelineChart.Render(report);

        Assert.That(svg, Does.Contain(">no rollback</text>"));
        Assert.That(svg, Does.Not.Contain("data-marker=\"rollback\""));
        Assert.That(svg, Does.Not.Contain("data-rollback-ms"));
    }

    [Test]
    public void RenderHtml_ReportWithoutTimeline_StillRendersWithANote()
    {
        var html = DrillReportWriter.RenderHtml(Report(new DrillTimeline(), rolledBackAt: null));

        Assert.That(html, Does.Contain("No request timeline in this report."));
    }

    private static DrillReport Report(DrillTimeline timeline, DateTimeOffset? rolledBackAt) => new()
    {
        Name = "unit",
        Trigger = DrillTrigger.Command,
        StartedAt = Start,
        TriggeredAt = Start.AddSeconds(2),
        RolledBackAt = rolledBackAt,
        Limits = new DrillLimits(),
        Timeline = timeline,
    };

    [GeneratedRegex("<g class=\"bucket\"")]
    private static partial Regex Bucket();
}
