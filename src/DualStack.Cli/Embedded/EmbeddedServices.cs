using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;

namespace DualStack.Cli.Embedded;

/// <summary>
/// Registers what this folder adds to the CLI: <see cref="ISampleStacks"/> and the two commands that exist only for
/// the sample stacks (<c>demo</c>, <c>sandbox</c>), keyed by command name so <see cref="CliApp"/> places them in the
/// command tree without depending on this folder.
/// </summary>
internal static class EmbeddedServices
{
    public static IServiceCollection AddEmbeddedSampleStacks(this IServiceCollection services)
    {
        services.AddSingleton<ISampleStacks, EmbeddedSampleStacks>();
        services.AddKeyedTransient<Command>("demo", (sp, _) => DemoCommand.Build(sp.GetRequiredService<ISampleStacks>()));
        services.AddKeyedTransient<Command>("sandbox", (_, _) => SandboxCommand.Build());
        return services;
    }
}
