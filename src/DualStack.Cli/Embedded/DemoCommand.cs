using System.CommandLine;

namespace DualStack.Cli.Embedded;

/// <summary><c>dualstack demo</c>: <c>verify</c> of the demo scenario against the sample stacks, with faults planted in the new one.</summary>
internal static class DemoCommand
{
    /// <summary>The sample agent's fault knobs the demo plants unless <c>--faults</c> names others.</summary>
    private static readonly IReadOnlyList<string> DefaultFaults = ["wrong-skill-args", "skip-memory"];

    public static Command Build(ISampleStacks samples)
    {
        var synthetic = new Option<int>("--synthetic") { Description = "Synthetic conversations to add (default 40)", DefaultValueFactory = _ => 40 };
        var faults = new Option<string[]>("--faults") { Description = "Fault knobs planted in the new stack (default wrong-skill-args,skip-memory)", AllowMultipleArgumentsPerToken = true };
        var reports = new Option<string>("--reports") { Description = "Folder for run results (default reports)", DefaultValueFactory = _ => "reports" };
        var lexical = new Option<bool>("--lexical") { Description = "Judge reply meaning lexically only" };
        var allure = new Option<bool>("--allure") { Description = "Also render the Allure HTML report (needs the npm package 'allure')" };
        var command = new Command("demo", "Start the embedded sample stacks (old v1; new v2, nondeterministic, with planted faults) and their sandboxes on loopback, verify the demo scenario plus synthetic conversations, print the summary and the report path. Needs no configuration; exits 0 when the run completes, 3 when it could not judge (stack errors, nothing judged).");
        command.Options.Add(synthetic);
        command.Options.Add(faults);
        command.Options.Add(reports);
        command.Options.Add(lexical);
        command.Options.Add(allure);
        command.SetAction((parse, ct) =>
        {
            var planted = VerifyCommand.SplitList(parse.GetValue(faults));
            var scenarioPath = samples.FindDemoScenario()
                ?? throw new UsageException("scenarios/demo.json not found: run the demo from the DualStack checkout");
            return VerifyCommand.RunAsync(
                new VerifyCommand.VerifyOptions
                {
                    ScenarioPath = scenarioPath,
                    Synthetic = parse.GetValue(synthetic),
                    ReportsDir = parse.GetValue(reports)!,
                    Lexical = parse.GetValue(lexical),
                    EmbeddedNewFaults = planted.Count == 0 ? DefaultFaults : planted,
                    Demo = true,
                    Allure = parse.GetValue(allure),
                },
                samples,
                ct);
        });
        return command;
    }
}
