using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed class HostingTests
{
    [Test]
    public async Task Health_V2WithFaults_ReportsProfileVersionAndFaults()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { Profile = "v2", Faults = ["drop-skill", "latency:5"] });

        var health = await agent.GetJsonAsync("v1/health");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(health["status"]!.GetValue<string>(), Is.EqualTo("ok"));
            Assert.That(health["profile"]!.GetValue<string>(), Is.EqualTo("v2"));
            Assert.That(health["version"]!.GetValue<string>(), Does.Match(@"^v2/\d+\.\d+\.\d+"));
            Assert.That(health["faults"]!.AsArray().Select(f => f!.GetValue<string>()), Is.EqualTo(new[] { "drop-skill", "latency:5" }));
        }
    }

    [Test]
    public async Task AdminFaults_Post_ReplacesFaultsAndHealthShowsThem()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { Faults = ["drop-skill"] });

        using var post = await agent.Http.PostAsJsonAsync("v1/admin/faults", new { faults = new[] { "errors:10", "skip-memory" } });
        var current = await agent.GetJsonAsync("v1/admin/faults");
        var health = await agent.GetJsonAsync("v1/health");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(current["faults"]!.AsArray().Select(f => f!.GetValue<string>()), Is.EqualTo(new[] { "errors:10", "skip-memory" }));
            Assert.That(health["faults"]!.AsArray(), Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task AdminFaults_UnknownFault_Returns400AndKeepsFaults()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions { Faults = ["drop-skill"] });

        using var post = await agent.Http.PostAsJsonAsync("v1/admin/faults", new { faults = new[] { "bogus" } });
        var body = await post.Content.ReadAsStringAsync();
        var current = await agent.GetJsonAsync("v1/admin/faults");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body, Does.Contain("unknown fault 'bogus'"));
            Assert.That(current["faults"]!.AsArray().Select(f => f!.GetValue<string>()), Is.EqualTo(new[] { "drop-skill" }));
        }
    }

    [Test]
    public async Task SetFaults_AtRuntime_ChangesNextTurn()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());
        var before = await agent.TurnAsync("c-1", "u-1", "Please refund order 4411");

        agents.Last.SetFaults(["drop-skill"]);
        var after = await agent.TurnAsync("c-2", "u-1", "Please refund order 4411");

        Assert.That(before.SkillCalls.Select(s => s.Name), Does.Contain("send_email"));
        Assert.That(after.SkillCalls.Select(s => s.Name), Does.Not.Contain("send_email"));
        Assert.Throws<ArgumentException>(() => agents.Last.SetFaults(["nope"]));
    }

    [Test]
    public async Task Webhooks_Post_Returns202AndListsIt()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        using var post = await agent.Http.PostAsJsonAsync("v1/webhooks/shipment", new { conversationId = "c-7", trackingId = "T1" });
        var accepted = JsonNode.Parse(await post.Content.ReadAsStringAsync())!;
        using var list = await agent.Http.GetAsync("v1/webhooks");
        var received = JsonNode.Parse(await list.Content.ReadAsStringAsync())!.AsArray();
        using var bad = await agent.Http.PostAsJsonAsync("v1/webhooks/shipment", new { trackingId = "T1" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(accepted["received"]!.GetValue<bool>(), Is.True);
            Assert.That(accepted["conversationId"]!.GetValue<string>(), Is.EqualTo("c-7"));
            Assert.That(received, Has.Count.EqualTo(1));
            Assert.That(received[0]!["name"]!.GetValue<string>(), Is.EqualTo("shipment"));
            Assert.That(received[0]!["conversationId"]!.GetValue<string>(), Is.EqualTo("c-7"));
            Assert.That(received[0]!["receivedAt"], Is.Not.Null);
            Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }
    }

    [Test]
    public async Task StartAsync_TwoServers_DistinctLoopbackAddresses()
    {
        await using var agents = new Agents();
        await agents.StartAsync(new SampleAgentOptions());
        var first = agents.Last.BaseAddress;
        await agents.StartAsync(new SampleAgentOptions());

        Assert.That(first.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(first.AbsolutePath, Is.EqualTo("/"));
        Assert.That(agents.Last.BaseAddress, Is.Not.EqualTo(first));
    }
}
