using System.Text.Json.Serialization;

namespace DualStack.Core.Comparison;

/// <summary>Thresholds and rules for every comparer.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ComparisonConfig
{
    /// <summary>Reply text.</summary>
    public ReplyComparisonConfig Reply { get; init; } = new();

    /// <summary>Skill calls.</summary>
    public SkillComparisonConfig Skills { get; init; } = new();

    /// <summary>Memory retrieved and written.</summary>
    public MemoryComparisonConfig Memory { get; init; } = new();

    /// <summary>Latency.</summary>
    public LatencyComparisonConfig Latency { get; init; } = new();

    /// <summary>Run-level (Diffy-style) aggregation of differences against the noise floor.</summary>
    public AggregationConfig Aggregation { get; init; } = new();
}

/// <summary>Reply comparison.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ReplyComparisonConfig
{
    /// <summary>
    /// Semantic (MiniLM cosine) similarity below which meaning differs; default 0.40. Measured on the sample agent:
    /// paraphrases score 0.47–0.95, replies that lost their content 0.01–0.24.
    /// </summary>
    public double SemanticThreshold { get; init; } = 0.40;

    /// <summary>Lexical similarity below which meaning differs when no semantic model is loaded; default 0.25 (lexical cannot see synonyms, so keep it low).</summary>
    public double LexicalThreshold { get; init; } = 0.25;

    /// <summary>Compare the facts (numbers, amounts, dates, ids) each reply states; default true.</summary>
    public bool CompareFacts { get; init; } = true;

    /// <summary>Apply the built-in normalisers (timestamps, uuids, reference ids, amounts, whitespace); default true.</summary>
    public bool DefaultNormalizers { get; init; } = true;

    /// <summary>Extra regex rules applied after the built-in ones.</summary>
    public IReadOnlyList<NormalizationRule> Normalize { get; init; } = [];

    /// <summary>
    /// Language tag whose date order reads locale-ambiguous numeric dates such as 12/11: month first for <c>en-US</c>
    /// (and the few regions that share its order), day first for <c>en-GB</c>, <c>de-DE</c>, <c>fr</c>…; or explicitly
    /// <c>MDY</c> / <c>DMY</c>. Default <c>en-US</c>.
    /// </summary>
    public string DateLocale { get; init; } = "en-US";

    /// <summary>Mask times of day (<c>11:44</c>, <c>11:44:00 UTC</c>, <c>3:05 pm</c>) like timestamps; default true. False keeps them as facts.</summary>
    public bool MaskTimesOfDay { get; init; } = true;
}

/// <summary>A regex replacement applied to replies before comparing.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record NormalizationRule
{
    /// <summary>Name for reports.</summary>
    public string? Name { get; init; }

    /// <summary>.NET regular expression, matched case-insensitively.</summary>
    public string? Pattern { get; init; }

    /// <summary>Replacement text (may use $1); default <c>&lt;masked&gt;</c>.</summary>
    public string Replacement { get; init; } = "<masked>";
}

/// <summary>How trajectories (ordered skill calls) are aligned.</summary>
public enum TrajectoryMode
{
    /// <summary>Same calls in the same order.</summary>
    Strict,

    /// <summary>Same calls, any order.</summary>
    Unordered,

    /// <summary>New makes no call old did not make (may omit some).</summary>
    Subset,

    /// <summary>New makes every call old made (may add some).</summary>
    Superset,
}

/// <summary>Skill-call comparison.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SkillComparisonConfig
{
    /// <summary>Trajectory alignment; default strict.</summary>
    public TrajectoryMode Mode { get; init; } = TrajectoryMode.Strict;

    /// <summary>Argument paths never compared, as <c>$.path</c> (any skill) or <c>skill:$.path</c>; <c>*</c> matches one segment.</summary>
    public IReadOnlyList<string> IgnoreArguments { get; init; } = [];

    /// <summary>Compare the status (ok/error) of aligned calls; default true.</summary>
    public bool CompareStatus { get; init; } = true;
}

/// <summary>Memory comparison.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record MemoryComparisonConfig
{
    /// <summary>Minimum share of old's retrieved entries that new must also retrieve (recall@k); default 1.0.</summary>
    public double MinRecall { get; init; } = 1.0;

    /// <summary>Compare what each stack wrote; default true.</summary>
    public bool CompareWritten { get; init; } = true;
}

/// <summary>Latency comparison per turn.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record LatencyComparisonConfig
{
    /// <summary>New is slow when above old × this ratio; default 2.0.</summary>
    public double MaxRatio { get; init; } = 2.0;

    /// <summary>…and at least this many milliseconds slower; default 250.</summary>
    public double MinExtraMs { get; init; } = 250;
}

/// <summary>Diffy-style aggregation: a difference key is reported only when it occurs more often than in old-vs-old.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AggregationConfig
{
    /// <summary>(raw − noise) / noise must exceed this; default 0.2 (20 %).</summary>
    public double RelativeThreshold { get; init; } = 0.2;

    /// <summary>(raw − noise) / turns must exceed this; default 0.001 (0.1 %).</summary>
    public double AbsoluteThreshold { get; init; } = 0.001;

    /// <summary>
    /// Latency is reported only when at least this many turns were slow; default 3. One GC pause or cold path is not a
    /// regression, while a slower stack is slow on many turns.
    /// </summary>
    public int MinLatencyTurns { get; init; } = 3;
}
