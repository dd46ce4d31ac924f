using DualStack.Core.Judgement;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Synthetic;
using DualStack.Semantic;

namespace DualStack.Sandbox.Tests;

/// <summary>
/// The engine's quality bar on the embedded sample stacks: old v1 against new v2 (reworded, nondeterministic).
/// No fault → no regression; each fault knob → a regression in the dimension it names, with the right severity,
/// and none in the dimensions it must not touch. Reply-only knobs also name the one finding key they must raise.
/// </summary>
[NonParallelizable]
public sealed class DetectionMatrixTests
{
    private MiniLmSimilarity _semantic = null!;
    private Scenario _scenario = null!;

    [OneTimeSetUp]
    public void LoadModelAndScenario()
    {
        _semantic = new MiniLmSimilarity();
        var path = EmbeddedStacks.FindRepoFile(Path.Combine("scenarios", "demo.json")) ?? throw new InvalidOperationException("scenarios/demo.json not found");
        _scenario = ScenarioLoader.Load(path);
    }

    [OneTimeTearDown]
    public void DisposeModel() => _semantic.Dispose();

    [Test]
    public async Task Verify_V1AgainstV2NondeterministicWithoutFaults_FindsNoRegressionIn200SyntheticConversations()
    {
        var result = await RunAsync([], syntheticCount: 200, seed: 7);

        var regressions = result.Conversations.Where(c => c.Verdict is Verdict.Regression or Verdict.Error).Select(c => $"{c.Conversation.Id}: {c.Reason}").ToArray();
        Assert.That(regressions, Is.Empty);
        Assert.That(result.Summary.Conversations, Is.EqualTo(200 + _scenario.Conversations.Count));
        Assert.That(result.Conversations.Count(c => c.Turns.Any(t => t.Old.Reply != t.New.Reply)), Is.GreaterThan(150), "v2 rewords replies, so texts must differ while verdicts match");
    }

    [TestCase("skip-memory", Dimension.Memory, Severity.Major, new[] { Dimension.Skills, Dimension.Latency, Dimension.Errors })]
    [TestCase("forget-writes", Dimension.Memory, Severity.Major, new[] { Dimension.Skills, Dimension.Latency, Dimension.Errors })]
    [TestCase("wrong-skill-args", Dimension.Skills, Severity.Critical, new[] { Dimension.Reply, Dimension.Memory, Dimension.Latency, Dimension.Errors })]
    [TestCase("drop-skill", Dimension.Skills, Severity.Critical, new[] { Dimension.Reply, Dimension.Memory, Dimension.Latency, Dimension.Errors })]
    [TestCase("extra-skill", Dimension.Skills, Severity.Critical, new[] { Dimension.Reply, Dimension.Memory, Dimension.Latency, Dimension.Errors })]
    [TestCase("latency:400", Dimension.Latency, Severity.Minor, new[] { Dimension.Reply, Dimension.Skills, Dimension.Memory, Dimension.Errors })]
    [TestCase("errors:20", Dimension.Errors, Severity.Critical, new[] { Dimension.Latency })]
    // Reply-only knobs (issue 13): each must be found under its own typed key and no other reply key.
    [TestCase("wrong-date", Dimension.Reply, Severity.Major, new[] { Dimension.Skills, Dimension.Memory, Dimension.Latency, Dimension.Errors }, "reply.facts.date")]
    [TestCase("wrong-currency", Dimension.Reply, Severity.Major, new[] { Dimension.Skills, Dimension.Memory, Dimension.Latency, Dimension.Errors }, "reply.facts.amount")]
    [TestCase("negated-outcome", Dimension.Reply, Severity.Major, new[] { Dimension.Skills, Dimension.Memory, Dimension.Latency, Dimension.Errors }, "reply.polarity")]
    [TestCase("id-typo", Dimension.Reply, Severity.Major, new[] { Dimension.Skills, Dimension.Memory, Dimension.Latency, Dimension.Errors }, "reply.facts.id")]
    public async Task Verify_FaultKnob_FoundInItsDimensionOnly(string knob, Dimension dimension, Severity severity, Dimension[] untouched, string? expectedKey = null)
    {
        var result = await RunAsync([knob], syntheticCount: 30, seed: 11);

        var found = Regressions(result, dimension).ToArray();
        var keys = found.SelectMany(d => d.Findings).GroupBy(f => f.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToArray();
        TestContext.Out.WriteLine($"{knob}: {found.Length} {dimension} regressions; other dimensions: " +
            string.Join(", ", Enum.GetValues<Dimension>().Where(d => d != dimension).Select(d => $"{d} {Regressions(result, d).Count()}")) +
            $"; finding keys: {string.Join(", ", keys.Select(g => $"{g.Key} {g.Count()}"))}");

        Assert.That(found, Is.Not.Empty, $"{knob} must be detected in {dimension}");
        Assert.That(found.Select(d => d.Severity).Distinct(), Is.EqualTo(new[] { severity }), $"{knob} severity");
        if (expectedKey is not null)
        {
            // One key per kind of difference: the knob's key, and no other key on the regressed turns.
            var others = found.SelectMany(d => d.Findings).Where(f => f.Key != expectedKey).Select(f => $"{f.Key}: {f.Description} [old: {f.Old}] [new: {f.New}]");
            Assert.That(keys.Select(g => g.Key), Is.EqualTo(new[] { expectedKey }), $"{knob} finding keys; others: {string.Join(" | ", others)}");
        }

        foreach (var other in untouched)
        {
            var falseAlarms = Regressions(result, other).Select(d => d.Reason).ToArray();
            Assert.That(falseAlarms, Is.Empty, $"{knob} must not raise {other} regressions");
        }
    }

    private static IEnumerable<DimensionResult> Regressions(RunResult result, Dimension dimension) =>
        result.Conversations.SelectMany(c => c.Turns).SelectMany(t => t.Dimensions).Where(d => d.Dimension == dimension && d.Verdict == Verdict.Regression);

    private async Task<RunResult> RunAsync(IReadOnlyList<string> faults, int syntheticCount, int seed)
    {
        await using var stacks = await EmbeddedStacks.StartAsync(new EmbeddedStackOptions { NewFaults = faults }, CancellationToken.None);
        using var oldStack = StackFactory.Create("old", new StackConfig { Url = stacks.OldServer.BaseAddress.AbsoluteUri });
        using var newStack = StackFactory.Create("new", new StackConfig { Url = stacks.NewServer.BaseAddress.AbsoluteUri });
        var conversations = _scenario.Conversations.Concat(SyntheticGenerator.Generate(new SyntheticConfig { Count = syntheticCount, Seed = seed })).ToArray();
        return await VerificationRunner.RunAsync(
            new VerificationRequest { Scenario = _scenario, Old = oldStack, New = newStack, Conversations = conversations, Semantic = _semantic, Seed = seed },
            progress: null,
            timeProvider: null,
            CancellationToken.None);
    }
}
