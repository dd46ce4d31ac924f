namespace DualStack.Core.Judgement;

/// <summary>The outcome of comparing old and new, ordered from best to most actionable.</summary>
public enum Verdict
{
    /// <summary>Old and new did the same (within thresholds).</summary>
    Match,

    /// <summary>They differ, but old differs from itself the same way: nondeterminism, not a regression.</summary>
    Noise,

    /// <summary>A dimension could not be observed on one of the stacks: never reported as a match.</summary>
    NotObserved,

    /// <summary>The harness could not compare: the old stack failed, a stack was unreachable, or the run was cancelled.</summary>
    Error,

    /// <summary>New differs from old beyond the noise floor.</summary>
    Regression,
}

/// <summary>How bad a regression is.</summary>
public enum Severity
{
    /// <summary>Not a regression.</summary>
    None,

    /// <summary>Reply meaning or latency drift.</summary>
    Minor,

    /// <summary>Memory or stated facts differ.</summary>
    Major,

    /// <summary>Skill calls differ or the new stack fails: side effects in the real world.</summary>
    Critical,
}

/// <summary>What is compared.</summary>
public enum Dimension
{
    /// <summary>Reply text (meaning and facts).</summary>
    Reply,

    /// <summary>Skill calls (trajectory, arguments, status).</summary>
    Skills,

    /// <summary>Memory retrieved and written.</summary>
    Memory,

    /// <summary>Response time.</summary>
    Latency,

    /// <summary>Whether the stack answered at all.</summary>
    Errors,

    /// <summary>Expectations written in the scenario.</summary>
    Expectations,
}

/// <summary>One difference between two observations, under a stable key used for noise aggregation.</summary>
/// <param name="Key">Stable difference key, e.g. <c>skills.args:issue_refund.$.amount</c>.</param>
/// <param name="Description">What differs, for humans.</param>
/// <param name="Old">Old value (A), when meaningful.</param>
/// <param name="New">New value (B, or A′ for noise findings), when meaningful.</param>
public sealed record Finding(string Key, string Description, string? Old = null, string? New = null);

/// <summary>The graded result of one comparer for one turn.</summary>
public sealed record DimensionResult
{
    /// <summary>The dimension.</summary>
    public required Dimension Dimension { get; init; }

    /// <summary>The verdict.</summary>
    public required Verdict Verdict { get; init; }

    /// <summary>Severity; <see cref="Severity.None"/> unless a regression.</summary>
    public Severity Severity { get; init; }

    /// <summary>Why, in one sentence a reviewer understands.</summary>
    public required string Reason { get; init; }

    /// <summary>Differences old vs new (A/B).</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>Differences old vs old (A/A′): the noise floor for this turn.</summary>
    public IReadOnlyList<Finding> NoiseFindings { get; init; } = [];

    /// <summary>Reply details (scores, facts, word diff); null for other dimensions.</summary>
    public ReplyDetail? Reply { get; init; }

    /// <summary>Memory scores; null for other dimensions.</summary>
    public MemoryDetail? Memory { get; init; }
}

/// <summary>Scores and diff of a reply comparison.</summary>
public sealed record ReplyDetail
{
    /// <summary>Lexical similarity old/new in [0,1].</summary>
    public double Lexical { get; init; }

    /// <summary>Semantic similarity old/new; null without a model.</summary>
    public double? Semantic { get; init; }

    /// <summary>Semantic similarity of new to the closer of the two old answers (A, A′): what the meaning cut-off is applied to; null without a model.</summary>
    public double? BestSemantic { get; init; }

    /// <summary>The semantic cut-off the run calibrated from its old-vs-old similarities; null when the fixed threshold applies.</summary>
    public double? Cutoff { get; init; }

    /// <summary>True for small talk (no facts, skill calls or memory writes): a meaning difference is at most minor.</summary>
    public bool SmallTalk { get; init; }

    /// <summary>Lexical similarity old/old′; null without a repeat.</summary>
    public double? NoiseLexical { get; init; }

    /// <summary>Semantic similarity old/old′; null without a repeat or model.</summary>
    public double? NoiseSemantic { get; init; }

    /// <summary>Typed facts stated by old, as "kind value" (<c>date 2026-12-11</c>, <c>amount 15.00 USD</c>).</summary>
    public IReadOnlyList<string> OldFacts { get; init; } = [];

    /// <summary>Facts stated by new.</summary>
    public IReadOnlyList<string> NewFacts { get; init; } = [];

    /// <summary>Word-level diff of the raw replies, old → new.</summary>
    public IReadOnlyList<DiffSegment> Diff { get; init; } = [];
}

/// <summary>Memory overlap scores.</summary>
/// <param name="RetrievedJaccard">Jaccard overlap of retrieved texts.</param>
/// <param name="RetrievedRecall">Share of old's retrieved entries new also retrieved.</param>
public sealed record MemoryDetail(double? RetrievedJaccard, double? RetrievedRecall);

/// <summary>Kind of a diff segment.</summary>
public enum DiffKind
{
    /// <summary>In both.</summary>
    Equal,

    /// <summary>Only in old.</summary>
    Deleted,

    /// <summary>Only in new.</summary>
    Inserted,
}

/// <summary>A run of text in a word diff.</summary>
/// <param name="Kind">Equal, deleted or inserted.</param>
/// <param name="Text">The words.</param>
public sealed record DiffSegment(DiffKind Kind, string Text);
