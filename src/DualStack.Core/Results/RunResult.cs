using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;

namespace DualStack.Core.Results;

/// <summary>Everything a verification run observed and decided: the input of every report.</summary>
public sealed record RunResult
{
    /// <summary>Run id (also the report folder name).</summary>
    public required string RunId { get; init; }

    /// <summary>Scenario name.</summary>
    public required string Scenario { get; init; }

    /// <summary>When the replay started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When judging finished.</summary>
    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>The stacks compared.</summary>
    public required RunStacks Stacks { get; init; }

    /// <summary>Synthetic seed; null when no synthetic conversations ran.</summary>
    public int? Seed { get; init; }

    /// <summary>Similarity measure used for reply meaning (<c>minilm</c> or <c>lexical</c>).</summary>
    public string Similarity { get; init; } = "lexical";

    /// <summary>True when the run was interrupted; results hold what completed.</summary>
    public bool Cancelled { get; init; }

    /// <summary>The settings the verdicts were computed with.</summary>
    public ComparisonConfig Comparison { get; init; } = new();

    /// <summary>Counts for the summary.</summary>
    public required RunSummary Summary { get; init; }

    /// <summary>Per-difference-key statistics against the noise floor (Diffy-style).</summary>
    public IReadOnlyList<KeyStatistic> Keys { get; init; } = [];

    /// <summary>Every conversation, turn, observation and verdict.</summary>
    public required IReadOnlyList<ConversationResult> Conversations { get; init; }
}

/// <summary>Identity of the stacks compared.</summary>
/// <param name="Old">Old stack (A, A′).</param>
/// <param name="New">New stack (B).</param>
public sealed record RunStacks(StackInfo Old, StackInfo New);

/// <summary>Identity of one stack.</summary>
/// <param name="Name">Name.</param>
/// <param name="Url">Base URL (never with credentials).</param>
/// <param name="Version">Version from its health endpoint, when known.</param>
public sealed record StackInfo(string Name, string Url, string? Version);

/// <summary>Run-level counts.</summary>
public sealed record RunSummary
{
    /// <summary>Conversations judged.</summary>
    public int Conversations { get; init; }

    /// <summary>Turns judged.</summary>
    public int Turns { get; init; }

    /// <summary>Conversations per verdict.</summary>
    public IReadOnlyDictionary<Verdict, int> ByVerdict { get; init; } = new Dictionary<Verdict, int>();

    /// <summary>Turns per dimension and verdict.</summary>
    public IReadOnlyDictionary<Dimension, IReadOnlyDictionary<Verdict, int>> ByDimension { get; init; } = new Dictionary<Dimension, IReadOnlyDictionary<Verdict, int>>();

    /// <summary>Regressed conversations per severity.</summary>
    public IReadOnlyDictionary<Severity, int> RegressionsBySeverity { get; init; } = new Dictionary<Severity, int>();

    /// <summary>Conversations that regressed.</summary>
    public int Regressions => ByVerdict.GetValueOrDefault(Verdict.Regression);

    /// <summary>Conversations the harness could not judge.</summary>
    public int Errors => ByVerdict.GetValueOrDefault(Verdict.Error);
}

/// <summary>How often a difference key occurred old-vs-new (raw) and old-vs-old (noise), and whether it is reported.</summary>
/// <param name="Key">Difference key.</param>
/// <param name="Turns">Turns compared.</param>
/// <param name="Raw">Turns where old and new differ on this key.</param>
/// <param name="Noise">Turns where old and old′ differ on this key.</param>
/// <param name="Reported">True when raw exceeds noise by both thresholds.</param>
public sealed record KeyStatistic(string Key, int Turns, int Raw, int Noise, bool Reported);

/// <summary>One conversation's outcome.</summary>
public sealed record ConversationResult
{
    /// <summary>The source conversation.</summary>
    public required Conversation Conversation { get; init; }

    /// <summary>Conversation ids used per lane (old, old′, new).</summary>
    public required IReadOnlyDictionary<Lane, string> LaneIds { get; init; }

    /// <summary>The judged turns.</summary>
    public required IReadOnlyList<TurnResult> Turns { get; init; }

    /// <summary>Worst turn verdict.</summary>
    public Verdict Verdict { get; init; }

    /// <summary>Worst severity.</summary>
    public Severity Severity { get; init; }

    /// <summary>Why, naming the first turn and dimension that decided it.</summary>
    public required string Reason { get; init; }

    /// <summary>False when the run stopped before the last turn.</summary>
    public bool Completed { get; init; } = true;
}

/// <summary>One turn's observations and verdicts.</summary>
public sealed record TurnResult
{
    /// <summary>Zero-based index.</summary>
    public int Index { get; init; }

    /// <summary>What the user said.</summary>
    public required string Message { get; init; }

    /// <summary>Old stack (A).</summary>
    public required StackObservation Old { get; init; }

    /// <summary>Old stack again (A′); null when repeats are off.</summary>
    public StackObservation? OldRepeat { get; init; }

    /// <summary>New stack, second run (B′); null unless <c>replay.repeatNew</c> is on.</summary>
    public StackObservation? NewRepeat { get; init; }

    /// <summary>New stack (B).</summary>
    public required StackObservation New { get; init; }

    /// <summary>Per-dimension results.</summary>
    public IReadOnlyList<DimensionResult> Dimensions { get; init; } = [];

    /// <summary>Worst dimension verdict.</summary>
    public Verdict Verdict { get; init; }

    /// <summary>Worst severity.</summary>
    public Severity Severity { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }
}
