using System.Text.Json;
using System.Text.Json.Nodes;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace DualStack.Cli.Tests;

/// <summary>
/// "Verify your own agent in five minutes": <c>verify --old URL --new URL --adapter …</c> with no scenario file, against
/// two OpenAI-compatible agents (WireMock stubs on loopback) that this repository did not write.
/// </summary>
public sealed class VerifyYourAgentTests
{
    private const string TokenVariable = "DUALSTACK_TEST_AGENT_TOKEN";
    private const string TokenValue = "test-token-1";

    private string _workDir = null!;
    private WireMockServer _old = null!;
    private WireMockServer _new = null!;

    [SetUp]
    public void SetUp()
    {
        _workDir = Path.Combine(Path.GetTempPath(), "dualstack-agent-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_workDir);
        _old = StartStub();
        _new = StartStub();
    }

    [TearDown]
    public void TearDown()
    {
        _old.Dispose();
        _new.Dispose();
        Directory.Delete(_workDir, recursive: true);
    }

    private static WireMockServer StartStub() => WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"], StartAdminInterface = false });

    /// <summary>Every turn answers the same reply and one <c>lookup_order</c> tool call with <paramref name="orderId"/>; /v1/models answers for <c>stacks check</c>.</summary>
    private static void AnswerEveryTurn(WireMockServer server, string orderId)
    {
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = "Order 4411 was shipped on 2 March and arrives tomorrow.",
            ["tool_calls"] = new JsonArray
            {
                new JsonObject
                {
                    ["id"] = "call_1",
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = "lookup_order", ["arguments"] = new JsonObject { ["orderId"] = orderId }.ToJsonString() },
                },
            },
        };
        var completion = new JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion",
            ["choices"] = new JsonArray { new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = "tool_calls" } },
        };
        server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(completion.ToJsonString()));
        server.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{ "object": "list", "data": [ { "id": "agent-1", "object": "model" } ] }"""));
    }

    private Task<CliRunner.CliResult> Verify(params string[] extra) =>
        CliRunner.RunAsync(_workDir, ["verify", "--old", _old.Url!, "--new", _new.Url!, "--adapter", "openai", "--synthetic", "20", "--reports", "out", .. extra]);

    [Test]
    public async Task Verify_IdenticalOpenAiAgentsWithoutScenarioFile_ExitsZero()
    {
        AnswerEveryTurn(_old, "4411");
        AnswerEveryTurn(_new, "4411");

        var result = await Verify();

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain("replaying 20 conversations").And.Contain("from command line"), "only the synthetic conversations, no scripted shop conversation");
        Assert.That(result.Stdout, Does.Contain("(critical 0, major 0,"), result.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(_workDir, "out"), "results.json", SearchOption.AllDirectories).Single()));
        Assert.That(doc.RootElement.GetProperty("conversations").GetArrayLength(), Is.EqualTo(20));
        // No shop-specific expectation is asked of an agent this repository did not write.
        Assert.That(doc.RootElement.GetRawText(), Does.Not.Contain("\"expect."), "no expect.* finding");
        Assert.That(_new.LogEntries.Count(e => e.RequestMessage!.Path == "/v1/chat/completions"), Is.GreaterThanOrEqualTo(20), "the new stack was asked every synthetic conversation through the openai adapter");
    }

    [Test]
    public async Task Verify_NewAgentChangesAToolCallWithoutScenarioFile_ExitsOneNamingTheArgument()
    {
        AnswerEveryTurn(_old, "4411");
        AnswerEveryTurn(_new, "4412");

        var result = await Verify();

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stdout, Does.Contain("skills.args:lookup_order.$.orderId"), result.ToString());
    }

    [Test]
    public async Task Verify_ModelAndTokenEnvFlags_ReachBothAgents()
    {
        AnswerEveryTurn(_old, "4411");
        AnswerEveryTurn(_new, "4411");
        Environment.SetEnvironmentVariable(TokenVariable, TokenValue);
        try
        {
            var result = await Verify("--model", "agent-7", "--token-env", TokenVariable);

            Assert.That(result.ExitCode, Is.Zero, result.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(TokenVariable, null);
        }

        foreach (var server in new[] { _old, _new })
        {
            var turns = server.LogEntries.Where(e => e.RequestMessage!.Path == "/v1/chat/completions").ToArray();
            Assert.That(turns, Is.Not.Empty);
            Assert.That(turns.Select(e => JsonNode.Parse(e.RequestMessage!.Body!)!["model"]!.GetValue<string>()), Is.All.EqualTo("agent-7"));
            Assert.That(turns.Select(e => e.RequestMessage!.Headers!["Authorization"].Single()), Is.All.EqualTo("Bearer " + TokenValue));
        }
    }

    [TestCase("verify", "--old", "{old}", "--new", "{new}", "--adapter", "openapi", "--synthetic", "2")]
    [TestCase("stacks", "check", "{old}", "--adapter", "openapi")]
    public async Task UnknownAdapter_ExitsTwoNamingTheAllowedValues(params string[] args)
    {
        var result = await CliRunner.RunAsync(_workDir, args.Select(a => a.Replace("{old}", _old.Url, StringComparison.Ordinal).Replace("{new}", _new.Url, StringComparison.Ordinal)).ToArray());

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("--adapter 'openapi' is not one of native, openai, openclaw"));
        Assert.That(_old.LogEntries, Is.Empty, "rejected before any stack was called");
    }

    [Test]
    public async Task Verify_StacksFromFlagsButNoConversations_ExitsTwoNamingSyntheticAndSource()
    {
        var result = await CliRunner.RunAsync(_workDir, "verify", "--old", _old.Url!, "--new", _new.Url!, "--adapter", "openai");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("no conversations to replay: give --synthetic N or --source FILE"));
    }

    [Test]
    public async Task Verify_ForeignAdapterWithoutUrls_ExitsTwoInsteadOfTalkingOpenAiToTheSampleStacks()
    {
        var result = await CliRunner.RunAsync(_workDir, "verify", "--adapter", "openclaw", "--synthetic", "2");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("adapter 'openclaw' needs --old and --new"));
    }

    [TestCase("--old", "not-a-url", "--old: 'not-a-url' is not an absolute http(s) URL")]
    [TestCase("--token-env", "DUALSTACK_TEST_NOT_SET", "--token-env: environment variable 'DUALSTACK_TEST_NOT_SET' is not set")]
    [TestCase("--model", " ", "--model: ' ' is empty")]
    public async Task Verify_BadStackFlag_ExitsTwoNamingFlagAndValue(string option, string value, string message)
    {
        string[] args = ["verify", "--old", _old.Url!, "--new", _new.Url!, "--adapter", "openai", "--synthetic", "2"];
        args = option == "--old" ? [.. args.Where((_, i) => i is not (1 or 2)), option, value] : [.. args, option, value];

        var result = await CliRunner.RunAsync(_workDir, args);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain(message));
        Assert.That(result.Stderr, Does.Not.Contain("   at "));
    }

    [Test]
    public async Task Verify_ScenarioFileWithAdapterFlag_FlagReplacesTheFilesAdapterAndIsValidatedWithIt()
    {
        File.WriteAllText(Path.Combine(_workDir, "agent.json"), """
            { "stacks": { "old": { "adapter": "openclaw", "agentId": "support" }, "new": { "adapter": "openclaw", "agentId": "support" } },
              "conversations": [ { "id": "hello", "turns": [ { "message": "Hi, what can you do?" } ] } ] }
            """);

        var result = await CliRunner.RunAsync(_workDir, "verify", "--scenario", "agent.json", "--old", _old.Url!, "--new", _new.Url!, "--adapter", "openai");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("agent.json: stacks.old.agentId: 'support' is only used by adapter 'openclaw' (this stack's adapter is 'openai')"));
    }
}
