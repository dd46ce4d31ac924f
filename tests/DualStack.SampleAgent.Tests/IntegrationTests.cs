using System.Net;
using System.Text.Json.Nodes;
using DualStack.TestUtils;

namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed class IntegrationTests
{
    [Test]
    public async Task Turn_HttpIntegrations_CallsRoutesWithConversationHeaderAndReportsResults()
    {
        await using var sandbox = await FakeIntegrations.StartAsync();
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { IntegrationsBaseUrl = sandbox.BaseUrl, Faults = ["extra-skill"] });

        var status = await agent.TurnAsync("c-http", "u-1", "Where is order 4411?");
        var refund = await agent.TurnAsync("c-http", "u-1", "refund 10.00 USD on order 4411");
        var address = await agent.TurnAsync("c-http", "u-1", "I moved to 1 Main Street, Springfield 12345");
        var product = await agent.TurnAsync("c-http", "u-1", "do you sell lamps?");

        var calls = sandbox.Calls.ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(calls.Select(c => $"{c.Method} {c.PathAndQuery}"), Is.EqualTo(new[]
            {
                "GET /sandbox/crm/customers/u-1",
                "GET /sandbox/orders/4411",
                "GET /sandbox/crm/customers/u-1",
                "GET /sandbox/orders/4411",
                "POST /sandbox/refunds",
                "POST /sandbox/email/send",
                "GET /sandbox/crm/customers/u-1",
                "PUT /sandbox/crm/customers/u-1/address",
                "POST /sandbox/email/send",
                "GET /sandbox/crm/customers/u-1",
                "GET /sandbox/catalog/products?q=lamps",
            }));
            Assert.That(calls.Select(c => c.ConversationId), Has.All.EqualTo("c-http"));
            Assert.That(JsonNode.Parse(calls[4].Body)!.ToJsonString(), Is.EqualTo("""{"orderId":"4411","amount":10.00,"currency":"USD","reason":"customer request"}"""));
            Assert.That(JsonNode.Parse(calls[7].Body)!["address"]!.GetValue<string>(), Is.EqualTo("1 Main Street, Springfield 12345"));
            Assert.That(JsonNode.Parse(calls[8].Body)!.ToJsonString(), Is.EqualTo("""{"to":"u-1","template":"address_changed"}"""));

            Assert.That(status.Reply, Is.EqualTo("Order 4411 has shipped and should arrive on 2026-12-03."));
            Assert.That(status.SkillCalls[1].Result!["items"]![0]!["name"]!.GetValue<string>(), Is.EqualTo("Sandbox Lamp"));
            Assert.That(refund.SkillCalls.Select(s => s.Status), Has.All.EqualTo("ok"));
            Assert.That(refund.SkillCalls[2].Result!["refundId"]!.GetValue<string>(), Is.EqualTo("R-1"));
            Assert.That(address.Written, Is.EqualTo(new[] { "address: 1 Main Street, Springfield 12345" }));
            Assert.That(product.Reply, Is.EqualTo("We have: Sandbox Lamp (12.50 USD, in stock)."));
        }
    }

    [Test]
    public async Task Turn_IntegrationAnswers404_SkillErrorAndNotFoundReply()
    {
        await using var sandbox = await FakeIntegrations.StartAsync();
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { IntegrationsBaseUrl = sandbox.BaseUrl });

        var status = await agent.TurnAsync("c-1", "u-1", "Where is order 9999?");
        var refund = await agent.TurnAsync("c-1", "u-1", "I want my money back for order 9999");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status.SkillCalls, Has.Count.EqualTo(1));
            Assert.That(status.SkillCalls[0].Status, Is.EqualTo("error"));
            Assert.That(status.SkillCalls[0].HttpStatus, Is.EqualTo(404));
            Assert.That(status.Reply, Is.EqualTo("Sorry, I could not find order 9999."));
            Assert.That(refund.SkillCalls.Select(s => s.Name), Is.EqualTo(new[] { "lookup_order" }), "no refund for an unknown order");
            Assert.That(refund.Reply, Is.EqualTo("Sorry, I could not find order 9999, so I cannot issue a refund."));
        }
    }

    [Test]
    public async Task Turn_IntegrationsUnreachable_SkillErrorWithoutStatusAndFailureReply()
    {
        using var closed = new ClosedPort();
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { IntegrationsBaseUrl = closed.Url });

        var status = await agent.TurnAsync("c-1", "u-1", "Where is order 4411?");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status.SkillCalls[0].Status, Is.EqualTo("error"));
            Assert.That(status.SkillCalls[0].HttpStatus, Is.Null);
            Assert.That(status.SkillCalls[0].Error, Is.Not.Empty);
            Assert.That(status.Reply, Is.EqualTo("Sorry, I could not look up order 4411 right now. Please try again later."));
        }
    }

    [Test]
    public async Task Turn_BuiltInFixture_OrdersKnownPseudoAndMissing()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        var known = await agent.TurnAsync("c-1", "u-1", "status of my order #7788");
        var pseudo1 = await agent.TurnAsync("c-1", "u-1", "track 123456");
        var pseudo2 = await agent.TurnAsync("c-2", "u-2", "track 123456");
        var missing = await agent.TurnAsync("c-1", "u-1", "where is order 0000");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(known.SkillCalls[0].Result!["total"]!.ToJsonString(), Is.EqualTo("120.00"));
            Assert.That(known.SkillCalls[0].Result!["currency"]!.GetValue<string>(), Is.EqualTo("EUR"));
            Assert.That(known.Reply, Is.EqualTo("Order 7788 was delivered on 2026-11-25."));
            Assert.That(pseudo1.SkillCalls[0].Status, Is.EqualTo("ok"));
            Assert.That(pseudo1.SkillCalls[0].Result!.ToJsonString(), Is.EqualTo(pseudo2.SkillCalls[0].Result!.ToJsonString()));
            Assert.That(pseudo1.SkillCalls[0].Result!["eta"]!.GetValue<string>(), Does.Match(@"^\d{4}-\d{2}-\d{2}$"));
            Assert.That(missing.SkillCalls[0].HttpStatus, Is.EqualTo(404));
        }
    }
}
