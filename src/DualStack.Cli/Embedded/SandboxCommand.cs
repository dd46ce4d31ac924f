using System.CommandLine;
using DualStack.Sandbox;

namespace DualStack.Cli.Embedded;

/// <summary><c>dualstack sandbox</c>: a WireMock.Net integration sandbox for a shadow stack's integrations (Phase 3).</summary>
internal static class SandboxCommand
{
    public static Command Build()
    {
        var fixtures = new Option<string>("--fixtures") { Description = "Fixtures file (default scenarios/sandbox/fixtures.json)", DefaultValueFactory = _ => Path.Combine("scenarios", "sandbox", "fixtures.json") };
        var command = new Command("sandbox", "Run a WireMock.Net integration sandbox (orders, refunds, CRM, e-mail, catalog) for a shadow stack's integrations, so it never touches real systems. Prints its URL; runs until Ctrl+C. Exit 0 after Ctrl+C, 2 fixtures missing or invalid.");
        command.Options.Add(fixtures);
        command.SetAction(async (parse, ct) =>
        {
            SandboxFixtures data;
            try
            {
                data = SandboxFixtures.Load(parse.GetValue(fixtures)!);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                throw new UsageException(ex.Message);
            }

            using var sandbox = IntegrationSandbox.Start(data);
            Console.WriteLine($"sandbox on {sandbox.BaseAddress} — point the shadow stack's integrations here (sample agent: --integrations {sandbox.BaseAddress})");
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, ct);
            }
            catch (OperationCanceledException)
            {
            }

            Console.WriteLine($"stopped: {sandbox.Calls.Count} calls recorded");
            return ExitCodes.Ok;
        });
        return command;
    }
}
