using System.Text.Json.Serialization;
using DualStack.Core.Comparison;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Scenarios;

/// <summary>A scenario file as written on disk (see scenarios/scenario.schema.json). Every field is optional here; the validator says what is missing.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ScenarioFile
{
    /// <summary>JSON schema reference; ignored.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; init; }

    /// <summary>Scenario name used in reports; default: the file name.</summary>
    public string? Name { get; init; }

    /// <summary>What the scenario checks, for humans.</summary>
    public string? Description { get; init; }

    /// <summary>The stacks; empty URLs mean "start the embedded sample stacks" where the host supports it.</summary>
    public StacksConfig? Stacks { get; init; }

    /// <summary>Replay settings.</summary>
    public ReplayConfig? Replay { get; init; }

    /// <summary>Synthetic conversation mix; none by default.</summary>
    public SyntheticConfig? Synthetic { get; init; }

    /// <summary>Comparison thresholds and rules.</summary>
    public ComparisonConfig? Comparison { get; init; }

    /// <summary>Other scenario files (relative to this one) whose conversations are added.</summary>
    public IReadOnlyList<string>? Include { get; init; }

    /// <summary>Scripted conversations.</summary>
    public IReadOnlyList<ConversationConfig>? Conversations { get; init; }
}

/// <summary>The old and the new stack.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record StacksConfig
{
    /// <summary>The stack in production today (A).</summary>
    public StackConfig? Old { get; init; }

    /// <summary>The stack being migrated to (B).</summary>
    public StackConfig? New { get; init; }
}

/// <summary>How conversations are replayed.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ReplayConfig
{
    /// <summary>Conversations in flight at once; default 8.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Upper bound on turns started per second across all stacks' lanes; 0 (default) = unlimited.</summary>
    public double TurnsPerSecond { get; init; }

    /// <summary>Per-turn timeout in seconds; default 30.</summary>
    public double TurnTimeoutSeconds { get; init; } = 30;

    /// <summary>Ask the old stack twice (A and A′) to measure its own variance; default true.</summary>
    public bool RepeatOld { get; init; } = true;

    /// <summary>
    /// Ask the new stack twice as well (B and B′) to measure its own variance; default false (one more call per turn).
    /// A difference B shows against both old runs while B′ agrees with B is never noise.
    /// </summary>
    public bool RepeatNew { get; init; }

    /// <summary>Send one "hello" turn to each stack (on a throwaway conversation) before measuring, so cold starts do not read as latency regressions; default true.</summary>
    public bool Warmup { get; init; } = true;
}

/// <summary>Bogus-generated conversations added to the run.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SyntheticConfig
{
    /// <summary>The intents synthetic conversations can have, in a stable order: the generator's list and the loader's check.</summary>
    public static IReadOnlyList<string> KnownIntents { get; } = ["order_status", "refund", "address_change", "product_question", "small_talk", "memory"];

    /// <summary>How many conversations; default 0.</summary>
    public int Count { get; init; }

    /// <summary>Seed; the same seed gives the same conversations. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Relative weights per intent (order_status, refund, address_change, product_question, small_talk, memory); default all 1.</summary>
    public IReadOnlyDictionary<string, double>? Intents { get; init; }

    /// <summary>Share of conversations that state a fact early and ask for it later; default 0.3.</summary>
    public double MemoryProbability { get; init; } = 0.3;

    /// <summary>Turns per conversation, lower bound; default 2.</summary>
    public int MinTurns { get; init; } = 2;

    /// <summary>Turns per conversation, upper bound; default 5.</summary>
    public int MaxTurns { get; init; } = 5;
}

/// <summary>A scripted conversation as written in a scenario file.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ConversationConfig
{
    /// <summary>Unique id within the run.</summary>
    public string? Id { get; init; }

    /// <summary>The user; default <c>u-&lt;id&gt;</c>.</summary>
    public string? UserId { get; init; }

    /// <summary>Channel; default <c>web</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>Tags for filtering.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The turns.</summary>
    public IReadOnlyList<TurnConfig>? Turns { get; init; }
}

/// <summary>A scripted turn.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record TurnConfig
{
    /// <summary>What the user says.</summary>
    public string? Message { get; init; }

    /// <summary>Metadata forwarded to the stack.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Expectations on the new stack's answer.</summary>
    public TurnExpectation? Expect { get; init; }
}

/// <summary>A scenario after loading and validation: everything resolved and defaulted.</summary>
public sealed record Scenario
{
    /// <summary>Name for reports.</summary>
    public required string Name { get; init; }

    /// <summary>The file it came from.</summary>
    public required string SourceFile { get; init; }

    /// <summary>Old stack; URL may be empty.</summary>
    public StackConfig Old { get; init; } = new();

    /// <summary>New stack; URL may be empty.</summary>
    public StackConfig New { get; init; } = new();

    /// <summary>Replay settings.</summary>
    public ReplayConfig Replay { get; init; } = new();

    /// <summary>Synthetic mix; Count 0 = none.</summary>
    public SyntheticConfig Synthetic { get; init; } = new();

    /// <summary>Comparison settings.</summary>
    public ComparisonConfig Comparison { get; init; } = new();

    /// <summary>Scripted conversations from the file and its includes.</summary>
    public IReadOnlyList<Conversation> Conversations { get; init; } = [];
}
