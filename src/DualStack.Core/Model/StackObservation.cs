using System.Text.Json.Serialization;

namespace DualStack.Core.Model;

/// <summary>Which replay lane an observation belongs to.</summary>
public enum Lane
{
    /// <summary>The old stack, first run (A).</summary>
    Old,

    /// <summary>The old stack asked again on a separate conversation (A′): the noise floor.</summary>
    OldRepeat,

    /// <summary>The new stack (B).</summary>
    New,

    /// <summary>The new stack asked again on a separate conversation (B′): the new stack's own variance, when <c>replay.repeatNew</c> is on.</summary>
    NewRepeat,
}

/// <summary>Why a stack produced no usable answer.</summary>
public enum ObservationErrorKind
{
    /// <summary>The stack answered with a 4xx/5xx status.</summary>
    HttpStatus,

    /// <summary>No answer within the per-turn timeout.</summary>
    Timeout,

    /// <summary>The connection was refused, reset or the name did not resolve.</summary>
    Connection,

    /// <summary>The stack answered 2xx with a body that is not the contract (not JSON, missing fields).</summary>
    InvalidResponse,

    /// <summary>The run was cancelled before the stack answered.</summary>
    Cancelled,
}

/// <summary>An error observed instead of an answer.</summary>
public sealed record ObservationError(ObservationErrorKind Kind, string Message);

/// <summary>What one stack did for one turn: a result or an error, never an exception.</summary>
public sealed record StackObservation
{
    /// <summary>Stack name (<c>old</c>, <c>new</c> or a configured name).</summary>
    public required string Stack { get; init; }

    /// <summary>Conversation id the stack saw (each lane gets its own).</summary>
    public required string ConversationId { get; init; }

    /// <summary>Zero-based turn index.</summary>
    public int TurnIndex { get; init; }

    /// <summary>HTTP status; null when no response arrived.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>Wall-clock time from request to the end of the response body, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Reply text; null on error.</summary>
    public string? Reply { get; init; }

    /// <summary>Skill calls; null when the stack does not expose them (not observed).</summary>
    public IReadOnlyList<SkillCall>? SkillCalls { get; init; }

    /// <summary>Memory activity; null when the stack does not expose it (not observed).</summary>
    public MemoryObservation? Memory { get; init; }

    /// <summary>The stack's own id for this turn (OpenAI-compatible: the completion <c>id</c>; OpenClaw: the run id); null when none.</summary>
    public string? RunId { get; init; }

    /// <summary>Why a dimension is not observed, by dimension name (<c>skills</c>, <c>memory</c>); null when the adapter gives no reason.</summary>
    public IReadOnlyDictionary<string, string>? NotObserved { get; init; }

    /// <summary>Error instead of an answer; null on success.</summary>
    public ObservationError? Error { get; init; }

    /// <summary>
    /// Where the stack lives (its path roots and base address), set by every adapter, so comparers can canonicalise
    /// each side with its own environment (<c>Comparison.EnvironmentCanonicalizer</c>), also when a results file or a
    /// shadow store is judged again offline; null when unknown (e.g. captured primary traffic).
    /// </summary>
    public StackEnvironment? Environment { get; init; }

    /// <summary>The response body as received (truncated to 64 KB), for reviewers.</summary>
    public string? RawResponse { get; init; }

    /// <summary>True when the stack produced a usable answer.</summary>
    [JsonIgnore]
    public bool Succeeded => Error is null;
}
