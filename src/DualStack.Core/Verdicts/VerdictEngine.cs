using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;

namespace DualStack.Core.Verdicts;

/// <summary>
/// Judges replayed conversations: every comparer per turn against the old-vs-old noise floor, then a run-level
/// Diffy-style pass that reports a difference key only when it occurs more often old-vs-new than old-vs-old.
/// </summary>
public sealed class VerdictEngine
{
    private readonly ComparisonConfig _config;
    private readonly IReadOnlyList<ITurnComparer> _comparers;

    /// <summary>Creates the engine; <paramref name="semantic"/> adds meaning similarity to the reply comparer.</summary>
    public VerdictEngine(ComparisonConfig config, ITextSimilarity? semantic = null)
    {
        _config = config;
        var normalizer = new TextNormalizer(config.Reply);
        _comparers =
        [
            new ReplyComparer(config.Reply, semantic),
            new SkillComparer(config.Skills),
            new MemoryComparer(config.Memory, normalizer),
            new LatencyComparer(config.Latency),
        ];
        Similarity = semantic?.Name ?? LexicalSimilarity.Instance.Name;
    }

    /// <summary>Name of the meaning measure in use.</summary>
    public string Similarity { get; }

    /// <summary>Judges one conversation on its own (before run-level aggregation).</summary>
    public ConversationResult JudgeConversation(ConversationReplay replay, IReadOnlyDictionary<Lane, string> laneIds)
    {
        var turns = replay.Turns.Select(JudgeTurn).ToArray();
        return Summarize(replay.Conversation, laneIds, turns, replay.Completed);
    }

    /// <summary>
    /// A conversation result from turns judged earlier, one at a time, by <see cref="JudgeTurn"/> (the shadow judge
    /// stores each turn's judgement as it goes): the same summary <see cref="JudgeConversation"/> gives.
    /// </summary>
    public static ConversationResult AssembleConversation(Conversation conversation, IReadOnlyDictionary<Lane, string> laneIds, IReadOnlyList<TurnResult> turns) =>
        Summarize(conversation, laneIds, turns, completed: true);

    /// <summary>
    /// The one way a run result is built, whatever judged the conversations (a live run, the distributed workers, the
    /// shadow store, offline triples): the conversations under <paramref name="header"/>, then <see cref="Finish"/>.
    /// </summary>
    public RunResult BuildRun(RunHeader header, IReadOnlyList<ConversationResult> conversations)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(conversations);
        return Finish(new RunResult
        {
            RunId = header.RunId,
            Scenario = header.Scenario,
            StartedAt = header.StartedAt,
            FinishedAt = header.FinishedAt,
            Stacks = header.Stacks,
            Seed = header.Seed,
            Cancelled = header.Cancelled,
            Summary = Summarize(conversations),
            Conversations = conversations,
        });
    }

    /// <summary>Applies run-level aggregation and builds the run result.</summary>
    public RunResult Finish(RunResult draft)
    {
        draft = CalibrateMeaning(draft);
        var keys = Aggregate(draft.Conversations);
        var unreported = keys.Where(k => !k.Reported).Select(k => k.Key).ToHashSet(StringComparer.Ordinal);
        var conversations = draft.Conversations.Select(c =>
        {
            var turns = c.Turns.Select(t => t.Dimensions.Any(d => d.Verdict == Verdict.Regression && d.Findings.Any(f => unreported.Contains(f.Key)))
                ? Rejudge(t, t.Dimensions.Select(d => Grading.Regrade(d, unreported)).ToArray())
                : t).ToArray();
            return Summarize(c.Conversation, c.LaneIds, turns, c.Completed);
        }).ToArray();
        return draft with { Conversations = conversations, Keys = keys, Summary = Summarize(conversations), Comparison = _config, Similarity = Similarity };
    }

    /// <summary>Old-vs-old pairs that differ needed before the run calibrates its meaning cut-off.</summary>
    public const int CalibrationMinimumPairs = 20;

    /// <summary>
    /// Meaning judged against the run's own variance: when the old stack varies (at least
    /// <see cref="CalibrationMinimumPairs"/> turns where A and A′ differ), the cut-off becomes the 5th percentile of
    /// the run's A-vs-A′ semantic similarities, if that is lower than <c>semanticThreshold</c>. A new reply as close to
    /// the old ones as the old stack's own rewordings are to each other is not a meaning difference. The cut-off never
    /// rises above the fixed threshold (a terse but steady old stack must not make a reworded new one fail), and with a
    /// deterministic old stack the fixed threshold applies.
    /// </summary>
    private RunResult CalibrateMeaning(RunResult draft)
    {
        var pairs = draft.Conversations.SelectMany(c => c.Turns).SelectMany(t => t.Dimensions)
            .Where(d => d.Dimension == Dimension.Reply && d.Reply is { NoiseSemantic: < 1 })
            .Select(d => d.Reply!.NoiseSemantic!.Value)
            .Order()
            .ToArray();
        if (pairs.Length < CalibrationMinimumPairs)
        {
            return draft;
        }

        var cutoff = Math.Min(_config.Reply.SemanticThreshold, pairs[(int)Math.Floor(0.05 * (pairs.Length - 1))]);
        var conversations = draft.Conversations.Select(c =>
        {
            var turns = c.Turns.Select(t =>
            {
                var dimensions = t.Dimensions.Select(d =>
                {
                    if (d.Dimension != Dimension.Reply || d.Reply is not { } detail)
                    {
                        return d;
                    }

                    if (detail.BestSemantic is not { } best || best < cutoff || !d.Findings.Any(f => f.Key == ReplyComparer.MeaningKey))
                    {
                        return d with { Reply = detail with { Cutoff = cutoff } };
                    }

                    var findings = d.Findings.Where(f => f.Key != ReplyComparer.MeaningKey).ToArray();
                    var reason = $"reworded within the old stack's own variance (semantic {best:0.00} ≥ calibrated cut-off {cutoff:0.00})";
                    var graded = Grading.Grade(Dimension.Reply, findings, d.NoiseFindings, ReplyComparer.SeverityOf, reason);
                    if (detail.SmallTalk && graded.Verdict == Verdict.Regression && graded.Severity > Severity.Minor)
                    {
                        graded = graded with { Severity = Severity.Minor };
                    }

                    return graded with { Reply = detail with { Cutoff = cutoff } };
                }).ToArray();
                return dimensions.SequenceEqual(t.Dimensions) ? t : Rejudge(t, dimensions);
            }).ToArray();
            return Summarize(c.Conversation, c.LaneIds, turns, c.Completed);
        }).ToArray();
        return draft with { Conversations = conversations };
    }

    /// <summary>Judges one turn.</summary>
    public TurnResult JudgeTurn(TurnReplay turn)
    {
        var dimensions = new List<DimensionResult>();
        var oldFailed = !turn.Old.Succeeded;
        var newFailed = !turn.New.Succeeded;
        if (oldFailed || newFailed)
        {
            dimensions.Add(JudgeErrors(turn));
        }
        else
        {
            foreach (var comparer in _comparers)
            {
                dimensions.Add(comparer.Compare(turn));
            }

            dimensions.Add(new DimensionResult { Dimension = Dimension.Errors, Verdict = Verdict.Match, Reason = "both stacks answered" });
        }

        if (turn.Turn.Expect is { } expect && turn.New.Succeeded)
        {
            dimensions.Add(CheckExpectations(expect, turn.New));
        }

        return Rejudge(new TurnResult { Index = turn.Index, Message = turn.Turn.Message, Old = turn.Old, OldRepeat = turn.OldRepeat, New = turn.New, NewRepeat = turn.NewRepeat, Reason = string.Empty }, dimensions);
    }

    private static TurnResult Rejudge(TurnResult turn, IReadOnlyList<DimensionResult> dimensions)
    {
        var worst = dimensions.Count == 0 ? Verdict.Match : dimensions.Max(d => d.Verdict);
        var severity = dimensions.Count == 0 ? Severity.None : dimensions.Max(d => d.Severity);
        var deciding = dimensions.Where(d => d.Verdict == worst).OrderByDescending(d => d.Severity).FirstOrDefault();
        var reason = deciding is null || worst == Verdict.Match
            ? "all dimensions match"
            : $"{deciding.Dimension.ToString().ToLowerInvariant()}: {deciding.Reason}";
        return turn with { Dimensions = dimensions, Verdict = worst, Severity = worst == Verdict.Regression ? severity : Severity.None, Reason = reason };
    }

    private static DimensionResult JudgeErrors(TurnReplay turn)
    {
        if (!turn.Old.Succeeded)
        {
            return new DimensionResult
            {
                Dimension = Dimension.Errors,
                Verdict = Verdict.Error,
                Reason = $"old stack failed ({turn.Old.Error!.Kind}: {turn.Old.Error.Message}); nothing to compare against",
            };
        }

        var error = turn.New.Error!;
        var noise = turn.OldRepeat is { Error: { } e2 } ? [new Finding("errors", $"old′ failed too: {e2.Message}")] : Array.Empty<Finding>();
        if (error.Kind is ObservationErrorKind.Connection or ObservationErrorKind.Timeout or ObservationErrorKind.Cancelled)
        {
            return new DimensionResult
            {
                Dimension = Dimension.Errors,
                Verdict = Verdict.Error,
                Reason = $"new stack unreachable ({error.Kind}: {error.Message})",
                NoiseFindings = noise,
            };
        }

        // The new stack answered, but with an error where the old one succeeded.
        var finding = new Finding("errors", $"new stack failed where old answered: {error.Message}", $"HTTP {turn.Old.HttpStatus}", error.Message);
        return Grading.Grade(Dimension.Errors, [finding], noise, _ => Severity.Critical, string.Empty);
    }

    private static DimensionResult CheckExpectations(TurnExpectation expect, StackObservation observed)
    {
        var failures = new List<Finding>();
        var severity = Severity.Major;
        var called = observed.SkillCalls?.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var skill in expect.Skills)
        {
            if (called is null)
            {
                failures.Add(new Finding("expect.skills", $"expected skill '{skill}' but skill calls are not observed"));
            }
            else if (!called.Contains(skill))
            {
                failures.Add(new Finding("expect.skills", $"expected skill '{skill}' to be called; called: {(called.Count == 0 ? "none" : string.Join(", ", called))}"));
                severity = Severity.Critical;
            }
        }

        foreach (var skill in expect.NoSkills)
        {
            if (called?.Contains(skill) == true)
            {
                failures.Add(new Finding("expect.noSkills", $"skill '{skill}' must not be called but was"));
                severity = Severity.Critical;
            }
        }

        foreach (var text in expect.ReplyContains)
        {
            if (observed.Reply?.Contains(text, StringComparison.OrdinalIgnoreCase) != true)
            {
                failures.Add(new Finding("expect.replyContains", $"reply does not contain '{text}'"));
            }
        }

        if (expect.WritesMemory == true && observed.Memory?.Written is not { Count: > 0 })
        {
            failures.Add(new Finding("expect.writesMemory", observed.Memory?.Written is null ? "expected a memory write but writes are not observed" : "expected a memory write; none written"));
        }

        return failures.Count == 0
            ? new DimensionResult { Dimension = Dimension.Expectations, Verdict = Verdict.Match, Reason = "all expectations hold" }
            : new DimensionResult
            {
                Dimension = Dimension.Expectations,
                Verdict = Verdict.Regression,
                Severity = severity,
                Reason = string.Join("; ", failures.Select(f => f.Description)),
                Findings = failures,
            };
    }

    private List<KeyStatistic> Aggregate(IReadOnlyList<ConversationResult> conversations)
    {
        var comparedTurns = conversations.Sum(c => c.Turns.Count);
        var raw = new Dictionary<string, int>(StringComparer.Ordinal);
        var noise = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var dimension in conversations.SelectMany(c => c.Turns).SelectMany(t => t.Dimensions))
        {
            if (dimension.Dimension == Dimension.Expectations)
            {
                continue; // expectations are absolute, not relative to the old stack
            }

            foreach (var key in dimension.Findings.Select(f => f.Key).Distinct())
            {
                raw[key] = raw.GetValueOrDefault(key) + 1;
            }

            foreach (var key in dimension.NoiseFindings.Select(f => f.Key).Distinct())
            {
                noise[key] = noise.GetValueOrDefault(key) + 1;
            }
        }

        var agg = _config.Aggregation;
        return raw.Keys.Union(noise.Keys).Order(StringComparer.Ordinal).Select(key =>
        {
            var r = raw.GetValueOrDefault(key);
            var n = noise.GetValueOrDefault(key);
            var excess = r - n;
            var reported = excess > 0
                && (double)excess / Math.Max(1, comparedTurns) > agg.AbsoluteThreshold
                && (n == 0 || (double)excess / n > agg.RelativeThreshold)
                && (key != "latency" || r >= agg.MinLatencyTurns);
            return new KeyStatistic(key, comparedTurns, r, n, reported);
        }).ToList();
    }

    private static ConversationResult Summarize(Conversation conversation, IReadOnlyDictionary<Lane, string> laneIds, IReadOnlyList<TurnResult> turns, bool completed)
    {
        var verdict = turns.Count == 0 ? Verdict.Error : turns.Max(t => t.Verdict);
        if (!completed && verdict < Verdict.Error)
        {
            verdict = Verdict.Error;
        }

        var severity = verdict == Verdict.Regression ? turns.Max(t => t.Severity) : Severity.None;
        var deciding = turns.Where(t => t.Verdict == verdict).OrderByDescending(t => t.Severity).FirstOrDefault();
        var reason = verdict switch
        {
            Verdict.Match => $"all {turns.Count} turns match",
            _ when deciding is not null => $"turn {deciding.Index + 1}: {deciding.Reason}",
            _ when !completed => $"run stopped after {turns.Count} of {conversation.Turns.Count} turns",
            _ => "no turns completed",
        };
        if (!completed && deciding is not null)
        {
            reason += $" (run stopped after {turns.Count} of {conversation.Turns.Count} turns)";
        }

        return new ConversationResult { Conversation = conversation, LaneIds = laneIds, Turns = turns, Verdict = verdict, Severity = severity, Reason = reason, Completed = completed };
    }

    /// <summary>Counts for a set of conversation results.</summary>
    public static RunSummary Summarize(IReadOnlyList<ConversationResult> conversations) => new()
    {
        Conversations = conversations.Count,
        Turns = conversations.Sum(c => c.Turns.Count),
        ByVerdict = Enum.GetValues<Verdict>().ToDictionary(v => v, v => conversations.Count(c => c.Verdict == v)),
        ByDimension = Enum.GetValues<Dimension>().ToDictionary(
            d => d,
            d => (IReadOnlyDictionary<Verdict, int>)Enum.GetValues<Verdict>().ToDictionary(v => v, v => conversations.SelectMany(c => c.Turns).Count(t => t.Dimensions.Any(x => x.Dimension == d && x.Verdict == v)))),
        RegressionsBySeverity = Enum.GetValues<Severity>().Where(s => s != Severity.None).ToDictionary(s => s, s => conversations.Count(c => c.Verdict == Verdict.Regression && c.Severity == s)),
    };
}
