using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DualStack.Core.Model;
using DualStack.Core.Scenarios;
using DualStack.Core.Synthetic;
using DualStack.SampleAgent;

namespace DualStack.Sandbox.Tests;

/// <summary>
/// The reply-only knobs on the detection matrix's own conversations (scenarios/demo.json + 30 synthetic, seed 11),
/// new profile, nondeterministic, same seed with and without the knob: the knob must change enough replies to be
/// found, and nothing but replies. The judge is not involved; this proves what the matrix's knob cases can find.
/// </summary>
[NonParallelizable]
public sealed partial class ReplyKnobCoverageTests
{
    private IReadOnlyList<Conversation> _conversations = null!;
    private SandboxFixtures _fixtures = null!;

    [OneTimeSetUp]
    public void LoadConversations()
    {
        var scenario = ScenarioLoader.Load(EmbeddedStacks.FindRepoFile(Path.Combine("scenarios", "demo.json")) ?? throw new InvalidOperationException("scenarios/demo.json not found"));
        _conversations = scenario.Conversations.Concat(SyntheticGenerator.Generate(new SyntheticConfig { Count = 30, Seed = 11 })).ToArray();
        var fixtures = EmbeddedStacks.FindRepoFile(Path.Combine("scenarios", "sandbox", "fixtures.json")) ?? throw new InvalidOperationException("fixtures.json not found");
        _fixtures = SandboxFixtures.Load(fixtures);
    }

    [TestCase("wrong-date", 10)]
    [TestCase("wrong-currency", 10)]
    [TestCase("negated-outcome", 10)]
    [TestCase("id-typo", 10)]
    public async Task Replay_ReplyOnlyKnob_ChangesEnoughRepliesAndNothingElse(string knob, int minChanged)
    {
        var baseline = await ReplayAsync([]);
        var faulty = await ReplayAsync([knob]);

        var changed = new List<string>();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(faulty, Has.Count.EqualTo(baseline.Count));
            for (var i = 0; i < baseline.Count; i++)
            {
                Assert.That(faulty[i].Effects, Is.EqualTo(baseline[i].Effects), $"skills and memory of {baseline[i].Where}");
                if (faulty[i].Reply != baseline[i].Reply)
                {
                    changed.Add(baseline[i].Skills);
                }
            }

            TestContext.Out.WriteLine($"{knob}: {changed.Count} of {baseline.Count} turns' replies changed (by skill calls: " +
                string.Join(", ", changed.GroupBy(s => s, StringComparer.Ordinal).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")) + ")");
            Assert.That(changed, Has.Count.GreaterThanOrEqualTo(minChanged), $"{knob} must change enough replies to be found");
        }
    }

    private async Task<IReadOnlyList<ReplayedTurn>> ReplayAsync(IReadOnlyList<string> faults)
    {
        using var sandbox = IntegrationSandbox.Start(_fixtures);
        await using var agent = await SampleAgentServer.StartAsync(
            new SampleAgentOptions { Profile = "v2", Nondeterministic = true, Seed = 11, Faults = faults, IntegrationsBaseUrl = sandbox.BaseAddress });
        using var http = new HttpClient { BaseAddress = agent.BaseAddress };
        var turns = new List<ReplayedTurn>();
        foreach (var conversation in _conversations)
        {
            for (var t = 0; t < conversation.Turns.Count; t++)
            {
                using var response = await http.PostAsJsonAsync(
                    $"v1/conversations/{conversation.Id}/turns",
                    new { userId = conversation.UserId, message = conversation.Turns[t].Message, channel = conversation.Channel });
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                Assert.That((int)response.StatusCode, Is.EqualTo(200), body.ToJsonString());
                turns.Add(ReplayedTurn.From($"{conversation.Id} turn {t}", body));
            }
        }

        return turns;
    }

    private sealed record ReplayedTurn(string Where, string Reply, string Effects, string Skills)
    {
        public static ReplayedTurn From(string where, JsonObject body)
        {
            // Memory ids carry a per-instance prefix; the texts and scores are what the agent did.
            var memory = body["memory"]!.DeepClone().AsObject();
            foreach (var entry in memory.SelectMany(list => list.Value!.AsArray()).OfType<JsonObject>())
            {
                entry.Remove("id");
            }

            var skills = body["skillCalls"]!.AsArray();
            var names = skills.Select(s => s!["name"]!.GetValue<string>()).ToArray();
            return new ReplayedTurn(
                where,
                FooterRegex().Replace(body["reply"]!.GetValue<string>(), string.Empty),
                skills.ToJsonString() + memory.ToJsonString(),
                names.Length == 0 ? "none" : string.Join("+", names));
        }
    }

    // The footer's timestamp is the wall clock, which differs between the two runs.
    [GeneratedRegex(@" \(ref REF-[0-9A-F]{6}, [^)]*\)$")]
    private static partial Regex FooterRegex();
}
