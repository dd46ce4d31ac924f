using System.Globalization;
using System.Text.Json;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Verdicts;

namespace DualStack.Core.Comparison;

/// <summary>Compares one dimension of a turn on which old and new both answered.</summary>
internal interface ITurnComparer
{
    /// <summary>The dimension compared.</summary>
    Dimension Dimension { get; }

    /// <summary>Compares old vs new and old vs old′; never throws for any observation content.</summary>
    DimensionResult Compare(TurnReplay turn);
}

/// <summary>Grades findings against the noise floor: a finding whose key also occurs old-vs-old is noise.</summary>
internal static class Grading
{
    /// <summary>Builds the result: Regression when any finding's key is not in the noise (or <paramref name="unreported"/>), Noise when all are, Match when none.</summary>
    public static DimensionResult Grade(Dimension dimension, IReadOnlyList<Finding> findings, IReadOnlyList<Finding> noise, Func<string, Severity> severityOf, string matchReason, IReadOnlySet<string>? unreported = null)
    {
        var noiseKeys = noise.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var real = findings.Where(f => !noiseKeys.Contains(f.Key) && unreported?.Contains(f.Key) != true).ToArray();
        if (real.Length > 0)
        {
            var worst = real.Max(f => severityOf(f.Key));
            return new DimensionResult
            {
                Dimension = dimension,
                Verdict = Verdict.Regression,
                Severity = worst,
                Reason = string.Join("; ", real.Select(f => f.Description)),
                Findings = findings,
                NoiseFindings = noise,
            };
        }

        if (findings.Count > 0)
        {
            var why = findings.Any(f => noiseKeys.Contains(f.Key))
                ? "old differs from itself the same way"
                : "this difference occurs no more often than old-vs-old across the run";
            return new DimensionResult
            {
                Dimension = dimension,
                Verdict = Verdict.Noise,
                Reason = $"{string.Join("; ", findings.Select(f => f.Description))} — noise: {why}",
                Findings = findings,
                NoiseFindings = noise,
            };
        }

        return new DimensionResult { Dimension = dimension, Verdict = Verdict.Match, Reason = matchReason, Findings = findings, NoiseFindings = noise };
    }

    /// <summary>Re-grades a result after run-level aggregation declared some keys unreported.</summary>
    public static DimensionResult Regrade(DimensionResult result, IReadOnlySet<string> unreported)
    {
        if (result.Verdict != Verdict.Regression || !result.Findings.Any(f => unreported.Contains(f.Key)))
        {
            return result;
        }

        var severity = result.Severity;
        var regraded = Grade(result.Dimension, result.Findings, result.NoiseFindings, _ => severity, result.Reason, unreported);
        return regraded with { Reply = result.Reply, Memory = result.Memory };
    }

    /// <summary>Result for a dimension a stack does not expose.</summary>
    public static DimensionResult NotObserved(Dimension dimension, string who) => new()
    {
        Dimension = dimension,
        Verdict = Verdict.NotObserved,
        Reason = $"{dimension.ToString().ToLowerInvariant()} not observed: {who} does not expose it",
    };

    /// <summary>Result for a dimension one side did not observe, with the adapter's reason when it gave one.</summary>
    public static DimensionResult NotObserved(Dimension dimension, string who, StackObservation observation)
    {
        var key = dimension.ToString().ToLowerInvariant();
        return observation.NotObserved is { } reasons && reasons.TryGetValue(key, out var reason)
            ? new DimensionResult { Dimension = dimension, Verdict = Verdict.NotObserved, Reason = $"{key} not observed: {who}: {reason}" }
            : NotObserved(dimension, who);
    }
}

/// <summary>Skill calls: trajectory alignment by name (strict, unordered, subset, superset), argument diff per JSON path, status.</summary>
public sealed class SkillComparer(SkillComparisonConfig config) : ITurnComparer
{
    /// <inheritdoc />
    public Dimension Dimension => Dimension.Skills;

    /// <inheritdoc />
    public DimensionResult Compare(TurnReplay turn)
    {
        if (turn.Old.SkillCalls is not { } a)
        {
            return Grading.NotObserved(Dimension.Skills, $"old stack '{turn.Old.Stack}'", turn.Old);
        }

        if (turn.New.SkillCalls is not { } b)
        {
            return Grading.NotObserved(Dimension.Skills, $"new stack '{turn.New.Stack}'", turn.New);
        }

        // Each side's strings are canonicalised with its own stack's roots and address (a skill reading the same file under
        // its own workspace matches; a different file relative to the root does not).
        var findings = Differences(a, b, "new", turn.Old.Environment, turn.New.Environment);
        var noise = turn.OldRepeat is { Succeeded: true, SkillCalls: { } a2 } repeat ? Differences(a, a2, "old′", turn.Old.Environment, repeat.Environment) : [];
        var names = a.Count == 0 ? "no skill calls" : string.Join(" → ", a.Select(c => c.Name));
        return Grading.Grade(Dimension.Skills, findings, noise, _ => Severity.Critical, $"same trajectory ({names}) and arguments");
    }

    /// <summary>
    /// Differences between two trajectories under the configured mode; argument strings are canonicalised with
    /// <paramref name="environmentA"/> and <paramref name="environmentB"/> (none by default) before comparing.
    /// </summary>
    public List<Finding> Differences(IReadOnlyList<SkillCall> a, IReadOnlyList<SkillCall> b, string other, StackEnvironment? environmentA = null, StackEnvironment? environmentB = null)
    {
        var findings = new List<Finding>();
        var missing = MultisetMinus(a.Select(c => c.Name), b.Select(c => c.Name));
        var extra = MultisetMinus(b.Select(c => c.Name), a.Select(c => c.Name));
        var trajectoryA = string.Join(" → ", a.Select(c => c.Name));
        var trajectoryB = string.Join(" → ", b.Select(c => c.Name));
        if (config.Mode is not TrajectoryMode.Subset)
        {
            findings.AddRange(missing.Distinct().Select(name => new Finding($"skills.missing:{name}", $"{other} does not call '{name}' (old: {Show(trajectoryA)}; {other}: {Show(trajectoryB)})", trajectoryA, trajectoryB)));
        }

        if (config.Mode is not TrajectoryMode.Superset)
        {
            findings.AddRange(extra.Distinct().Select(name => new Finding($"skills.extra:{name}", $"{other} also calls '{name}' (old: {Show(trajectoryA)}; {other}: {Show(trajectoryB)})", trajectoryA, trajectoryB)));
        }

        if (config.Mode == TrajectoryMode.Strict && missing.Count == 0 && extra.Count == 0 && trajectoryA != trajectoryB)
        {
            findings.Add(new Finding("skills.order", $"{other} calls the same skills in another order (old: {trajectoryA}; {other}: {trajectoryB})", trajectoryA, trajectoryB));
        }

        // Align the k-th call of each name on both sides and compare what they were called with.
        foreach (var group in a.Select((call, i) => (call, i)).GroupBy(x => x.call.Name))
        {
            var counterpart = b.Where(c => c.Name == group.Key).ToArray();
            var k = 0;
            foreach (var (call, _) in group)
            {
                if (k >= counterpart.Length)
                {
                    break;
                }

                var match = counterpart[k++];
                foreach (var (path, oldValue, newValue) in JsonDiff(call.Arguments, match.Arguments, environmentA, environmentB))
                {
                    if (!Ignored(call.Name, path))
                    {
                        findings.Add(new Finding($"skills.args:{call.Name}.{path}", $"{call.Name} {path}: {oldValue} → {newValue} ({other})", oldValue, newValue));
                    }
                }

                if (config.CompareStatus && !string.Equals(call.Status, match.Status, StringComparison.OrdinalIgnoreCase))
                {
                    findings.Add(new Finding($"skills.status:{call.Name}", $"{call.Name} status: {call.Status ?? "none"} → {match.Status ?? "none"} ({other})", call.Status, match.Status));
                }
            }
        }

        return findings;
    }

    private static string Show(string trajectory) => trajectory.Length == 0 ? "none" : trajectory;

    private static List<string> MultisetMinus(IEnumerable<string> left, IEnumerable<string> right)
    {
        var counts = right.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var result = new List<string>();
        foreach (var item in left)
        {
            if (counts.TryGetValue(item, out var n) && n > 0)
            {
                counts[item] = n - 1;
            }
            else
            {
                result.Add(item);
            }
        }

        return result;
    }

    private bool Ignored(string skill, string path)
    {
        foreach (var rule in config.IgnoreArguments)
        {
            var colon = rule.IndexOf(':', StringComparison.Ordinal);
            var ruleSkill = colon > 0 ? rule[..colon] : null;
            var rulePath = colon > 0 ? rule[(colon + 1)..] : rule;
            if ((ruleSkill is null || ruleSkill == skill) && PathMatches(rulePath, path))
            {
                return true;
            }
        }

        return false;
    }

    private static bool PathMatches(string pattern, string path)
    {
        var p = pattern.Split('.');
        var s = path.Split('.');
        if (p.Length > s.Length)
        {
            return false;
        }

        // A rule on a parent path ignores everything below it.
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] != "*" && !string.Equals(p[i], s[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Leaf-level differences of two JSON values as (path, old, new); numbers compare by value.</summary>
    public static IEnumerable<(string Path, string Old, string New)> JsonDiff(JsonElement? a, JsonElement? b) => JsonDiff(a, b, null, null);

    /// <summary>
    /// Leaf-level differences of two JSON values as (path, old, new); numbers compare by value; string values are
    /// canonicalised with their own side's environment (<see cref="EnvironmentCanonicalizer"/>), so the values reported
    /// are the canonical ones.
    /// </summary>
    public static IEnumerable<(string Path, string Old, string New)> JsonDiff(JsonElement? a, JsonElement? b, StackEnvironment? environmentA, StackEnvironment? environmentB)
    {
        var left = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var right = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (a is { } av)
        {
            Flatten(av, "$", left, environmentA);
        }

        if (b is { } bv)
        {
            Flatten(bv, "$", right, environmentB);
        }

        foreach (var path in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            var l = left.GetValueOrDefault(path);
            var r = right.GetValueOrDefault(path);
            if (!string.Equals(l, r, StringComparison.Ordinal))
            {
                yield return (path, l ?? "(absent)", r ?? "(absent)");
            }
        }
    }

    private static void Flatten(JsonElement element, string path, IDictionary<string, string> output, StackEnvironment? environment)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path + "." + property.Name, output, environment);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}[{i++}]", output, environment);
                }

                break;
            case JsonValueKind.Number:
                output[path] = element.TryGetDecimal(out var d) ? d.ToString("0.############", CultureInfo.InvariantCulture) : element.GetRawText();
                break;
            case JsonValueKind.String:
                output[path] = TextNormalizer.MaskLaneIds(EnvironmentCanonicalizer.Canonicalize(element.GetString() ?? string.Empty, environment));
                break;
            case JsonValueKind.Undefined:
                break;
            default:
                output[path] = element.GetRawText();
                break;
        }
    }
}

/// <summary>Memory: retrieved-set overlap (Jaccard, recall of old's hits in new's) and written-memory differences.</summary>
public sealed class MemoryComparer(MemoryComparisonConfig config, TextNormalizer normalizer) : ITurnComparer
{
    /// <inheritdoc />
    public Dimension Dimension => Dimension.Memory;

    /// <inheritdoc />
    public DimensionResult Compare(TurnReplay turn)
    {
        if (turn.Old.Memory is not { } a)
        {
            return Grading.NotObserved(Dimension.Memory, $"old stack '{turn.Old.Stack}'", turn.Old);
        }

        if (turn.New.Memory is not { } b)
        {
            return Grading.NotObserved(Dimension.Memory, $"new stack '{turn.New.Stack}'", turn.New);
        }

        if ((a.Retrieved is null) != (b.Retrieved is null) || (config.CompareWritten && (a.Written is null) != (b.Written is null)))
        {
            return Grading.NotObserved(Dimension.Memory, a.Retrieved is null || a.Written is null ? "old stack (partially)" : "new stack (partially)");
        }

        var (findings, jaccard, recall) = Differences(a, b, "new");
        var noise = turn.OldRepeat is { Succeeded: true, Memory: { } a2 } ? Differences(a, a2, "old′").Findings : [];
        var retrievedCount = a.Retrieved?.Count ?? 0;
        var writtenCount = a.Written?.Count ?? 0;
        return Grading.Grade(Dimension.Memory, findings, noise, _ => Severity.Major, $"same memory: {(a.Retrieved is null ? "retrieval not observed" : $"{retrievedCount} retrieved")}, {writtenCount} written") with
        {
            Memory = new MemoryDetail(jaccard, recall),
        };
    }

    private (List<Finding> Findings, double? Jaccard, double? Recall) Differences(MemoryObservation a, MemoryObservation b, string other)
    {
        var findings = new List<Finding>();
        double? jaccard = null;
        double? recall = null;
        if (a.Retrieved is { } ra && b.Retrieved is { } rb)
        {
            var setA = ra.Select(h => normalizer.Normalize(h.Text)).ToHashSet(StringComparer.Ordinal);
            var setB = rb.Select(h => normalizer.Normalize(h.Text)).ToHashSet(StringComparer.Ordinal);
            var union = setA.Union(setB).Count();
            var common = setA.Intersect(setB).Count();
            jaccard = union == 0 ? 1 : (double)common / union;
            recall = setA.Count == 0 ? 1 : (double)common / setA.Count;
            if (recall < config.MinRecall)
            {
                var missed = setA.Except(setB).ToArray();
                findings.Add(new Finding("memory.retrieved.missing", $"{other} did not retrieve {Quote(missed)} (recall {recall:0.00} < {config.MinRecall:0.00})", string.Join(" | ", setA), string.Join(" | ", setB)));
            }

            var extra = setB.Except(setA).ToArray();
            if (extra.Length > 0)
            {
                findings.Add(new Finding("memory.retrieved.extra", $"{other} also retrieved {Quote(extra)} (jaccard {jaccard:0.00})", string.Join(" | ", setA), string.Join(" | ", setB)));
            }
        }

        if (config.CompareWritten && a.Written is { } wa && b.Written is { } wb)
        {
            var setA = wa.Select(h => normalizer.Normalize(h.Text)).ToHashSet(StringComparer.Ordinal);
            var setB = wb.Select(h => normalizer.Normalize(h.Text)).ToHashSet(StringComparer.Ordinal);
            var missing = setA.Except(setB).ToArray();
            var extra = setB.Except(setA).ToArray();
            if (missing.Length > 0)
            {
                findings.Add(new Finding("memory.written.missing", $"{other} did not write {Quote(missing)}", string.Join(" | ", setA), string.Join(" | ", setB)));
            }

            if (extra.Length > 0)
            {
                findings.Add(new Finding("memory.written.extra", $"{other} also wrote {Quote(extra)}", string.Join(" | ", setA), string.Join(" | ", setB)));
            }
        }

        return (findings, jaccard, recall);
    }

    private static string Quote(IEnumerable<string> texts) => string.Join(", ", texts.Select(t => $"'{t}'"));
}

/// <summary>Latency: new is slow when above both old runs by the configured ratio and margin.</summary>
internal sealed class LatencyComparer(LatencyComparisonConfig config) : ITurnComparer
{
    /// <inheritdoc />
    public Dimension Dimension => Dimension.Latency;

    /// <inheritdoc />
    public DimensionResult Compare(TurnReplay turn)
    {
        var baseline = turn.OldRepeat is { Succeeded: true } repeat ? Math.Max(turn.Old.LatencyMs, repeat.LatencyMs) : turn.Old.LatencyMs;
        var findings = new List<Finding>();
        var noise = new List<Finding>();
        if (turn.OldRepeat is { Succeeded: true } r2)
        {
            var fast = Math.Min(turn.Old.LatencyMs, r2.LatencyMs);
            var slow = Math.Max(turn.Old.LatencyMs, r2.LatencyMs);
            if (Slower(slow, fast))
            {
                noise.Add(new Finding("latency", $"old runs took {turn.Old.LatencyMs:0} and {r2.LatencyMs:0} ms", F(turn.Old.LatencyMs), F(r2.LatencyMs)));
            }
        }

        if (Slower(turn.New.LatencyMs, baseline))
        {
            findings.Add(new Finding("latency", $"new took {turn.New.LatencyMs:0} ms vs old {baseline:0} ms (> ×{config.MaxRatio:0.##} and +{config.MinExtraMs:0} ms)", F(baseline), F(turn.New.LatencyMs)));
        }
        else if (Slower(turn.New.LatencyMs, turn.Old.LatencyMs))
        {
            // Slower than A but not than A′: new differs from old only as much as old differs from itself (noise, not a match).
            findings.Add(new Finding("latency", $"new took {turn.New.LatencyMs:0} ms vs old {turn.Old.LatencyMs:0} ms, old′ took {baseline:0} ms", F(turn.Old.LatencyMs), F(turn.New.LatencyMs)));
            if (noise.Count == 0)
            {
                noise.Add(new Finding("latency", $"old runs took {turn.Old.LatencyMs:0} and {baseline:0} ms", F(turn.Old.LatencyMs), F(baseline)));
            }
        }

        return Grading.Grade(Dimension.Latency, findings, noise, _ => Severity.Minor, $"new {turn.New.LatencyMs:0} ms vs old {baseline:0} ms");
    }

    private bool Slower(double value, double baseline) => value > baseline * config.MaxRatio && value - baseline > config.MinExtraMs;

    private static string F(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);
}
