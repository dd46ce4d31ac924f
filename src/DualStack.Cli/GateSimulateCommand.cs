using System.CommandLine;
using System.Globalization;
using DualStack.Core.Config;
using DualStack.Core.Gates;
using DualStack.Core.Routing;

namespace DualStack.Cli;

/// <summary>
/// <c>dualstack gate simulate --config scenarios/ramp.json --old-errors 0.01 --new-errors 0.03 --rps 20</c>: simulates
/// whole ramps in process (<see cref="RampSimulator"/>) and prints how often the gates roll back and how fast.
/// </summary>
internal static class GateSimulateCommand
{
    public static Command Build()
    {
        var config = new Option<string>("--config") { Description = "Ramp plan (default scenarios/ramp.json)", DefaultValueFactory = _ => Path.Combine("scenarios", "ramp.json") };
        var oldErrors = new Option<double>("--old-errors") { Description = "Error rate of the old stack, 0-1 (default 0.01)", DefaultValueFactory = _ => 0.01 };
        var newErrors = new Option<double>("--new-errors") { Description = "Error rate of the new stack, 0-1 (default 0.01)", DefaultValueFactory = _ => 0.01 };
        var rps = new Option<double>("--rps") { Description = "Requests per second reaching the split, both stacks together (default 20)", DefaultValueFactory = _ => 20 };
        var runs = new Option<int>("--runs") { Description = "Ramps to simulate (default 1000)", DefaultValueFactory = _ => 1_000 };
        var p95Ratio = new Option<double>("--p95-ratio") { Description = "New latency = old latency x this (default 1)", DefaultValueFactory = _ => 1 };
        var oldP95 = new Option<double>("--old-p95-ms") { Description = "p95 latency of the old stack in ms, log-normal with sigma 0.5 (default 200)", DefaultValueFactory = _ => 200 };
        var seed = new Option<long>("--seed") { Description = "Seed of the first ramp; ramp i uses seed + i (default 1)", DefaultValueFactory = _ => 1 };
        var command = new Command("simulate", "Simulate ramps of a ramp plan in process (no sockets, simulated time) with synthetic traffic and print the rollback probability and the time to decision (median, p90). Exit 0 simulated, 2 bad option or invalid ramp plan.");
        foreach (var option in new Option[] { config, oldErrors, newErrors, rps, runs, p95Ratio, oldP95, seed })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) =>
        {
            var problems = new List<string>();
            void Check(bool ok, FormattableString problem)
            {
                if (!ok)
                {
                    problems.Add(problem.ToString(CultureInfo.InvariantCulture));
                }
            }

            var scenario = new RampScenario
            {
                OldErrorRate = parse.GetValue(oldErrors),
                NewErrorRate = parse.GetValue(newErrors),
                RequestsPerSecond = parse.GetValue(rps),
                Runs = parse.GetValue(runs),
                P95Ratio = parse.GetValue(p95Ratio),
                OldP95Ms = parse.GetValue(oldP95),
                Seed = parse.GetValue(seed),
            };
            Check(scenario.OldErrorRate is >= 0 and <= 1, $"--old-errors: {scenario.OldErrorRate} must be between 0 and 1 (a fraction, 0.01 = 1 %)");
            Check(scenario.NewErrorRate is >= 0 and <= 1, $"--new-errors: {scenario.NewErrorRate} must be between 0 and 1 (a fraction, 0.01 = 1 %)");
            Check(scenario.RequestsPerSecond is > 0 and <= 100_000, $"--rps: {scenario.RequestsPerSecond} must be above 0 and at most 100000");
            Check(scenario.Runs is >= 1 and <= 1_000_000, $"--runs: {scenario.Runs} must be between 1 and 1000000");
            Check(scenario.P95Ratio is > 0 and <= 100, $"--p95-ratio: {scenario.P95Ratio} must be above 0 and at most 100");
            Check(scenario.OldP95Ms is >= 1 and <= 10_000, $"--old-p95-ms: {scenario.OldP95Ms} must be between 1 and 10000");
            RampPlan? plan = null;
            var path = parse.GetValue(config)!;
            try
            {
                plan = RampPlanLoader.Load(path);
            }
            catch (ConfigException ex)
            {
                problems.AddRange(ex.Errors);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                problems.Add($"{path}: {ex.Message}");
            }

            if (problems.Count > 0 || plan is null)
            {
                throw new UsageException(string.Join(Environment.NewLine, problems));
            }

            var result = RampSimulator.Run(plan, scenario, ct);
            var gates = plan.EffectiveGates;
            var lines = new[]
            {
                Invariant($"ramp plan {path}: steps {string.Join(", ", plan.Steps)} %, hold {plan.HoldSeconds} s, minRequests {plan.MinRequests}; gates {gates.Method.ToString().ToLowerInvariant()}, confidence {gates.Confidence}, failureThreshold {gates.FailureThreshold}, absoluteErrorTolerance {gates.AbsoluteErrorTolerance}, maxP95Ratio {gates.MaxP95Ratio}"),
                Invariant($"traffic: {scenario.RequestsPerSecond} rps; errors old {scenario.OldErrorRate:P2}, new {scenario.NewErrorRate:P2}; p95 old {scenario.OldP95Ms} ms, new x {scenario.P95Ratio}; seeds {scenario.Seed}..{scenario.Seed + scenario.Runs - 1}"),
                Invariant($"rollback probability: {result.RollbackRate:P1} ({result.RolledBack} of {result.Runs} ramps)"),
                result.RolledBack > 0
                    ? Invariant($"time to rollback from the ramp start: median {result.RollbackQuantile(0.5)} s, p90 {result.RollbackQuantile(0.9)} s")
                    : "time to rollback: no ramp was rolled back",
                result.RolledBack < result.Runs
                    ? Invariant($"ramps not rolled back ran to the end of the last step in {result.CompletedSeconds} s (median)")
                    : "every ramp was rolled back",
            };
            foreach (var line in lines)
            {
                Console.WriteLine(line);
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
