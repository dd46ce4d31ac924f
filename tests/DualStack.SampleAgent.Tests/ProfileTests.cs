namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed class ProfileTests
{
    [Test]
    public async Task Turns_V1AndV2SameConversation_SameSkillsAndMemoryDifferentWording()
    {
        await using var agents = new Agents();
        var v1 = await (await agents.StartAsync(new SampleAgentOptions { Profile = "v1" })).RunAsync(Script.Messages);
        var v2 = await (await agents.StartAsync(new SampleAgentOptions { Profile = "v2" })).RunAsync(Script.Messages);

        for (var i = 0; i < Script.Messages.Length; i++)
        {
            using (Assert.EnterMultipleScope())
            {
                Assert.That(v2[i].TurnIndex, Is.EqualTo(i));
                Assert.That(v2[i].Skills, Is.EqualTo(v1[i].Skills), $"skills of turn {i}");
                Assert.That(v2[i].Retrieved, Is.EqualTo(v1[i].Retrieved), $"retrieved memory of turn {i}");
                Assert.That(v2[i].Written, Is.EqualTo(v1[i].Written), $"written memory of turn {i}");
                Assert.That(v2[i].Reply, Is.Not.EqualTo(v1[i].Reply), $"reply of turn {i}");
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(v1[Script.OrderStatus].Reply, Is.EqualTo("Order 4411 has shipped and should arrive on 2026-12-03."));
            Assert.That(v2[Script.OrderStatus].Reply, Is.EqualTo("Good news: your order 4411 is shipped, with delivery expected on 2026-12-03."));
            Assert.That(v1[Script.OrderStatus].Skills, Is.EqualTo(new[] { """lookup_order{"orderId":"4411"}""" }));
            Assert.That(v1[Script.OrderStatus].Written, Is.EqualTo(new[] { "asked about order 4411" }));
            Assert.That(v1[Script.RefundStated].Skills, Is.EqualTo(new[]
            {
                """lookup_order{"orderId":"4411"}""",
                """issue_refund{"orderId":"4411","amount":25.00,"currency":"USD","reason":"it arrived damaged"}""",
                """send_email{"to":"u-1","template":"refund_confirmation","orderId":"4411"}""",
            }));
            Assert.That(v1[Script.RefundTotal].Skills[1], Is.EqualTo("""issue_refund{"orderId":"7788","amount":120.00,"currency":"EUR","reason":"customer request"}"""));
            Assert.That(v1[Script.Address].Skills, Is.EqualTo(new[]
            {
                """update_address{"userId":"u-1","address":"12 High Street, London N1 9GU"}""",
                """send_email{"to":"u-1","template":"address_changed"}""",
            }));
            Assert.That(v1[Script.Address].Written, Is.EqualTo(new[] { "address: 12 High Street, London N1 9GU" }));
            Assert.That(v1[Script.Product].Skills, Is.EqualTo(new[] { """search_catalog{"query":"wireless headphones"}""" }));
            Assert.That(v1[Script.Remember].Written, Is.EqualTo(new[] { "prefer email" }));
            Assert.That(v1[Script.RecallAll].Retrieved, Does.Contain("prefer email"));
            Assert.That(v1[Script.RecallAddress].Retrieved, Is.EqualTo(new[] { "address: 12 High Street, London N1 9GU" }));
            Assert.That(v1[Script.SmallTalk].Skills, Is.Empty);
        }

        string[][] facts =
        [
            ["4411", "2026-12-03"],
            ["25.00", "USD", "4411"],
            ["120.00", "EUR", "7788"],
            ["12 High Street, London N1 9GU"],
            ["Wireless Headphones", "59.90"],
            ["prefer email"],
            ["prefer email", "address: 12 High Street, London N1 9GU"],
            ["12 High Street, London N1 9GU"],
            [],
        ];
        for (var i = 0; i < facts.Length; i++)
        {
            foreach (var fact in facts[i])
            {
                Assert.That(v1[i].Reply, Does.Contain(fact), $"v1 turn {i}");
                Assert.That(v2[i].Reply, Does.Contain(fact), $"v2 turn {i}");
            }
        }
    }

    [Test]
    public async Task Turns_TwoConversations_TurnIndexCountsPerConversation()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        var a0 = await agent.TurnAsync("c-a", "u-1", "hi");
        var a1 = await agent.TurnAsync("c-a", "u-1", "hello again");
        var b0 = await agent.TurnAsync("c-b", "u-1", "hi");

        Assert.That(new[] { a0.TurnIndex, a1.TurnIndex, b0.TurnIndex }, Is.EqualTo(new[] { 0, 1, 0 }));
    }

    [Test]
    public async Task Turns_ConcurrentOnOneConversation_DistinctTurnIndexes()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        var turns = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => agent.TurnAsync("c-busy", $"u-{i % 4}", $"remember that I like item {i}")));

        Assert.That(turns.Select(t => t.TurnIndex).Order(), Is.EqualTo(Enumerable.Range(0, 40)));
        var memory = await agent.GetJsonAsync("v1/memory");
        Assert.That(memory["entries"]!.AsArray(), Has.Count.EqualTo(40));
    }
}
