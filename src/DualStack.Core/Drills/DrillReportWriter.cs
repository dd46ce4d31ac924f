using System.Net;
using System.Text;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Reports;

namespace DualStack.Core.Drills;

/// <summary>Writes a drill's report: <c>drill.json</c>, <c>drill.html</c> (self-contained) and an Allure result.</summary>
public static class DrillReportWriter
{
    /// <summary>Writes all three into <paramref name="directory"/> (Allure result into <c>allure-results/</c> there) and returns the folder.</summary>
    public static async Task<string> WriteAsync(DrillReport report, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "drill.json"), JsonSerializer.Serialize(report, DualStackJson.Indented), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "drill.html"), RenderHtml(report), cancellationToken).ConfigureAwait(false);
        WriteAllure(new AllureWriter(Path.Combine(directory, "allure-results")), report);
        return directory;
    }

    /// <summary>One Allure result for the drill: a step per check, epic "Rollback drill".</summary>
    public static void WriteAllure(AllureWriter writer, DrillReport report)
    {
        var start = AllureWriter.Millis(report.StartedAt);
        var stop = AllureWriter.Millis(report.RolledBackAt ?? report.TriggeredAt) + 1;
        writer.WriteResult(new AllureResult
        {
            Uuid = AllureWriter.NewUuid(),
            HistoryId = AllureWriter.StableId("drill." + report.Name),
            TestCaseId = AllureWriter.StableId("drill." + report.Name),
            Name = $"Rollback drill: {report.Name}",
            FullName = "drill." + report.Name,
            Labels =
            [
                new AllureLabel("parentSuite", "Rollback drills"),
                new AllureLabel("suite", report.Trigger.ToString().ToLowerInvariant()),
                new AllureLabel("epic", "Phase 4/5 — rollback drill"),
                new AllureLabel("feature", "rollback"),
                new AllureLabel("severity", "blocker"),
            ],
            Parameters =
            [
                new AllureParameter("requests", report.Requests.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new AllureParameter("rollback seconds", report.RollbackSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)),
            ],
            Status = report.Passed ? AllureStatus.Passed : AllureStatus.Failed,
            StatusDetails = report.Passed ? null : new AllureStatusDetails { Message = string.Join("; ", report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Evidence}")) },
            Steps = report.Checks.Select(c => new AllureStep { Name = $"{c.Name}: {c.Evidence}", Status = c.Passed ? AllureStatus.Passed : AllureStatus.Failed, Start = start, Stop = stop }).ToArray(),
            Start = start,
            Stop = stop,
        });
    }

    /// <summary>A self-contained HTML page of the drill (no external resources).</summary>
    public static string RenderHtml(DrillReport report)
    {
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>Rollback drill ")
            .Append(E(report.Name)).Append("</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330}table{border-collapse:collapse}td,th{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left}.pass{color:#17663a;font-weight:600}.fail{color:#b42318;font-weight:600}figure{margin:12px 0;padding:10px 12px;border:1px solid #e5e7eb;border-radius:6px;max-width:760px}figcaption{font-weight:600;margin-bottom:6px}svg.chart{display:block;max-width:100%;height:auto}</style></head><body>")
            .Append("<h1>Rollback drill: ").Append(E(report.Name)).Append(" — <span class=\"").Append(report.Passed ? "pass\">PASS" : "fail\">FAIL").Append("</span></h1>")
            .Append("<p>Trigger: ").Append(E(report.Trigger.ToString())).Append(" at ").Append(E(report.TriggeredAt.ToString("O"))).Append("; rolled back at ").Append(E(report.RolledBackAt?.ToString("O") ?? "never")).Append(": ").Append(E(report.RollbackReason ?? string.Empty)).Append("</p>")
            .Append("<figure class=\"chart-figure\" id=\"figure-timeline\"><figcaption>Which stack served the requests, with the trigger and the rollback</figcaption>")
            .Append(DrillTimelineChart.Render(report))
            .Append("</figure>")
            .Append("<table><tr><th>check</th><th>result</th><th>evidence</th></tr>");
        foreach (var check in report.Checks)
        {
            s.Append("<tr><td>").Append(E(check.Name)).Append("</td><td class=\"").Append(check.Passed ? "pass\">pass" : "fail\">fail").Append("</td><td>").Append(E(check.Evidence)).Append("</td></tr>");
        }

        s.Append("</table><h2>Measurements</h2><table>");
        foreach (var (name, value) in new (string, string)[]
        {
            ("requests", report.Requests.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("served by the new stack", report.ServedByNew.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("client-visible failures", report.FailedRequests.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("detection (fault → rollback)", report.DetectionSeconds is { } d ? $"{d:0.000} s" : "n/a"),
            ("rollback → last request on new", $"{report.RollbackSeconds:0.000} s"),
            ("conversations moved new → old", report.ConversationsMoved.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("memory written on new / merged / lost", $"{report.MemoryWrittenOnNew} / {report.MemoryMerged} / {report.MemoryLost}"),
        })
        {
            s.Append("<tr><td>").Append(E(name)).Append("</td><td>").Append(E(value)).Append("</td></tr>");
        }

        return s.Append("</table></body></html>").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
