using System.Text.RegularExpressions;

namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed partial class NondeterminismTests
{
    [Test]
    public async Task Turns_NondeterministicTwoRuns_DifferentRepliesSameSkillsAndMemory()
    {
        await using var agents = new Agents();
        var first = await (await agents.StartAsync(new SampleAgentOptions { Nondeterministic = true })).RunAsync(Script.Messages);
        var second = await (await agents.StartAsync(new SampleAgentOptions { Nondeterministic = true })).RunAsync(Script.Messages);

        for (var i = 0; i < Script.Messages.Length; i++)
        {
            using (Assert.EnterMultipleScope())
            {
                Assert.That(second[i].Reply, Is.Not.EqualTo(first[i].Reply), $"reply of turn {i}");
                Assert.That(first[i].Reply, Does.Match(FooterRegex()), $"footer of turn {i}");
                Assert.That(second[i].Skills, Is.EqualTo(first[i].Skills), $"skills of turn {i}");
                Assert.That(second[i].Retrieved, Is.EqualTo(first[i].Retrieved), $"retrieved memory of turn {i}");
                Assert.That(second[i].Written, Is.EqualTo(first[i].Written), $"written memory of turn {i}");
            }
        }

        Assert.That(first[Script.RefundStated].Reply, Does.Contain("25.00 USD").And.Contain("4411"));
    }

    [Test]
    public async Task Turns_NondeterministicManyTurns_UsesMoreThanOnePhrasing()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { Nondeterministic = true, Seed = 3 });

        var phrasings = new HashSet<string>();
        for (var i = 0; i < 12; i++)
        {
            var turn = await agent.TurnAsync($"c-{i}", "u-1", "Where is order 4411?");
            phrasings.Add(FooterRegex().Replace(turn.Reply, string.Empty));
        }

        Assert.That(phrasings, Has.Count.GreaterThan(1));
        Assert.That(phrasings, Has.All.Contain("4411").And.All.Contain("2026-12-03"));
    }

    [Test]
    public async Task Turns_SameSeedAndClock_IdenticalReplies()
    {
        var clock = new FixedTimeProvider(new DateTimeOffset(2026, 11, 30, 4, 12, 55, TimeSpan.Zero));
        var options = new SampleAgentOptions { Nondeterministic = true, Seed = 42 };
        await using var a = await SampleAgentServer.StartAsync(options, clock, CancellationToken.None);
        await using var b = await SampleAgentServer.StartAsync(options, clock, CancellationToken.None);
        using var clientA = new AgentClient(a.BaseAddress);
        using var clientB = new AgentClient(b.BaseAddress);

        var first = await clientA.RunAsync(Script.Messages);
        var second = await clientB.RunAsync(Script.Messages);

        Assert.That(second.Select(t => t.Reply), Is.EqualTo(first.Select(t => t.Reply)));
        Assert.That(first[0].Reply, Does.EndWith(", 2026-11-30T04:12:55Z)"));
    }

    [GeneratedRegex(@" \(ref REF-[0-9A-F]{6}, \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\)$")]
    private static partial Regex FooterRegex();

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
