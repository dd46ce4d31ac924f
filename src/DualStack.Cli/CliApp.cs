using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace DualStack.Cli;

/// <summary>
/// Builds the command tree from the services of the composition root (<c>Program.CreateServices</c>); each command lives
/// in its own class. The commands that exist only for the sample stacks (<c>demo</c>, <c>sandbox</c>) come from the
/// container by name, so nothing here depends on <c>Embedded/</c>.
/// </summary>
internal static class CliApp
{
    public static string Version =>
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RootCommand BuildRoot(IServiceProvider services)
    {
        var samples = services.GetRequiredService<ISampleStacks>();
        var root = new RootCommand(
            "DualStack: verify that a new deployment of a stateful AI agent behaves like the old one, then move traffic safely.\n" +
            "Exit codes: 0 ok · 1 something wrong was found (regressions, a failed gate or drill, differences, a stack or proxy that failed, refused or is unreachable) · 2 usage, config or environment error · 3 could not judge (errors, nothing judged) · 130 interrupted. Per command: README, \"Exit codes\".");
        root.Subcommands.Add(StacksCommand.Build());
        root.Subcommands.Add(SynthCommand.Build());
        root.Subcommands.Add(VerifyCommand.Build(samples));
        root.Subcommands.Add(services.GetRequiredKeyedService<Command>("demo"));
        root.Subcommands.Add(WorkerCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(CaptureCommand.Build());
        root.Subcommands.Add(CaptureCommand.BuildCaptures());
        root.Subcommands.Add(services.GetRequiredKeyedService<Command>("sandbox"));
        root.Subcommands.Add(ShadowCommand.Build());
        root.Subcommands.Add(SplitCommand.Build());
        root.Subcommands.Add(GateCommand.Build());
        root.Subcommands.Add(MemoryCommand.Build());
        root.Subcommands.Add(DrillCommand.Build(samples));
        root.Subcommands.Add(SchemaCommand.Build());
        return root;
    }
}
