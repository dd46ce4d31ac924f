using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed class FaultTests
{
    private static async Task<(IReadOnlyList<TurnResult> Baseline, IReadOnlyList<TurnResult> Faulty)> RunBothAsync(Agents agents, params string[] faults)
    {
        var baseline = await (await agents.StartAsync(new SampleAgentOptions())).RunAsync(Script.Messages);
        var faulty = await (await agents.StartAsync(new SampleAgentOptions { Faults = faults })).RunAsync(Script.Messages);
        return (baseline, faulty);
    }

    private static void AssertSameReplies(IReadOnlyList<TurnResult> baseline, IReadOnlyList<TurnResult> faulty, bool exceptRecall = false)
    {
        for (var i = 0; i < baseline.Count; i++)
        {
            if (!(exceptRecall && Script.IsRecall(i)))
            {
                Assert.That(faulty[i].Reply, Is.EqualTo(baseline[i].Reply), $"reply of turn {i}");
            }
        }
    }

    private static void AssertSameSkills(IReadOnlyList<TurnResult> baseline, IReadOnlyList<TurnResult> faulty)
    {
        for (var i = 0; i < baseline.Count; i++)
        {
            Assert.That(faulty[i].Skills, Is.EqualTo(baseline[i].Skills), $"skills of turn {i}");
        }
    }

    private static void AssertSameMemory(IReadOnlyList<TurnResult> baseline, IReadOnlyList<TurnResult> faulty)
    {
        for (var i = 0; i < baseline.Count; i++)
        {
            Assert.That(faulty[i].Retrieved, Is.EqualTo(baseline[i].Retrieved), $"retrieved memory of turn {i}");
            Assert.That(faulty[i].Written, Is.EqualTo(baseline[i].Written), $"written memory of turn {i}");
        }
    }

    [Test]
    public async Task Turns_DropSkill_OnlySendEmailMissing()
    {
        await using var agents = new Agents();
        var (baseline, faulty) = await RunBothAsync(agents, "drop-skill");

        using (Assert.EnterMultipleScope())
        {
            for (var i = 0; i < baseline.Count; i++)
            {
                var expected = baseline[i].SkillCalls.Where(s => s.Name != "send_email").Select(s => s.Signature);
                Assert.That(faulty[i].Skills, Is.EqualTo(expected), $"skills of turn {i}");
            }

            Assert.That(baseline[Script.RefundStated].Skills, Has.Some.StartsWith("send_email"));
            Assert.That(faulty.SelectMany(t => t.Skills), Has.None.StartsWith("send_email"));
            AssertSameReplies(baseline, faulty);
            AssertSameMemory(baseline, faulty);
        }
    }

    [Test]
    public async Task Turns_ExtraSkill_LookupCustomerFirstOnTurnsWithSkills()
    {
        await using var agents = new Agents();
        var (baseline, faulty) = await RunBothAsync(agents, "extra-skill");

        using (Assert.EnterMultipleScope())
        {
            for (var i = 0; i < baseline.Count; i++)
            {
                var expected = baseline[i].Skills.Length == 0
                    ? []
                    : baseline[i].Skills.Prepend("""lookup_customer{"userId":"u-1"}""").ToArray();
                Assert.That(faulty[i].Skills, Is.EqualTo(expected), $"skills of turn {i}");
            }

            Assert.That(faulty[Script.OrderStatus].SkillCalls[0].Result?["tier"], Is.Not.Null);
            AssertSameReplies(baseline, faulty);
            AssertSameMemory(baseline, faulty);
        }
    }

    [Test]
    public async Task Turns_WrongSkillArgs_RefundAmountAndAddressWrongButRepliesIntended()
    {
        await using var agents = new Agents();
        var (baseline, faulty) = await RunBothAsync(agents, "wrong-skill-args");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(faulty[Script.RefundStated].SkillCalls[1].Arguments["amount"]!.ToJsonString(), Is.EqualTo("27.50"));
            Assert.That(faulty[Script.RefundTotal].SkillCalls[1].Arguments["amount"]!.ToJsonString(), Is.EqualTo("132.00"));
            Assert.That(faulty[Script.Address].SkillCalls[0].Arguments["address"]!.GetValue<string>(), Is.EqualTo("12 High Street, London"));
            Assert.That(faulty[Script.RefundStated].Reply, Does.Contain("25.00 USD"));
            Assert.That(faulty[Script.Address].Reply, Does.Contain("12 High Street, London N1 9GU"));

            // Everything else about the skill calls is unchanged: same names, same other arguments.
            for (var i = 0; i < baseline.Count; i++)
            {
                Assert.That(faulty[i].SkillCalls.Select(s => s.Name), Is.EqualTo(baseline[i].SkillCalls.Select(s => s.Name)), $"skill names of turn {i}");
            }

            Assert.That(faulty[Script.RefundStated].Skills, Is.Not.EqualTo(baseline[Script.RefundStated].Skills));
            Assert.That(faulty[Script.OrderStatus].Skills, Is.EqualTo(baseline[Script.OrderStatus].Skills));
            Assert.That(faulty[Script.Product].Skills, Is.EqualTo(baseline[Script.Product].Skills));
            Assert.That(faulty[Script.Address].Skills[1], Is.EqualTo(baseline[Script.Address].Skills[1]));
            AssertSameReplies(baseline, faulty);
            AssertSameMemory(baseline, faulty);
        }
    }

    [Test]
    public async Task Turns_SkipMemory_RetrievedEmptyEverythingElseSame()
    {
        await using var agents = new Agents();
        var (baseline, faulty) = await RunBothAsync(agents, "skip-memory");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(baseline.SelectMany(t => t.Retrieved), Is.Not.Empty);
            Assert.That(faulty.SelectMany(t => t.Retrieved), Is.Empty);
            for (var i = 0; i < baseline.Count; i++)
            {
                Assert.That(faulty[i].Written, Is.EqualTo(baseline[i].Written), $"written memory of turn {i}");
            }

            AssertSameSkills(baseline, faulty);
            // Recall replies report what retrieval found, so they honestly say nothing is known.
            AssertSameReplies(baseline, faulty, exceptRecall: true);
            Assert.That(faulty[Script.RecallAll].Reply, Is.EqualTo("I don't have anything remembered about that."));
            Assert.That(faulty[Script.RecallAddress].Reply, Is.EqualTo("I don't have anything remembered about that."));
        }
    }

    [Test]
    public async Task Turns_ForgetWrites_NothingWrittenOrPersistedEverythingElseSame()
    {
        await using var agents = new Agents();
        var (baseline, faulty) = await RunBothAsync(agents, "forget-writes");
        var stored = await new AgentClient(agents.Last.BaseAddress).GetJsonAsync("v1/memory");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(baseline.SelectMany(t => t.Written), Is.Not.Empty);
            Assert.That(faulty.SelectMany(t => t.Written), Is.Empty);
            Assert.That(stored["entries"]!.AsArray(), Is.Empty);
            AssertSameSkills(baseline, faulty);
            // Only recall turns differ in wording: nothing was persisted to recall.
            AssertSameReplies(baseline, faulty, exceptRecall: true);
        }
    }

    [Test]
    public async Task Turns_Latency_DelaysTurnOnly()
    {
        await using var agents = new Agents();
        var baselineAgent = await agents.StartAsync(new SampleAgentOptions());
        var slowAgent = await agents.StartAsync(new SampleAgentOptions { Faults = ["latency:300"] });
        var baseline = await baselineAgent.TurnAsync("c-1", "u-1", Script.Messages[Script.OrderStatus]);
        await slowAgent.TurnAsync("c-warm", "u-warm", "hi");

        var watch = Stopwatch.StartNew();
        var slow = await slowAgent.TurnAsync("c-1", "u-1", Script.Messages[Script.OrderStatus]);
        watch.Stop();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290)));
            Assert.That(slow.Reply, Is.EqualTo(baseline.Reply));
            Assert.That(slow.Skills, Is.EqualTo(baseline.Skills));
            Assert.That(slow.Written, Is.EqualTo(baseline.Written));
        }
    }

    [Test]
    public async Task Turns_Errors100_Every500ProblemUntilFaultsCleared()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { Faults = ["errors:100"] });

        for (var i = 0; i < 3; i++)
        {
            using var response = await agent.PostTurnAsync("c-1", new { userId = "u-1", message = "Where is order 4411?" });
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem["title"]!.GetValue<string>(), Is.EqualTo("injected fault"));
        }

        var memory = await agent.GetJsonAsync("v1/memory");
        Assert.That(memory["entries"]!.AsArray(), Is.Empty, "a failed turn has no effects");

        agents.Last.SetFaults([]);
        var turn = await agent.TurnAsync("c-1", "u-1", "Where is order 4411?");
        Assert.That(turn.TurnIndex, Is.Zero, "failed turns do not count");
    }

    [Test]
    public async Task Turns_Errors50_RoughlyHalfFail()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { Faults = ["errors:50"], Seed = 7 });

        var failures = 0;
        for (var i = 0; i < 60; i++)
        {
            using var response = await agent.PostTurnAsync($"c-{i}", new { userId = "u-1", message = "hi" });
            failures += response.StatusCode == HttpStatusCode.InternalServerError ? 1 : 0;
        }

        Assert.That(failures, Is.InRange(15, 45));
    }
}
