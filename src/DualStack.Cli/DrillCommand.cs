using System.CommandLine;
using DualStack.Core.Drills;
using Refit;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack drill --config scenarios/drill.json</c>: a rollback drill under live load.</summary>
internal static class DrillCommand
{
    public static Command Build(ISampleStacks samples)
    {
        var config = new Option<string>("--config") { Description = "Drill config (default scenarios/drill.json)", DefaultValueFactory = _ => Path.Combine("scenarios", "drill.json") };
        var reports = new Option<string>("--reports") { Description = "Folder for drill reports (default reports/drills)", DefaultValueFactory = _ => Path.Combine("reports", "drills") };
        var tokenEnv = new Option<string?>("--token-env") { Description = "Environment variable holding the split proxy's admin token (only with URLs in the config; default DUALSTACK_ADMIN_TOKEN)", DefaultValueFactory = _ => "DUALSTACK_ADMIN_TOKEN" };
        var tokenFile = new Option<string?>("--token-file") { Description = "File holding the admin token" };
        var command = new Command("drill", "Run a rollback drill under live multi-turn load: ramp, trigger a rollback (command or injected fault), merge the new stack's memory back, and measure failed requests, switch time, moved conversations and lost memory against the config's limits. Writes drill.json, drill.html and an Allure result. Exit 0 pass, 1 fail, 2 config error.");
        command.Options.Add(config);
        command.Options.Add(reports);
        command.Options.Add(tokenEnv);
        command.Options.Add(tokenFile);
        command.SetAction(async (parse, ct) =>
        {
            DrillConfig drill;
            try
            {
                drill = DrillConfig.Load(parse.GetValue(config)!);
            }
            catch (InvalidDataException ex)
            {
                throw new UsageException(ex.Message);
            }

            string? token = null;
            if (!string.IsNullOrEmpty(drill.ProxyUrl))
            {
                token = CliArgs.Token(parse.GetValue(tokenEnv), parse.GetValue(tokenFile));
            }

            var progress = new Progress<string>(line => Console.WriteLine("drill: " + line));
            DrillReport report;
            try
            {
                report = await samples.RunDrillAsync(drill, DrillMerge.MergeAsync, token, progress, ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or ApiException or ApiRequestException)
            {
                // A proxy or stack the drill cannot drive is a failed drill (exit 1): the rollback could not be shown to work.
                Console.Error.WriteLine($"error: drill: cannot drive the split proxy or a stack: {ex.Message}");
                Console.WriteLine("drill: FAIL");
                return ExitCodes.Failed;
            }

            var directory = await DrillReportWriter.WriteAsync(report, Path.Combine(parse.GetValue(reports)!, $"{report.Name}-{report.StartedAt:yyyyMMdd-HHmmss}"), CancellationToken.None);
            var table = new Table().Title($"rollback drill '{Markup.Escape(report.Name)}'").AddColumns("check", "result", "evidence");
            foreach (var check in report.Checks)
            {
                table.AddRow(Markup.Escape(check.Name), check.Passed ? "[green]PASS[/]" : "[red]FAIL[/]", Markup.Escape(check.Evidence));
            }

            AnsiConsole.Write(table);
            Console.WriteLine($"requests {report.Requests} (new {report.ServedByNew}), conversations moved {report.ConversationsMoved}, detection {(report.DetectionSeconds is { } d ? $"{d:0.000} s" : "n/a")}; report: {Path.Combine(directory, "drill.html")}");
            Console.WriteLine(report.Passed ? "drill: PASS" : "drill: FAIL");
            return report.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }
}
