using DualStack.Core.Reports;

namespace DualStack.Core.Tests.Reports;

public sealed class SparklineTests
{
    [Test]
    public void Render_ThreePointsOneAboveItsLimit_MarksItAndCarriesTheNumbers()
    {
        var line = new Sparkline { Id = "s", Title = "p95", Unit = "ms", Values = [50, 100, 200], Limits = [150, 150, 150] };

        var svg = line.Render();

        Assert.That(svg, Does.Contain("data-count=\"3\" data-max=\"200\" data-last=\"200\" data-limit=\"150\" data-over=\"1\""));
        // x from 3 to 257 in two steps; y = 3 + 42 × (1 − v / 200).
        Assert.That(svg, Does.Contain("points=\"3,34.5 130,24 257,3\""));
        Assert.That(svg, Does.Contain("d=\"M3 13.5L130 13.5L257 13.5\""));
        Assert.That(svg, Does.Contain("<circle class=\"over\" cx=\"257\" cy=\"3\""));
        Assert.That(svg, Does.Contain("<title id=\"s-title\">p95: now 200 ms, limit 150 ms, 3 samples"));
        Assert.That(svg, Does.Contain(">now 200 ms</text>"));
    }

    [Test]
    public void Render_LimitMissingInTheMiddle_RestartsTheLimitLineAfterTheGap()
    {
        var line = new Sparkline { Id = "s", Title = "rate", Unit = "%", Values = [1, 1, 1], Limits = [2, double.NaN, 2], Max = 4 };

        var svg = line.Render();

        Assert.That(svg, Does.Contain("d=\"M3 24M257 24\""));
        Assert.That(svg, Does.Contain("data-over=\"0\""));
    }

    [Test]
    public void Render_NoValues_SaysSoWithoutALine()
    {
        var svg = new Sparkline { Id = "s", Title = "split", Unit = "%", Values = [], Max = 100 }.Render();

        Assert.That(svg, Does.Contain("data-count=\"0\""));
        Assert.That(svg, Does.Contain("no samples yet"));
        Assert.That(svg, Does.Not.Contain("<polyline"));
        Assert.That(svg, Does.Not.Contain("data-last"));
    }

    [Test]
    public void Render_LimitsOfAnotherLength_NamesTheChartAndBothCounts()
    {
        var line = new Sparkline { Id = "spark-p95", Title = "p95", Unit = "ms", Values = [1, 2], Limits = [1] };

        var error = Assert.Throws<ArgumentException>(() => line.Render())!;

        Assert.That(error.Message, Does.Contain("sparkline 'spark-p95': 1 limits for 2 values"));
    }
}
