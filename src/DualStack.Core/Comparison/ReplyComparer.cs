using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Verdicts;

namespace DualStack.Core.Comparison;

/// <summary>
/// Reply text, judged the way DESIGN.md §2b lays out: formatting stripped; generated values (reference codes, times of
/// day, timestamps) masked unless grounded in the turn's inputs; typed facts compared per kind, each under its own key
/// (<c>reply.facts.date</c>, <c>reply.facts.amount</c>, …); the outcome told (<c>reply.polarity</c>); and meaning, with
/// the new reply scored against both old answers. Each key is graded against old-vs-old (and, when measured,
/// new-vs-new) on the same turn and, run-wide, by the verdict engine.
/// </summary>
public sealed class ReplyComparer(ReplyComparisonConfig config, ITextSimilarity? semantic = null) : ITurnComparer
{
    /// <summary>Key of a meaning difference.</summary>
    public const string MeaningKey = "reply.meaning";

    /// <summary>Key of a confirmed-versus-denied outcome.</summary>
    public const string PolarityKey = "reply.polarity";

    private readonly TextNormalizer _normalizer = new(config);
    private readonly FactOptions _options = FactOptions.From(config);

    /// <inheritdoc />
    public Dimension Dimension => Dimension.Reply;

    /// <summary>Severity of a reply difference key: facts and polarity are major (the customer is told something else), meaning minor.</summary>
    public static Severity SeverityOf(string key) => key.StartsWith("reply.facts", StringComparison.Ordinal) || key == PolarityKey ? Severity.Major : Severity.Minor;

    /// <inheritdoc />
    public DimensionResult Compare(TurnReplay turn)
    {
        // Each reply is prepared once, however many pairs it is in; a lane with the same text reuses it.
        var messages = turn.PriorMessages.Append(turn.Turn.Message).ToArray();
        TurnInputs? messagesOnly = null; // the inputs of every lane that called no skill and touched no memory: built once
        var a = Prepare(turn.Old, messages, null, ref messagesOnly);
        var b = Prepare(turn.New, messages, a, ref messagesOnly);
        var a2 = turn.OldRepeat is { Succeeded: true } r ? Prepare(r, messages, a, ref messagesOnly) : null;
        var b2 = turn.NewRepeat is { Succeeded: true } r2 ? Prepare(r2, messages, b, ref messagesOnly) : null;

        var (findings, lexical, sem, best) = Differences(a, b, a2, "new");
        List<Finding> noise = [];
        double? noiseLexical = null;
        double? noiseSem = null;
        if (a2 is not null)
        {
            (noise, noiseLexical, noiseSem, _) = Differences(a, a2, null, "old′");
        }

        if (b2 is not null)
        {
            // The new stack's own variance: a key on which B and B′ disagree is noise, unless B′ shows the same
            // difference from old as B does (then the difference is consistent, and never noise).
            var consistent = Differences(a, b2, a2, "new′").Findings.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
            noise.AddRange(Differences(b, b2, null, "new′").Findings.Where(f => !consistent.Contains(f.Key)));
        }

        var smallTalk = IsSmallTalk(turn, a, b);
        var reason = a.Scanned.Meaning == b.Scanned.Meaning && findings.Count == 0
            ? "identical after normalisation"
            : $"reworded, same meaning ({(sem is { } s ? $"semantic {best:0.00}, " : string.Empty)}lexical {lexical:0.00}), same facts and outcome";
        var graded = Grading.Grade(Dimension.Reply, findings, noise, SeverityOf, reason);
        if (smallTalk && graded.Verdict == Verdict.Regression && graded.Severity > Severity.Minor)
        {
            graded = graded with { Severity = Severity.Minor };
        }

        return graded with
        {
            Reply = new ReplyDetail
            {
                Lexical = lexical,
                Semantic = sem,
                BestSemantic = semantic is null ? null : best,
                NoiseLexical = noiseLexical,
                NoiseSemantic = noiseSem,
                SmallTalk = smallTalk,
                OldFacts = a.Scanned.Facts.Select(f => f.ToString()).ToArray(),
                NewFacts = b.Scanned.Facts.Select(f => f.ToString()).ToArray(),
                // The word diff is for reviewers of differences: a Match skips it (the report computes it on demand),
                // which keeps judging fast on the common path.
                Diff = graded.Verdict == Verdict.Match ? [] : TextDiff.Words(turn.Old.Reply ?? string.Empty, turn.New.Reply ?? string.Empty),
            },
        };
    }

    /// <summary>
    /// Small talk: no facts or outcome on either side, no skill calls and no memory written. A meaning difference there is at
    /// most minor ("Goodbye, have a great day!" → "Enjoy your day - thanks for chatting.").
    /// </summary>
    private static bool IsSmallTalk(TurnReplay turn, PreparedReply a, PreparedReply b) =>
        a.Scanned.Facts.Count == 0 && b.Scanned.Facts.Count == 0
        && a.Denial is null && b.Denial is null && a.Confirmation is null && b.Confirmation is null
        && turn.Old.SkillCalls is not { Count: > 0 } && turn.New.SkillCalls is not { Count: > 0 }
        && turn.Old.Memory?.Written is not { Count: > 0 } && turn.New.Memory?.Written is not { Count: > 0 };

    private PreparedReply Prepare(StackObservation observation, string[] messages, PreparedReply? same, ref TurnInputs? messagesOnly)
    {
        var reply = observation.Reply ?? string.Empty;
        if (same is not null && string.Equals(same.Raw, reply, StringComparison.Ordinal) && Equals(same.Environment, observation.Environment))
        {
            return same with { SkillCalls = observation.SkillCalls };
        }

        var inputs = observation.SkillCalls is not { Count: > 0 } && observation.Memory?.Retrieved is not { Count: > 0 } && observation.Memory?.Written is not { Count: > 0 }
            ? messagesOnly ??= TurnInputs.Build(messages, null, null)
            : TurnInputs.Build(messages, observation.SkillCalls, observation.Memory);
        // Paths under the stack's own roots and its own address are compared as <root>/… and <host>.
        var text = _normalizer.MaskGenerated(ChatFormatting.Strip(EnvironmentCanonicalizer.Canonicalize(reply, observation.Environment)));
        var scanned = FactScanner.Scan(text, inputs, _options);
        return new PreparedReply(reply, scanned, observation.SkillCalls, observation.Environment, inputs);
    }

    private (List<Finding> Findings, double Lexical, double? Semantic, double Best) Differences(PreparedReply x, PreparedReply y, PreparedReply? xAlternative, string other)
    {
        var findings = new List<Finding>();
        if (ReferenceEquals(x.Scanned, y.Scanned))
        {
            // The same text read once (A and A′ alike): nothing can differ.
            return (findings, 1, semantic is null ? null : 1, 1);
        }

        if (config.CompareFacts)
        {
            FactDifferences(x, y, other, findings);
        }

        PolarityDifference(x, y, other, findings);
        if (x.Scanned.Meaning == y.Scanned.Meaning)
        {
            return (findings, 1, semantic is null ? null : 1, 1);
        }

        var lexical = LexicalSimilarity.Instance.Similarity(x.Scanned.Meaning, y.Scanned.Meaning);
        var sem = semantic?.Similarity(x.Scanned.Meaning, y.Scanned.Meaning);
        var measure = sem ?? lexical;
        var best = measure;
        // New is scored against both old answers: a reply as close to A′ as A′ is to A is not a difference in meaning.
        if (xAlternative is not null && !ReferenceEquals(xAlternative, x) && xAlternative.Scanned.Meaning != x.Scanned.Meaning)
        {
            best = Math.Max(best, xAlternative.Scanned.Meaning == y.Scanned.Meaning ? 1 : semantic?.Similarity(xAlternative.Scanned.Meaning, y.Scanned.Meaning) ?? LexicalSimilarity.Instance.Similarity(xAlternative.Scanned.Meaning, y.Scanned.Meaning));
        }

        var (threshold, name) = semantic is not null ? (config.SemanticThreshold, semantic.Name) : (config.LexicalThreshold, "lexical");
        if (best < threshold)
        {
            findings.Add(new Finding(MeaningKey, $"reply meaning differs: {name} similarity {best:0.00} < {threshold:0.00}", x.Scanned.Meaning, y.Scanned.Meaning));
        }

        return (findings, lexical, sem, best);
    }

    private static void FactDifferences(PreparedReply x, PreparedReply y, string other, List<Finding> findings)
    {
        var xf = x.Scanned.Facts;
        var yf = y.Scanned.Facts;
        if (xf.Count == 0 && yf.Count == 0)
        {
            return;
        }

        Dictionary<FactKind, (List<string> Missing, List<string> Extra)>? byKind = null;
        foreach (var fact in xf)
        {
            if (fact.Kind != FactKind.Name && !Contains(yf, fact))
            {
                byKind ??= [];
                Entry(byKind, fact.Kind).Missing.Add(fact.Value);
            }
        }

        foreach (var fact in yf)
        {
            if (fact.Kind != FactKind.Name && !Contains(xf, fact))
            {
                byKind ??= [];
                Entry(byKind, fact.Kind).Extra.Add(fact.Value);
            }
        }

        if (byKind is not null)
        {
            // A grounded id replaced by a similar plain number ("order 4411" → "the number 4412") is a changed id.
            if (byKind.TryGetValue(FactKind.Id, out var ids) && ids.Extra.Count == 0 && byKind.TryGetValue(FactKind.Number, out var numbers))
            {
                var typos = numbers.Extra.Where(n => ids.Missing.Any(id => SimilarId(id, n))).ToArray();
                ids.Extra.AddRange(typos);
                numbers.Extra.RemoveAll(typos.Contains);
                if (numbers.Extra.Count == 0 && numbers.Missing.Count == 0)
                {
                    byKind.Remove(FactKind.Number);
                }
            }

            foreach (var (kind, (missing, extra)) in byKind.OrderBy(k => k.Key))
            {
                // An id the user gave may be left out (agents often do not repeat it); one the stack found (a booking
                // reference, a tracking number) is news the customer needs. Either way, another id in its place is a change.
                if (kind == FactKind.Id && extra.Count == 0)
                {
                    missing.RemoveAll(id => x.Inputs.SaidByUser(id) && !y.Scanned.GeneratedIds.Any(g => SimilarId(id, g)));
                    if (missing.Count == 0)
                    {
                        continue;
                    }
                }

                if (kind == FactKind.Id && extra.Count == 0)
                {
                    extra.AddRange(y.Scanned.GeneratedIds.Where(g => missing.Any(id => SimilarId(id, g))));
                }

                var name = kind.ToString().ToLowerInvariant();
                findings.Add(new Finding(
                    TypedFact.KeyOf(kind),
                    $"reply {name} differs: old states [{string.Join(", ", missing)}], {other} states [{string.Join(", ", extra)}]",
                    string.Join(", ", xf.Where(f => f.Kind == kind).Select(f => f.Value)),
                    string.Join(", ", yf.Where(f => f.Kind == kind).Select(f => f.Value))));
            }
        }

        // An id grounded nowhere that has the letters and layout of an id the old reply states ("ORD-967117" next to
        // the user's "ORD-917157"), or that names a record ("reservation VC-12636-LM") old does not: another customer's.
        var foreign = y.Scanned.GeneratedIds.Count == 0 ? [] : y.Scanned.GeneratedIds
            .Where(g => !x.Scanned.GeneratedIds.Contains(g, StringComparer.OrdinalIgnoreCase)
                && (y.Scanned.RecordIds.Contains(g) || xf.Any(f => f.Kind == FactKind.Id && f.Value.Any(char.IsLetter) && SimilarId(f.Value, g))))
            .Where(g => !findings.Any(f => f.Key == TypedFact.KeyOf(FactKind.Id) && f.Description.Contains(g, StringComparison.OrdinalIgnoreCase)))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (foreign.Length > 0)
        {
            findings.RemoveAll(f => f.Key == TypedFact.KeyOf(FactKind.Id));
            findings.Add(new Finding(
                TypedFact.KeyOf(FactKind.Id),
                $"reply id differs: {other} states [{string.Join(", ", foreign)}], an id of the same kind the inputs do not hold",
                string.Join(", ", xf.Where(f => f.Kind == FactKind.Id).Select(f => f.Value)),
                string.Join(", ", foreign)));
        }

        // A grounded name (from memory, a skill result or the user) replaced by a name grounded nowhere: the wrong person.
        if (!xf.Any(f => f.Kind == FactKind.Name))
        {
            return;
        }

        var xNames = xf.Where(f => f.Kind == FactKind.Name).Select(f => f.Value).Where(n => !yf.Contains(new TypedFact(FactKind.Name, n))).ToArray();
        if (xNames.Length > 0)
        {
            var replacement = y.Scanned.NovelNames.Where(n => !x.Scanned.NovelNames.Contains(n)).Distinct().ToArray();
            if (replacement.Length > 0)
            {
                findings.Add(new Finding(
                    TypedFact.KeyOf(FactKind.Name),
                    $"reply name differs: old says [{string.Join(", ", xNames)}], {other} says [{string.Join(", ", replacement)}]",
                    string.Join(", ", xNames),
                    string.Join(", ", replacement)));
            }
        }
    }

    private static (List<string> Missing, List<string> Extra) Entry(Dictionary<FactKind, (List<string>, List<string>)> byKind, FactKind kind)
    {
        if (!byKind.TryGetValue(kind, out var entry))
        {
            entry = ([], []);
            byKind[kind] = entry;
        }

        return entry;
    }

    /// <summary>Whether <paramref name="facts"/> states <paramref name="fact"/>: a date without a year matches the same day with one; numbers and quantities match by value.</summary>
    private static bool Contains(IReadOnlyList<TypedFact> facts, TypedFact fact)
    {
        foreach (var candidate in facts)
        {
            if (candidate == fact)
            {
                return true;
            }

            if (candidate.Kind == FactKind.Date && fact.Kind == FactKind.Date
                && (candidate.Value.Length == 5 || fact.Value.Length == 5)
                && candidate.Value.AsSpan()[^5..].SequenceEqual(fact.Value.AsSpan()[^5..]))
            {
                return true;
            }

            if (candidate.Kind is FactKind.Number or FactKind.Quantity or FactKind.Id && fact.Kind is FactKind.Number or FactKind.Quantity or FactKind.Id
                && candidate.Value == fact.Value)
            {
                // "order 9999" (an id) and "the number 9999" (a number) state the same value.
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Another id of the same kind: a typo (length within one, at most two characters changed), or, for ids with
    /// letters, the same letters and layout with other digits (<c>W007406</c> → <c>W304796</c>, <c>ACC-582350</c> →
    /// <c>ACC-853205</c>). A generated reference (<c>CS-W4BAWN</c>, <c>REF-48213</c>) has other letters or another layout.
    /// </summary>
    private static bool SimilarId(string id, string candidate)
    {
        var a = id.ToUpperInvariant();
        var b = candidate.ToUpperInvariant();
        if (Math.Abs(a.Length - b.Length) > 1 || a == b)
        {
            return false;
        }

        if (a.Length == b.Length && a.Any(char.IsLetter) && SameLettersAndLayout(a, b))
        {
            return true;
        }

        // Levenshtein distance, bounded: ids are short.
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length] <= Math.Max(2, a.Length / 3);
    }

    private static bool SameLettersAndLayout(string a, string b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (char.IsAsciiDigit(a[i]) ? !char.IsAsciiDigit(b[i]) : a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    private static void PolarityDifference(PreparedReply x, PreparedReply y, string other, List<Finding> findings)
    {
        // Only a denial on one side can differ: confirmation cues are read only when old denies.
        var deniedX = x.Denial;
        var deniedY = y.Denial;
        if ((deniedX is null) == (deniedY is null))
        {
            return;
        }

        var (px, cueX) = deniedX is not null ? (OutcomePolarity.Denied, deniedX) : x.Confirmation is { } c ? (OutcomePolarity.Confirmed, c) : (OutcomePolarity.None, (string?)null);
        var (py, cueY) = deniedY is not null ? (OutcomePolarity.Denied, deniedY) : y.Confirmation is { } d ? (OutcomePolarity.Confirmed, d) : (OutcomePolarity.None, (string?)null);
        if (py == OutcomePolarity.None)
        {
            return;
        }

        // Old confirms or states no failure, new denies (or old denies, new confirms). A reply that denies what its own
        // ok skill call did is the strongest evidence, and the finding says so.
        var okCalls = y.SkillCalls is { Count: > 0 } calls && calls.All(c => string.Equals(c.Status, "ok", StringComparison.OrdinalIgnoreCase)) ? y.SkillCalls : null;

        var evidence = py == OutcomePolarity.Denied && okCalls is not null ? $" although its {string.Join(", ", okCalls.Select(c => c.Name).Distinct())} call returned ok" : string.Empty;
        var said = px == OutcomePolarity.None ? "old states no failure" : $"old {(px == OutcomePolarity.Confirmed ? "confirms" : "denies")} ('{cueX}')";
        findings.Add(new Finding(
            PolarityKey,
            $"reply outcome differs: {said}, {other} {(py == OutcomePolarity.Confirmed ? "confirms" : "denies")} ('{cueY}'){evidence}",
            px.ToString().ToLowerInvariant(),
            py.ToString().ToLowerInvariant()));
    }

    /// <summary>A reply as compared: the raw text, what the scanner read from it, and the skill calls of its lane.</summary>
    private sealed record PreparedReply(string Raw, ScannedReply Scanned, IReadOnlyList<SkillCall>? SkillCalls, StackEnvironment? Environment, TurnInputs Inputs)
    {
        // Read on first use (one comparer call, one thread): most pairs never need the confirmation cue.
        private (bool Read, string? Cue) _denial;
        private (bool Read, string? Cue) _confirmation;

        public string? Denial => _denial.Read ? _denial.Cue : (_denial = (true, Comparison.Polarity.Denial(Scanned.Meaning))).Cue;

        public string? Confirmation => _confirmation.Read ? _confirmation.Cue : (_confirmation = (true, Comparison.Polarity.Confirmation(Scanned.Meaning))).Cue;
    }
}
