using System.CommandLine;
using System.Net;
using DualStack.Core.Config;
using DualStack.Core.Cutover;
using DualStack.Core.Routing;
using Spectre.Console;

namespace DualStack.Cli;

/// <summary><c>dualstack gate --config scenarios/cutover.json</c>: the Phase 5 cutover checklist with evidence per item.</summary>
internal static class GateCommand
{
    public static Command Build()
    {
        var config = new Option<string>("--config") { Description = "Cutover checklist config (default scenarios/cutover.json)", DefaultValueFactory = _ => Path.Combine("scenarios", "cutover.json") };
        var tokenEnv = new Option<string?>("--token-env") { Description = "Environment variable holding the split proxy's admin token (default DUALSTACK_ADMIN_TOKEN)", DefaultValueFactory = _ => "DUALSTACK_ADMIN_TOKEN" };
        var tokenFile = new Option<string?>("--token-file") { Description = "File holding the admin token" };
        var command = new Command("gate", "Evaluate the cutover checklist against the split proxy and both stacks and print pass/fail with evidence per item. Exit 0 all pass, 1 any fails, 2 config error, 3 only the configured verification run failed and it could not judge (errors beyond verification.maxErrors, or nothing judged).");
        command.Options.Add(config);
        command.Options.Add(tokenEnv);
        command.Options.Add(tokenFile);
        command.Subcommands.Add(GateSimulateCommand.Build());
        command.SetAction(async (parse, ct) =>
        {
            CutoverConfig cutover;
            try
            {
                cutover = CutoverConfigLoader.Load(parse.GetValue(config)!);
            }
            catch (Exception ex) when (ex is ConfigException or InvalidDataException or IOException)
            {
                throw new UsageException(ex.Message);
            }

            var token = CliArgs.Token(parse.GetValue(tokenEnv), parse.GetValue(tokenFile));

            var admin = SplitAdminClient.Create(new Uri(cutover.ProxyUrl), token);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(cutover.TimeoutSeconds) };
            var report = await CutoverGate.EvaluateAsync(cutover, admin, http, Dns.GetHostAddressesAsync, TimeProvider.System, ct);
            var table = new Table().Title("cutover checklist").AddColumns("item", "result", "evidence");
            foreach (var item in report.Items)
            {
                var result = item.Status switch
                {
                    CutoverStatus.Pass => "[green]PASS[/]",
                    CutoverStatus.Fail => "[red]FAIL[/]",
                    _ => "[grey]n/a[/]",
                };
                table.AddRow(Markup.Escape(item.Name), result, Markup.Escape(item.Evidence));
            }

            AnsiConsole.Write(table);
            Console.WriteLine(report.Passed ? "cutover gate: PASS" : $"cutover gate: FAIL ({report.Items.Count(i => i.Status == CutoverStatus.Fail)} of {report.Items.Count} items failed{(report.CouldNotJudge ? "; the verification run could not judge" : string.Empty)})");
            return report.Passed ? ExitCodes.Ok : report.CouldNotJudge ? ExitCodes.CouldNotJudge : ExitCodes.Failed;
        });
        return command;
    }
}
