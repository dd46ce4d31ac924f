using DualStack.Core.Replay;
using DualStack.Core.Verdicts;

namespace DualStack.Core.Comparison;

/// <summary>Reply text: facts stated (numbers, amounts, dates, ids) and meaning (semantic or lexical similarity) against old-vs-old.</summary>
public sealed class ReplyComparer(ReplyComparisonConfig config, ITextSimilarity? semantic = null) : ITurnComparer
{
    private readonly TextNormalizer _normalizer = new(config);

    /// <inheritdoc />
    public Dimension Dimension => Dimension.Reply;

    /// <inheritdoc />
    public DimensionResult Compare(TurnReplay turn)
    {
        // Each reply is normalised, stripped to its meaning and scanned for facts once, however many pairs it is in.
        var a = Prepare(turn.Old.Reply);
        var b = string.Equals(turn.New.Reply, turn.Old.Reply, StringComparison.Ordinal) ? a : Prepare(turn.New.Reply);
        var a2 = turn.OldRepeat is { Succeeded: true, Reply: { } r } ? (string.Equals(r, turn.Old.Reply, StringComparison.Ordinal) ? a : Prepare(r)) : null;

        var (findings, lexical, sem) = Differences(a, b, "new");
        List<Finding> noise = [];
        double? noiseLexical = null;
        double? noiseSem = null;
        if (a2 is not null)
        {
            (noise, var lex2, noiseSem) = Differences(a, a2, "old′");
            noiseLexical = lex2;
        }

        var reason = a.Normalized == b.Normalized
            ? "identical after normalisation"
            : $"reworded, same meaning ({(sem is { } s ? $"semantic {s:0.00}, " : string.Empty)}lexical {lexical:0.00}) and same facts";
        var graded = Grading.Grade(Dimension.Reply, findings, noise, key => key == "reply.facts" ? Severity.Major : Severity.Minor, reason);
        return graded with
        {
            Reply = new ReplyDetail
            {
                Lexical = lexical,
                Semantic = sem,
                NoiseLexical = noiseLexical,
                NoiseSemantic = noiseSem,
                OldFacts = a.Facts,
                NewFacts = b.Facts,
                // The word diff is for reviewers of differences: a Match skips it (the report computes it on demand),
                // which keeps judging fast on the common path.
                Diff = graded.Verdict == Verdict.Match ? [] : TextDiff.Words(turn.Old.Reply ?? string.Empty, turn.New.Reply ?? string.Empty),
            },
        };
    }

    private PreparedReply Prepare(string? reply)
    {
        var normalized = _normalizer.Normalize(reply ?? string.Empty);
        return new PreparedReply(normalized, new Lazy<string>(() => TextNormalizer.MeaningText(normalized), LazyThreadSafetyMode.None), TextNormalizer.Facts(normalized));
    }

    private (List<Finding> Findings, double Lexical, double? Semantic) Differences(PreparedReply a, PreparedReply b, string other)
    {
        var findings = new List<Finding>();
        if (a.Normalized == b.Normalized)
        {
            return (findings, 1, semantic is null ? null : 1);
        }

        var meaningA = a.Meaning.Value;
        var meaningB = b.Meaning.Value;
        var lexical = LexicalSimilarity.Instance.Similarity(meaningA, meaningB);
        var sem = semantic?.Similarity(meaningA, meaningB);
        if (config.CompareFacts)
        {
            var missing = a.Facts.Except(b.Facts).ToArray();
            var extra = b.Facts.Except(a.Facts).ToArray();
            if (missing.Length > 0 || extra.Length > 0)
            {
                findings.Add(new Finding(
                    "reply.facts",
                    $"reply facts differ: old states [{string.Join(", ", missing)}], {other} states [{string.Join(", ", extra)}]",
                    string.Join(", ", a.Facts),
                    string.Join(", ", b.Facts)));
            }
        }

        var (measure, threshold, name) = sem is { } s ? (s, config.SemanticThreshold, semantic!.Name) : (lexical, config.LexicalThreshold, "lexical");
        if (measure < threshold)
        {
            findings.Add(new Finding("reply.meaning", $"reply meaning differs: {name} similarity {measure:0.00} < {threshold:0.00}", a.Normalized, b.Normalized));
        }

        return (findings, lexical, sem);
    }

    /// <summary>A reply as compared: normalised text, its meaning text (computed when first needed) and its facts.</summary>
    private sealed record PreparedReply(string Normalized, Lazy<string> Meaning, IReadOnlyList<string> Facts);
}
