using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Scenarios;
using DualStack.Core.Synthetic;

namespace DualStack.Core.Tests.Synthetic;

public sealed class SyntheticGeneratorTests
{
    private static readonly string[] Greetings = ["Hi, this is ", "Hello!", "Hi there, "];

    private static string Json(IReadOnlyList<Conversation> conversations) => JsonSerializer.Serialize(conversations, DualStackJson.Options);

    private static bool IsGreeting(string message) => Greetings.Any(g => message.StartsWith(g, StringComparison.Ordinal));

    [Test]
    public void Generate_SameSeed_GivesIdenticalConversations()
    {
        var config = new SyntheticConfig { Count = 25, Seed = 7 };

        var first = SyntheticGenerator.Generate(config);
        var second = SyntheticGenerator.Generate(config);

        Assert.That(Json(second), Is.EqualTo(Json(first)));
    }

    [Test]
    public void Generate_DifferentSeed_GivesDifferentConversations()
    {
        var a = SyntheticGenerator.Generate(new SyntheticConfig { Count = 10, Seed = 1 });
        var b = SyntheticGenerator.Generate(new SyntheticConfig { Count = 10, Seed = 2 });

        var messagesA = a.SelectMany(c => c.Turns).Select(t => t.Message).ToArray();
        var messagesB = b.SelectMany(c => c.Turns).Select(t => t.Message).ToArray();
        Assert.That(messagesB, Is.Not.EqualTo(messagesA));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(37)]
    public void Generate_Count_IsHonouredWithUniqueSyntheticIds(int count)
    {
        var conversations = SyntheticGenerator.Generate(new SyntheticConfig { Count = count, Seed = 3 });

        Assert.That(conversations, Has.Count.EqualTo(count));
        Assert.That(conversations.Select(c => c.Id), Is.Unique);
        Assert.That(conversations.Select(c => c.UserId), Is.Unique);
        Assert.That(conversations.Select(c => c.Source), Has.All.EqualTo(ConversationSource.Synthetic));
    }

    [TestCase(2, 5, 0.3)]
    [TestCase(2, 2, 1.0)]
    [TestCase(3, 3, 0.5)]
    [TestCase(1, 4, 0.0)]
    [TestCase(1, 1, 0.5)]
    public void Generate_TurnCounts_StayWithinMinAndMax(int min, int max, double memoryProbability)
    {
        var conversations = SyntheticGenerator.Generate(new SyntheticConfig { Count = 100, Seed = 11, MinTurns = min, MaxTurns = max, MemoryProbability = memoryProbability });

        var counts = conversations.Select(c => c.Turns.Count).ToArray();
        Assert.That(counts, Has.All.InRange(min, max));
        Assert.That(conversations.SelectMany(c => c.Turns).Select(t => t.Message), Has.None.Empty);
    }

    [Test]
    public void Generate_MemoryProbabilityOne_StatesFactFirstAndAsksForItLast()
    {
        var conversations = SyntheticGenerator.Generate(new SyntheticConfig { Count = 50, Seed = 5, MemoryProbability = 1, MinTurns = 3, MaxTurns = 5 });

        Assert.Multiple(() =>
        {
            foreach (var conversation in conversations)
            {
                var messages = conversation.Turns.Select(t => t.Message).ToArray();
                var first = IsGreeting(messages[0]) ? messages[1] : messages[0];
                Assert.That(first, Does.StartWith("Please remember that "), conversation.Id);
                Assert.That(messages[^1], Does.Contain("remember").Or.Contain("know about me"), conversation.Id);
                Assert.That(conversation.Tags, Does.Contain("intent:memory"), conversation.Id);
            }
        });
        Assert.That(conversations.Any(c => IsGreeting(c.Turns[0].Message)), Is.True, "some conversations open with a greeting");
    }

    [Test]
    public void Generate_OnlyRefundWeighted_EveryTopicalTurnIsARefund()
    {
        var weights = new Dictionary<string, double> { ["refund"] = 1, ["order_status"] = 0, ["address_change"] = 0, ["product_question"] = 0, ["small_talk"] = 0, ["memory"] = 0 };

        var conversations = SyntheticGenerator.Generate(new SyntheticConfig { Count = 40, Seed = 9, Intents = weights, MemoryProbability = 0 });

        var topical = conversations.SelectMany(c => c.Turns.Select((t, i) => (t.Message, i))).Where(x => !(x.i == 0 && IsGreeting(x.Message))).Select(x => x.Message).ToArray();
        Assert.That(topical, Is.Not.Empty);
        Assert.That(topical, Has.All.Match("(I want a refund for order \\d+|Please refund \\$\\d+\\.\\d{2} for order \\d+), "));
        Assert.That(conversations.SelectMany(c => c.Tags).Where(t => t.StartsWith("intent:", StringComparison.Ordinal)).Distinct(), Is.EqualTo(new[] { "intent:refund" }));
    }

    [Test]
    public void Generate_AllWeightsZero_ThrowsNamingIntents()
    {
        var ex = Assert.Throws<ArgumentException>(() => SyntheticGenerator.Generate(new SyntheticConfig { Count = 1, Intents = new Dictionary<string, double> { ["refund"] = 0 } }));

        Assert.That(ex!.Message, Does.Contain("synthetic.intents"));
    }

    [Test]
    public void Generate_AnyMix_NoTurnExpectsAnything()
    {
        // Synthetic conversations go to agents this repository did not write (verify --adapter openai --synthetic N):
        // an absolute expectation such as expect.skills [issue_refund] would turn any other agent's run critical.
        var conversations = new[] { 1, 42, 7777 }.SelectMany(seed => SyntheticGenerator.Generate(new SyntheticConfig { Count = 200, Seed = seed, MemoryProbability = 0.5 })).ToArray();

        Assert.That(conversations.SelectMany(c => c.Turns).Select(t => t.Expect), Is.All.Null);
        Assert.That(conversations.SelectMany(c => c.Tags), Has.Some.EqualTo("intent:refund").And.Some.EqualTo("intent:order_status"), "the shop intents are in the mix, only without expectations");
    }
}
