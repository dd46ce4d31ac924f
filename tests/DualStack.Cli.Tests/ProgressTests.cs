using DualStack.Core.Capture;
using Microsoft.Extensions.Time.Testing;

namespace DualStack.Cli.Tests;

/// <summary>What a long command prints while it works, on a plain console (a pipe, a CI log).</summary>
public sealed class ProgressTests
{
    [Test]
    public void PruneProgress_LongPass_CountsSoFarPrintedAtMostEvery5Seconds()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter { NewLine = "\n" };
        var progress = CaptureCommand.PruneProgress(output, time: time);

        progress.Report(new Pruned(1_000, 0)); // a slice at once: nothing yet
        time.Advance(TimeSpan.FromSeconds(4));
        progress.Report(new Pruned(2_000, 0));
        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(new Pruned(3_000, 0)); // 5 s in: shown
        progress.Report(new Pruned(4_000, 0)); // right after: skipped
        time.Advance(TimeSpan.FromSeconds(5));
        progress.Report(new Pruned(4_000, 1_000)); // the pairs' slices: shown with the exchanges' total

        Assert.That(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "deleted 3000 exchanges and 0 shadow pairs so far…",
            "deleted 4000 exchanges and 1000 shadow pairs so far…",
        }));
    }
}
