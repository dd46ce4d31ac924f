using System.CommandLine;
using DualStack.Cli;
using DualStack.Cli.Embedded;
using DualStack.Core.Config;
using Microsoft.Extensions.DependencyInjection;

await using var services = Program.CreateServices();
var root = CliApp.BuildRoot(services);
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine("error: " + error.Message);
    }

    Console.Error.WriteLine("Run 'dualstack --help' for usage.");
    return ExitCodes.Usage;
}

// The proxy hosts (capture, split) trace through their own host; every other command traces its replays here.
OpenTelemetry.Trace.TracerProvider? tracing;
try
{
    tracing = parse.CommandResult.Command.Name is "capture" or "split" ? null : DualStack.Proxy.CliTracing.Start(CliArgs.Tracing());
}
catch (UsageException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return ExitCodes.Usage;
}

using var flush = tracing;
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (UsageException ex)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return ExitCodes.Usage;
}
catch (ConfigException ex)
{
    foreach (var error in ex.Errors)
    {
        Console.Error.WriteLine("error: " + error);
    }

    return ExitCodes.Usage;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("interrupted");
    return ExitCodes.Interrupted;
}
catch (Exception ex) when (Environment.GetEnvironmentVariable("DUALSTACK_DEBUG") is null)
{
    Console.Error.WriteLine($"error: {ex.Message} (set DUALSTACK_DEBUG=1 for the stack trace)");
    return ExitCodes.Usage;
}

/// <summary>The CLI's composition root.</summary>
internal partial class Program
{
    /// <summary>
    /// The services the command tree is built from: the sample stacks (<see cref="ISampleStacks"/>) and the commands
    /// that exist only for them, all from <c>Embedded/</c>, the one folder that knows the sample agent.
    /// </summary>
    internal static ServiceProvider CreateServices() => new ServiceCollection().AddEmbeddedSampleStacks().BuildServiceProvider();
}
