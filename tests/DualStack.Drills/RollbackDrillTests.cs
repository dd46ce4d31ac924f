using DualStack.Core.Drills;
using DualStack.Core.Reports;
using DualStack.Sandbox;
using DualStack.TestUtils;

[assembly: Allure]

namespace DualStack.Drills;

/// <summary>
/// Rollback drills against the embedded sample stacks behind the split proxy, under live multi-turn load: a manual and
/// an automatic (fault-injected) rollback, each proving zero failed client requests, a switch within the limit, and
/// no memory written on the new stack lost after the automatic merge.
/// </summary>
[NonParallelizable]
[Category("drill")]
public sealed class RollbackDrillTests
{
    [TestCase("drill.json", DrillTrigger.Command)]
    [TestCase("drill-fault.json", DrillTrigger.Fault)]
    public async Task Drill_UnderLiveLoad_RollsBackWithoutFailuresWithinTheLimitAndLosesNoMemory(string file, DrillTrigger trigger)
    {
        var config = DrillConfig.Load(RepoPaths.Resolve(Path.Combine("scenarios", file)));
        Assert.That(config.Trigger, Is.EqualTo(trigger));
        var progress = new Progress<string>(line => TestContext.Progress.WriteLine("drill: " + line));

        var report = await EmbeddedDrill.RunAsync(config, DrillMerge.MergeAsync, adminToken: null, progress, CancellationToken.None);

        var directory = await DrillReportWriter.WriteAsync(report, Path.Combine(TestContext.CurrentContext.WorkDirectory, "drills", report.Name), CancellationToken.None);
        Allure.Label("epic", "Phase 4/5 — rollback drill");
        Allure.Attach("drill report", "text/html", "html", DrillReportWriter.RenderHtml(report));
        foreach (var check in report.Checks)
        {
            Allure.AddSteps([new AllureStep { Name = $"{check.Name}: {check.Evidence}", Status = check.Passed ? AllureStatus.Passed : AllureStatus.Failed }]);
            TestContext.Out.WriteLine($"{(check.Passed ? "PASS" : "FAIL")} {check.Name}: {check.Evidence}");
        }

        TestContext.Out.WriteLine($"requests {report.Requests}, served by new {report.ServedByNew}, moved {report.ConversationsMoved}, detection {report.DetectionSeconds?.ToString("0.000") ?? "n/a"} s; report {directory}");
        Assert.Multiple(() =>
        {
            Assert.That(report.RolledBackAt, Is.Not.Null, "the rollback must happen" + (trigger == DrillTrigger.Fault ? " by itself" : string.Empty));
            Assert.That(report.FailedRequests, Is.Zero, string.Join("; ", report.FailureSamples));
            Assert.That(report.RollbackSeconds, Is.LessThanOrEqualTo(config.Limits.MaxRollbackSeconds));
            Assert.That(report.ServedByNew, Is.GreaterThan(0), "the new stack served traffic before the rollback");
            Assert.That(report.MemoryWrittenOnNew, Is.GreaterThan(0), "conversations on the new stack wrote memory");
            Assert.That(report.MemoryLost, Is.Zero, "memory written on the new stack is merged back into the old one");
            Assert.That(report.Passed, Is.True);
        });
        if (trigger == DrillTrigger.Fault)
        {
            Assert.That(report.RollbackReason, Does.Contain("p95"), "the latency gate fired");
        }
    }
}
