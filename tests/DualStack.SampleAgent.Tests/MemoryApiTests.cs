using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent.Tests;

[TestFixture]
public sealed class MemoryApiTests
{
    private static async Task<JsonObject> PutAsync(AgentClient agent, string id, string userId, string text, string? createdAt = "2026-11-01T10:00:00+00:00")
    {
        using var response = await agent.Http.PutAsJsonAsync($"v1/memory/{id}", new { userId, text, conversationId = "c-9", createdAt }, AgentClient.Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private static string[] Ids(JsonObject page) => page["entries"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToArray();

    private static string Cursor(JsonObject page) => page["cursor"]!.GetValue<string>();

    [Test]
    public async Task Put_SameEntryTwice_IdempotentAndCursorUnchanged()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        var first = await PutAsync(agent, "x-1", "u-1", "prefers email");
        var afterFirst = await agent.GetJsonAsync("v1/memory");
        var second = await PutAsync(agent, "x-1", "u-1", "prefers email");
        var afterSecond = await agent.GetJsonAsync("v1/memory");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.ToJsonString(), Is.EqualTo(first.ToJsonString()));
            Assert.That(first["createdAt"]!.GetValue<DateTimeOffset>(), Is.EqualTo(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero)));
            Assert.That(Ids(afterSecond), Is.EqualTo(new[] { "x-1" }));
            Assert.That(Cursor(afterSecond), Is.EqualTo(Cursor(afterFirst)));
        }
    }

    [Test]
    public async Task Get_SinceCursor_ReturnsOnlyNewerWritesAndUpsertsInOrder()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());
        await PutAsync(agent, "a", "u-1", "likes tea");
        await PutAsync(agent, "b", "u-1", "likes cake");
        var cursor = Cursor(await agent.GetJsonAsync("v1/memory"));

        await agent.TurnAsync("c-1", "u-2", "remember that I prefer email");
        await PutAsync(agent, "a", "u-1", "likes green tea");
        var newer = await agent.GetJsonAsync($"v1/memory?since={cursor}");
        var nothingNew = await agent.GetJsonAsync($"v1/memory?since={Cursor(newer)}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Ids(newer), Has.Length.EqualTo(2));
            Assert.That(Ids(newer)[0], Does.Match("^m-[0-9a-f]{8}-1$"), "generated ids carry a per-stack prefix so they never collide across stacks");
            Assert.That(Ids(newer)[1], Is.EqualTo("a"));
            Assert.That(newer["entries"]![0]!["text"]!.GetValue<string>(), Is.EqualTo("prefer email"));
            Assert.That(newer["entries"]![0]!["conversationId"]!.GetValue<string>(), Is.EqualTo("c-1"));
            Assert.That(newer["entries"]![1]!["text"]!.GetValue<string>(), Is.EqualTo("likes green tea"));
            Assert.That(Ids(nothingNew), Is.Empty);
            Assert.That(Cursor(nothingNew), Is.EqualTo(Cursor(newer)));
        }
    }

    [Test]
    public async Task Get_WithLimit_PagesThroughAllEntries()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());
        for (var i = 0; i < 7; i++)
        {
            await PutAsync(agent, $"e-{i}", "u-1", $"fact {i}");
        }

        var seen = new List<string>();
        var pageSizes = new List<int>();
        var cursor = "0";
        while (true)
        {
            var page = await agent.GetJsonAsync($"v1/memory?userId=u-1&since={cursor}&limit=3");
            var ids = Ids(page);
            if (ids.Length == 0)
            {
                break;
            }

            pageSizes.Add(ids.Length);
            seen.AddRange(ids);
            cursor = Cursor(page);
        }

        Assert.That(pageSizes, Is.EqualTo(new[] { 3, 3, 1 }));
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, 7).Select(i => $"e-{i}")));
    }

    [Test]
    public async Task Get_WithUserId_OnlyThatUsersEntries()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());
        await PutAsync(agent, "a", "u-1", "likes tea");
        await PutAsync(agent, "b", "u-2", "likes coffee");

        Assert.That(Ids(await agent.GetJsonAsync("v1/memory?userId=u-2")), Is.EqualTo(new[] { "b" }));
        Assert.That(Ids(await agent.GetJsonAsync("v1/memory")), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task Turn_AfterUpsertedMemory_RetrievesItAndGeneratedIdsDoNotCollide()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());
        await PutAsync(agent, "m-1", "u-1", "prefer email");

        var recall = await agent.TurnAsync("c-1", "u-1", "Do you know my email preference?");
        var remember = await agent.TurnAsync("c-1", "u-1", "remember that my dog is called Rex");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(recall.Memory.Retrieved.Select(r => r.Id), Is.EqualTo(new[] { "m-1" }));
            Assert.That(recall.Memory.Retrieved[0].Score, Is.GreaterThan(0).And.LessThanOrEqualTo(1));
            Assert.That(recall.Reply, Does.Contain("prefer email"));
            Assert.That(remember.Memory.Written.Select(w => w.Id).Single(), Is.Not.EqualTo("m-1").And.StartsWith("m-"));
        }
    }

    [TestCase("v1/memory?since=abc", "since")]
    [TestCase("v1/memory?limit=0", "limit")]
    [TestCase("v1/memory?limit=lots", "limit")]
    public async Task Get_BadQuery_Returns400NamingParameter(string path, string parameter)
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        using var response = await agent.Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(body, Does.Contain($"'{parameter}'"));
    }

    [Test]
    public async Task Put_MissingText_Returns400NamingText()
    {
        await using var agents = new Agents();
        var agent = await agents.StartAsync(new SampleAgentOptions());

        using var response = await agent.Http.PutAsJsonAsync("v1/memory/x", new { userId = "u-1" });
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body, Does.Contain("'text'"));
    }
}
