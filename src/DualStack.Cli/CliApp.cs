using System.CommandLine;
using System.Reflection;

namespace DualStack.Cli;

/// <summary>Builds the command tree; each command lives in its own class.</summary>
internal static class CliApp
{
    public static string Version =>
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "DualStack: verify that a new deployment of a stateful AI agent behaves like the old one, then move traffic safely.\n" +
            "Exit codes: 0 ok · 1 something wrong was found (regressions, a failed gate or drill, differences, a stack or proxy that failed, refused or is unreachable) · 2 usage, config or environment error · 3 could not judge (errors, nothing judged) · 130 interrupted. Per command: README, \"Exit codes\".");
        root.Subcommands.Add(StacksCommand.Build());
        root.Subcommands.Add(SynthCommand.Build());
        root.Subcommands.Add(VerifyCommand.Build());
        root.Subcommands.Add(VerifyCommand.BuildDemo());
        root.Subcommands.Add(WorkerCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(CaptureCommand.Build());
        root.Subcommands.Add(CaptureCommand.BuildCaptures());
        root.Subcommands.Add(CaptureCommand.BuildSandbox());
        root.Subcommands.Add(ShadowCommand.Build());
        root.Subcommands.Add(SplitCommand.Build());
        root.Subcommands.Add(GateCommand.Build());
        root.Subcommands.Add(MemoryCommand.Build());
        root.Subcommands.Add(DrillCommand.Build());
        root.Subcommands.Add(SchemaCommand.Build());
        return root;
    }
}
