using System.CommandLine;
using DualStack.Core.Results;

namespace DualStack.Cli;

/// <summary><c>--fail-on</c> and <c>--max-errors</c>: the run policy of every command that finishes a verification run.</summary>
internal sealed class RunPolicyOptions
{
    private readonly Option<string> _failOn = new("--fail-on")
    {
        Description = "Lowest regression severity that fails the run (exit 1): minor, major or critical (default major); every finding is still reported",
        DefaultValueFactory = _ => "major",
    };

    private readonly Option<string> _maxErrors = new("--max-errors")
    {
        Description = "Share (0..1) of conversations that may end in an error verdict (stack unreachable, old stack failed) before the run exits 3, could not judge (default 0); a run that judged nothing never passes",
        DefaultValueFactory = _ => "0",
    };

    /// <summary>Adds both options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_failOn);
        command.Options.Add(_maxErrors);
    }

    /// <summary>The policy given on the command line; a bad value is a <see cref="UsageException"/> naming the option and value.</summary>
    public RunPolicy Read(ParseResult parse)
    {
        var failOnText = parse.GetValue(_failOn);
        if (!RunPolicy.TryParseFailOn(failOnText, out var failOn))
        {
            throw new UsageException(RunPolicy.FailOnError("--fail-on", failOnText));
        }

        var maxErrorsText = parse.GetValue(_maxErrors);
        return RunPolicy.TryParseMaxErrors(maxErrorsText, out var maxErrors)
            ? new RunPolicy(failOn, maxErrors)
            : throw new UsageException(RunPolicy.MaxErrorsError("--max-errors", maxErrorsText));
    }

    /// <summary>Prints the outcome line of a finished run and returns its exit code (0, 1 or 3).</summary>
    public static int Exit(RunResult result, RunPolicy policy)
    {
        var outcome = RunOutcome.Evaluate(result, policy);
        (outcome.Kind == RunOutcomeKind.Ok ? Console.Out : Console.Error).WriteLine(outcome.Message);
        return outcome.ExitCode;
    }
}
