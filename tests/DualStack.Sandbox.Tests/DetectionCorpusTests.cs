using System.Globalization;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Verdicts;
using DualStack.Semantic;

namespace DualStack.Sandbox.Tests;

/// <summary>
/// The judge measured on a labelled corpus written unlike the sample agent (scenarios/detection/corpus.jsonl):
/// every record is its own run (one conversation, then run-level aggregation), judged with MiniLM and the default
/// comparison settings. No-regression classes must never fail a run; every regression must be found under its key.
/// The held-out corpus (scenarios/detection/holdout.jsonl, written by another hand and never used to tune the judge)
/// is scored the same way but held only to loose guard rails: it measures how the judge generalises.
/// </summary>
[NonParallelizable]
[Category("DetectionCorpus")]
public sealed class DetectionCorpusTests
{
    /// <summary>
    /// Regressions the judge is known to miss, each with the measurement that says why. A new miss fails the test; a
    /// known miss that starts being found is reported so the entry can go.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> KnownMisses = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["telecom-data-steps-dropped-content-000"] =
            "a dropped procedural step with no fact in it: its best MiniLM match among new's sentences scores 0.52, inside the 0.51–0.61 range of healthy reworded sentences, so sentence coverage could not flag it without false alarms",
    };

    private MiniLmSimilarity _semantic = null!;

    private sealed record Outcome(TripleRecord Record, bool Flagged, bool FlaggedWithKey, string Keys, string Reason)
    {
        public bool Found => Record.ExpectKey is null ? Flagged : FlaggedWithKey;

        public string Signature => $"{Record.Id}|{Flagged}|{FlaggedWithKey}|{Keys}";
    }

    [OneTimeSetUp]
    public void LoadModel() => _semantic = new MiniLmSimilarity();

    private static (string Path, IReadOnlyList<TripleRecord> Records) LoadCorpus(string file)
    {
        var path = EmbeddedStacks.FindRepoFile(Path.Combine("scenarios", "detection", file)) ?? throw new InvalidOperationException($"scenarios/detection/{file} not found");
        return (path, OfflineTriples.Load(path));
    }

    [OneTimeTearDown]
    public void DisposeModel() => _semantic.Dispose();

    [Test]
    public void JudgeCorpus_EveryRecordAsItsOwnRun_NoFalseAlarmsEveryRegressionFoundUnderItsKeyIdenticalOverThreeRuns()
    {
        var (path, records) = LoadCorpus("corpus.jsonl");
        var runs = Enumerable.Range(0, 3).Select(_ => JudgeAll(path, records)).ToArray();
        var outcomes = runs[0];
        WriteTable(outcomes, KnownMisses, listAtMost: 40);

        Assert.Multiple(() =>
        {
            Assert.That(records, Has.Count.GreaterThanOrEqualTo(400), "corpus size");
            for (var i = 1; i < runs.Length; i++)
            {
                Assert.That(runs[i].Select(o => o.Signature), Is.EqualTo(outcomes.Select(o => o.Signature)), $"run {i + 1} differs from run 1");
            }

            foreach (var group in outcomes.Where(o => !o.Record.IsRegression).GroupBy(o => o.Record.Class))
            {
                var falseAlarms = group.Where(o => o.Flagged).Select(o => $"{o.Record.Id}: {o.Reason}").ToArray();
                Assert.That(falseAlarms, Is.Empty, $"ok class '{group.Key}' failed {falseAlarms.Length} of {group.Count()} runs");
            }

            foreach (var group in outcomes.Where(o => o.Record.IsRegression).GroupBy(o => o.Record.Class))
            {
                var missed = group.Where(o => !o.Found && !KnownMisses.ContainsKey(o.Record.Id)).Select(o => $"{o.Record.Id}: expected {o.Record.ExpectKey ?? "a reply regression"}, got [{o.Keys}] {o.Reason}").ToArray();
                Assert.That(missed, Is.Empty, $"regression class '{group.Key}' missed {missed.Length} of {group.Count()}");
            }
        });
    }

    /// <summary>
    /// The held-out corpus: prints the same per-class table (every false alarm and miss listed) and asserts only loose
    /// guard rails, because its numbers are the honest measurement and must not be tuned towards.
    /// </summary>
    [Test]
    public void JudgeHoldout_EveryRecordAsItsOwnRun_FalseAlarmsAtMostFivePercentRecallAtLeastEightyPercentIdenticalOverThreeRuns()
    {
        var (path, records) = LoadCorpus("holdout.jsonl");
        var runs = Enumerable.Range(0, 3).Select(_ => JudgeAll(path, records)).ToArray();
        var outcomes = runs[0];
        WriteTable(outcomes, new Dictionary<string, string>(), listAtMost: int.MaxValue);

        var healthy = outcomes.Where(o => !o.Record.IsRegression).ToArray();
        var regressions = outcomes.Where(o => o.Record.IsRegression).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(records, Has.Count.GreaterThanOrEqualTo(255), "holdout size");
            for (var i = 1; i < runs.Length; i++)
            {
                Assert.That(runs[i].Select(o => o.Signature), Is.EqualTo(outcomes.Select(o => o.Signature)), $"run {i + 1} differs from run 1");
            }

            Assert.That(healthy.Count(o => o.Flagged), Is.LessThanOrEqualTo(healthy.Length * 0.05), "false alarms over 5 % of healthy runs");
            Assert.That(regressions.Count(o => o.Flagged), Is.GreaterThanOrEqualTo(regressions.Length * 0.80), "overall recall under 80 %");
        });
    }

    private Outcome[] JudgeAll(string path, IReadOnlyList<TripleRecord> records)
    {
        var engine = new VerdictEngine(new ComparisonConfig(), _semantic);
        var stacks = OfflineTriples.TripleStacks(path);
        return records.Select(record =>
        {
            var run = OfflineTriples.Judge([OfflineTriples.ToConversation(record)], engine, "detection-corpus", stacks, runId: record.Id);
            return Score(record, run);
        }).ToArray();
    }

    private static Outcome Score(TripleRecord record, RunResult run)
    {
        var conversation = run.Conversations.Single();
        var flagged = conversation.Verdict == Verdict.Regression && conversation.Severity >= Severity.Major;
        var findings = conversation.Turns.SelectMany(t => t.Dimensions).Where(d => d.Verdict == Verdict.Regression).SelectMany(d => d.Findings).Select(f => f.Key).Distinct(StringComparer.Ordinal).ToArray();
        var withKey = flagged && record.ExpectKey is { } key && findings.Any(f => f.StartsWith(key, StringComparison.Ordinal));
        return new Outcome(record, flagged, withKey, string.Join(", ", findings), conversation.Reason);
    }

    private static void WriteTable(IReadOnlyList<Outcome> outcomes, IReadOnlyDictionary<string, string> knownMisses, int listAtMost)
    {
        var output = TestContext.Out;
        output.WriteLine($"{"class",-28} {"label",-10} {"n",4} {"flagged",8} {"w/ key",7}  rate");
        foreach (var group in outcomes.GroupBy(o => o.Record.Class))
        {
            var n = group.Count();
            var flagged = group.Count(o => o.Flagged);
            var regression = group.First().Record.IsRegression;
            var withKey = group.Any(o => o.Record.ExpectKey is not null) ? group.Count(o => o.FlaggedWithKey).ToString(CultureInfo.InvariantCulture) : "-";
            var rate = regression ? $"recall {Percent(group.Count(o => o.Found), n)}" : $"false alarms {Percent(flagged, n)}";
            output.WriteLine($"{group.Key,-28} {group.First().Record.Label,-10} {n,4} {flagged,8} {withKey,7}  {rate}");
        }

        var truePositives = outcomes.Count(o => o.Record.IsRegression && o.Flagged);
        var falsePositives = outcomes.Count(o => !o.Record.IsRegression && o.Flagged);
        var regressions = outcomes.Count(o => o.Record.IsRegression);
        var healthy = outcomes.Count - regressions;
        output.WriteLine(
            $"overall: precision {Percent(truePositives, truePositives + falsePositives)}, recall {Percent(truePositives, regressions)} " +
            $"(under the expected key: {Percent(outcomes.Count(o => o.Record.IsRegression && o.Found), regressions)}), " +
            $"false alarms {falsePositives} of {healthy} healthy runs ({Percent(falsePositives, healthy)})");
        foreach (var o in outcomes.Where(o => o.Record.IsRegression ? !o.Found : o.Flagged).Take(listAtMost))
        {
            var known = knownMisses.TryGetValue(o.Record.Id, out var why) ? $" (known miss: {why})" : string.Empty;
            output.WriteLine($"  {(o.Record.IsRegression ? "missed" : "false alarm")} {o.Record.Id}: [{o.Keys}] {o.Reason}{known}");
        }

        foreach (var id in knownMisses.Keys.Where(id => outcomes.Any(o => o.Record.Id == id && o.Found)))
        {
            output.WriteLine($"  known miss {id} is now found: remove it from KnownMisses");
        }
    }

    private static string Percent(int part, int whole) => whole == 0 ? "n/a" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
