using DualStack.Core.Results;

namespace DualStack.Core.Verdicts;

/// <summary>What a run records besides its conversations; see <see cref="VerdictEngine.BuildRun"/>.</summary>
/// <param name="RunId">Run id (see <c>VerificationRunner.NewRunId</c>).</param>
/// <param name="Scenario">Scenario name, or the source for shadow runs.</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="Stacks">The two stacks.</param>
public sealed record RunHeader(string RunId, string Scenario, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, RunStacks Stacks)
{
    /// <summary>Synthetic seed; null when none.</summary>
    public int? Seed { get; init; }

    /// <summary>True when the run stopped before every conversation completed.</summary>
    public bool Cancelled { get; init; }
}
