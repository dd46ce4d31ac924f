using System.CommandLine;
using DualStack.Core.Stacks;

namespace DualStack.Cli;

/// <summary><c>dualstack stacks check &lt;url&gt;</c>.</summary>
internal static class StacksCommand
{
    public static Command Build()
    {
        var url = new Argument<string>("url") { Description = "Base URL of the stack, e.g. http://127.0.0.1:5100" };
        var adapter = new Option<string?>("--adapter") { Description = "Contract the stack speaks: native (default), openai or openclaw" };
        var tokenEnv = new Option<string?>("--token-env") { Description = "Environment variable holding a bearer token (never pass the token itself)" };
        var check = new Command("check", "Call the stack's health endpoint and print what it reports. Exit 0 healthy, 1 unhealthy or unreachable, 2 bad URL.");
        check.Arguments.Add(url);
        check.Options.Add(adapter);
        check.Options.Add(tokenEnv);
        check.SetAction(async (parse, ct) =>
        {
            IAgentStack stack;
            try
            {
                stack = StackFactory.Create("stack", new StackConfig { Url = parse.GetValue(url), Adapter = CliArgs.Adapter(parse.GetValue(adapter)) ?? AdapterKind.Native, TokenEnv = parse.GetValue(tokenEnv) });
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message);
            }

            using (stack)
            {
                var health = await stack.CheckHealthAsync(ct);
                Console.WriteLine($"{stack.BaseAddress}: {(health.Healthy ? "healthy" : "UNHEALTHY")} · status {health.Status} · version {health.Version ?? "unknown"} · {health.LatencyMs:0} ms");
                return health.Healthy ? ExitCodes.Ok : ExitCodes.Failed;
            }
        });

        var stacks = new Command("stacks", "Inspect agent stacks.");
        stacks.Subcommands.Add(check);
        return stacks;
    }
}
