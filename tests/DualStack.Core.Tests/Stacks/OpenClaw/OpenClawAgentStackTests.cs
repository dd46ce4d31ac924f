using System.Text.Json.Nodes;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Stacks;
using DualStack.Core.Tests.Support;
using Microsoft.Data.Sqlite;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace DualStack.Core.Tests.Stacks.OpenClaw;

public sealed class OpenClawAgentStackTests : WireMockTest
{
    private string _root = null!;

    [SetUp]
    public void CreateRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), "dualstack-openclaw-stack-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(_root, "state"));
        Directory.CreateDirectory(Path.Combine(_root, "workspace"));
    }

    [TearDown]
    public void DeleteRoot()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private static TurnRequest Turn(string conversation = "order-status~a~abc123") => new() { ConversationId = conversation, UserId = "u~a~abc123", Message = "Where is order 4411?" };

    private static string Completion(string id, string content) =>
        new JsonObject { ["id"] = id, ["object"] = "chat.completion", ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content } }) }.ToJsonString();

    private IAgentStack Create(StackConfig config) =>
        StackFactory.Create("old", config with { Url = Server.Url, Adapter = AdapterKind.OpenClaw }, environment: name => name == "OC_TOKEN" ? "oc-secret" : null);

    [Test]
    public async Task SendTurnAsync_OpenClaw_SendsSessionKeyAgentModelAndToken()
    {
        Server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Completion("chatcmpl_1", "On its way.")));
        using var stack = Create(new StackConfig { AgentId = "support", TokenEnv = "OC_TOKEN" });

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        var request = Server.LogEntries.Single().RequestMessage!;
        var body = JsonNode.Parse(request.Body!)!;
        Assert.Multiple(() =>
        {
            Assert.That(observation.Reply, Is.EqualTo("On its way."));
            Assert.That(observation.RunId, Is.EqualTo("chatcmpl_1"));
            Assert.That(body["model"]!.GetValue<string>(), Is.EqualTo("openclaw/support"));
            Assert.That(body["user"]!.GetValue<string>(), Is.EqualTo("order-status~a~abc123"));
            Assert.That(body["messages"]!.AsArray(), Has.Count.EqualTo(1), "the gateway keeps the session: no history resent");
            Assert.That(request.Headers!["x-openclaw-session-key"], Is.EqualTo(new[] { "order-status~a~abc123" }));
            Assert.That(request.Headers!["x-openclaw-agent-id"], Is.EqualTo(new[] { "support" }));
            Assert.That(request.Headers!["Authorization"], Is.EqualTo(new[] { "Bearer oc-secret" }));
        });
    }

    [Test]
    public async Task SendTurnAsync_NoStateDirNorWorkspace_SkillsAndMemoryNotObservedWithReasons()
    {
        Server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Completion("chatcmpl_1", "ok")));
        using var stack = Create(new StackConfig());

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.SkillCalls, Is.Null);
        Assert.That(observation.Memory, Is.Null);
        Assert.That(observation.NotObserved!["skills"], Does.Contain("no stateDir"));
        Assert.That(observation.NotObserved!["memory"], Does.Contain("no workspace"));
        var result = new SkillComparer(new SkillComparisonConfig()).Compare(new TurnReplay(0, new Turn { Message = "x" }, observation, null, observation));
        Assert.That(result.Verdict, Is.EqualTo(Verdict.NotObserved));
        Assert.That(result.Reason, Does.Contain("no stateDir configured"));
    }

    [Test]
    public async Task SendTurnAsync_StateDirAndWorkspace_SkillsFromTrajectoryByCompletionIdAndMemoryFromFileDiff()
    {
        var state = Path.Combine(_root, "state");
        var workspace = Path.Combine(_root, "workspace");
        OpenClawStore.Create(state);
        File.WriteAllText(Path.Combine(workspace, "MEMORY.md"), "- prefers email\n");
        Server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Response.Create().WithCallback(_ =>
        {
            // The agent's write tool runs during the turn.
            Directory.CreateDirectory(Path.Combine(workspace, "memory"));
            File.WriteAllText(Path.Combine(workspace, "memory", "notes.md"), "- favourite colour: teal\n");
            return new WireMock.ResponseMessage
            {
                StatusCode = 200,
                Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new WireMock.Util.BodyData { BodyAsString = Completion(OpenClawStore.MemorySearchRun, "On its way."), DetectedBodyType = WireMock.Types.BodyType.String },
            };
        }));
        using var stack = Create(new StackConfig { StateDir = state, Workspace = workspace });

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.NotObserved, Is.Null);
        Assert.That(observation.SkillCalls!.Select(c => c.Name), Is.EqualTo(new[] { "memory_search" }));
        Assert.That(observation.Memory!.Written!.Select(w => (w.Id, w.Text)), Is.EqualTo(new[] { ("memory/notes.md", "- favourite colour: teal") }));
        Assert.That(observation.Memory.Retrieved, Is.Null, "retrieval is seen as memory_search skill calls, not as memory hits");
    }

    [Test]
    public async Task SendTurnAsync_ConcurrentTurnsWithWorkspace_RunOneAtATime()
    {
        var inFlight = 0;
        var maxInFlight = 0;
        Server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Response.Create().WithCallback(_ =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            Thread.Sleep(150);
            Interlocked.Decrement(ref inFlight);
            return new WireMock.ResponseMessage
            {
                StatusCode = 200,
                Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new WireMock.Util.BodyData { BodyAsString = Completion("chatcmpl_x", "ok"), DetectedBodyType = WireMock.Types.BodyType.String },
            };
        }));
        using var stack = Create(new StackConfig { Workspace = Path.Combine(_root, "workspace") });

        var turns = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => stack.SendTurnAsync(Turn($"c{i}~a~x"), CancellationToken.None).AsTask()));

        Assert.That(turns.All(t => t.Succeeded && t.Memory is { Written.Count: 0 }), Is.True);
        Assert.That(maxInFlight, Is.EqualTo(1), "memory observation must serialise turns to one stack");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
