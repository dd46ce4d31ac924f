using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DualStack.Core.Model;
using DualStack.Core.Stacks;
using DualStack.Core.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace DualStack.Core.Tests.Stacks;

public sealed class OpenAiAgentStackTests : WireMockTest
{
    private const string CompletionsPath = "/v1/chat/completions";


    private static TurnRequest Turn() => new() { ConversationId = "c-7~b~abc123", UserId = "u-7~b~abc123", Message = "Refund order 4411 please", TurnIndex = 0 };

    private IAgentStack CreateStack(bool stream = false, bool toolCallsAreSkills = true, string? tokenEnv = null, Func<string, string?>? environment = null) =>
        StackFactory.Create(
            "new",
            new StackConfig { Url = Server.Url, Adapter = AdapterKind.OpenAi, Stream = stream, ToolCallsAreSkills = toolCallsAreSkills, TokenEnv = tokenEnv },
            environment: environment ?? (_ => null));

    private void StubCompletion(string body, string contentType = "application/json") =>
        Server.Given(Request.Create().WithPath(CompletionsPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", contentType).WithBody(body));

    private static string Completion(string content, params (string Name, string Arguments)[] toolCalls)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
        if (toolCalls.Length > 0)
        {
            var calls = new JsonArray();
            for (var i = 0; i < toolCalls.Length; i++)
            {
                calls.Add(new JsonObject
                {
                    ["id"] = $"call_{i}",
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = toolCalls[i].Name, ["arguments"] = toolCalls[i].Arguments },
                });
            }

            message["tool_calls"] = calls;
        }

        return new JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion",
            ["choices"] = new JsonArray { new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = "stop" } },
        }.ToJsonString();
    }

    private static string Sse(params string[] events)
    {
        var body = new StringBuilder();
        foreach (var e in events)
        {
            body.Append("data: ").Append(e).Append("\n\n");
        }

        return body.ToString();
    }

    [Test]
    public async Task SendTurnAsync_CompletionWithToolCalls_MapsReplyAndSkillCallsWithParsedArguments()
    {
        StubCompletion(Completion("Your refund is on its way.", ("lookup_order", """{"orderId":"4411"}"""), ("issue_refund", """{"orderId":"4411","amount":25}""")));
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        Assert.That(observation.HttpStatus, Is.EqualTo(200));
        Assert.That(observation.Reply, Is.EqualTo("Your refund is on its way."));
        Assert.That(observation.SkillCalls!.Select(c => c.Name), Is.EqualTo(new[] { "lookup_order", "issue_refund" }));
        Assert.That(observation.SkillCalls![0].Arguments!.Value.GetProperty("orderId").GetString(), Is.EqualTo("4411"));
        Assert.That(observation.SkillCalls[1].Arguments!.Value.GetProperty("amount").GetInt32(), Is.EqualTo(25));
        Assert.That(observation.Memory, Is.Null, "the OpenAI contract exposes no memory: not observed");
    }

    [Test]
    public async Task SendTurnAsync_Request_CarriesConversationAsUserAndSessionHeaderAndBearerToken()
    {
        StubCompletion(Completion("ok"));
        using var stack = CreateStack(tokenEnv: "DS_TEST_AGENT_TOKEN", environment: name => name == "DS_TEST_AGENT_TOKEN" ? "s3cret-token" : null);

        await stack.SendTurnAsync(Turn(), CancellationToken.None);

        var request = Server.LogEntries.Single().RequestMessage!;
        var body = JsonNode.Parse(request.Body!)!;
        Assert.That(body["user"]!.GetValue<string>(), Is.EqualTo("c-7~b~abc123"));
        Assert.That(body["messages"]!.AsArray().Last()!["content"]!.GetValue<string>(), Is.EqualTo("Refund order 4411 please"));
        Assert.That(request.Headers!["x-openclaw-session-key"], Is.EqualTo(new[] { "c-7~b~abc123" }));
        Assert.That(request.Headers!["Authorization"], Is.EqualTo(new[] { "Bearer s3cret-token" }));
    }

    [Test]
    public async Task SendTurnAsync_SendHistory_SendsEarlierTurnsAsMessagesInOrder()
    {
        StubCompletion(Completion("ok"));
        using var stack = StackFactory.Create("new", new StackConfig { Url = Server.Url, Adapter = AdapterKind.OpenAi, SendHistory = true }, environment: _ => null);
        var request = Turn() with { TurnIndex = 2, History = [("Where is order 4411?", "It has shipped."), ("And 4412?", null)] };

        await stack.SendTurnAsync(request, CancellationToken.None);

        var messages = JsonNode.Parse(Server.LogEntries.Single().RequestMessage!.Body!)!["messages"]!.AsArray();
        Assert.That(messages.Select(m => $"{m!["role"]}: {m["content"]}"), Is.EqualTo(new[]
        {
            "user: Where is order 4411?",
            "assistant: It has shipped.",
            "user: And 4412?",
            "user: Refund order 4411 please",
        }));
    }

    [Test]
    public async Task SendTurnAsync_NoTokenEnv_SendsNoAuthorization()
    {
        StubCompletion(Completion("ok"));
        using var stack = CreateStack();

        await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(Server.LogEntries.Single().RequestMessage!.Headers!.ContainsKey("Authorization"), Is.False);
    }

    [Test]
    public void Create_TokenEnvNotSet_ThrowsNamingTheVariable()
    {
        var ex = Assert.Throws<ArgumentException>(() => CreateStack(tokenEnv: "DS_TEST_MISSING_TOKEN", environment: _ => null));

        Assert.That(ex!.Message, Does.Contain("DS_TEST_MISSING_TOKEN"));
    }

    [Test]
    public async Task SendTurnAsync_SseStream_AssemblesReplyAndToolCallSplitAcrossChunks()
    {
        StubCompletion(
            Sse(
                """{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}""",
                """{"choices":[{"index":0,"delta":{"content":"lo, "}}]}""",
                """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"issue_refund","arguments":""}}]}}]}""",
                """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"orderId\":"}}]}}]}""",
                """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_1","type":"function","function":{"name":"send_email","arguments":"{}"}}]}}]}""",
                """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"4411\",\"amount\":25}"}}]}}]}""",
                """{"choices":[{"index":0,"delta":{"content":"refund issued."}}]}""",
                """{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
                "[DONE]"),
            "text/event-stream");
        using var stack = CreateStack(stream: true);

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        Assert.That(observation.Reply, Is.EqualTo("Hello, refund issued."));
        Assert.That(observation.SkillCalls!.Select(c => c.Name), Is.EqualTo(new[] { "issue_refund", "send_email" }));
        var args = observation.SkillCalls![0].Arguments!.Value;
        Assert.That(args.GetProperty("orderId").GetString(), Is.EqualTo("4411"));
        Assert.That(args.GetProperty("amount").GetInt32(), Is.EqualTo(25));
        Assert.That(JsonNode.Parse(Server.LogEntries.Single().RequestMessage!.Body!)!["stream"]!.GetValue<bool>(), Is.True);
    }

    // Line ends as a server may send them; ": keepalive" comments, event/id/retry fields and an event whose JSON is
    // split over two data: lines (joined with \n) are SSE framing the adapter must read through, not data.
    [TestCase("\n", TestName = "SendTurnAsync_SseFramingWithLfLineEnds_AssemblesReply")]
    [TestCase("\r\n", TestName = "SendTurnAsync_SseFramingWithCrLfLineEnds_AssemblesReply")]
    [TestCase("\r", TestName = "SendTurnAsync_SseFramingWithCrOnlyLineEnds_AssemblesReply")]
    public async Task SendTurnAsync_SseFraming_AssemblesReply(string eol)
    {
        string[] lines =
        [
            ": keepalive", "retry: 3000", "",
            "event: message", "id: 1",
            """data: {"id":"run-7","choices":[{"index":0,""",
            """data:  "delta":{"role":"assistant","content":"Order 4411 "}}]}""", "",
            ": keepalive", "",
            """data:{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_0","type":"function",""",
            """data: "function":{"name":"lookup_order","arguments":"{\"orderId\":\"4411\"}"}}]}}]}""", "",
            """data: {"choices":[{"index":0,"delta":{"content":"has shipped."}}]}""", "",
            "data: [DONE]", "",
            """data: {"choices":[{"index":0,"delta":{"content":" (after DONE: never read)"}}]}""", "",
        ];
        StubCompletion(string.Join(eol, lines), "text/event-stream");
        using var stack = CreateStack(stream: true);

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(observation.Error, Is.Null, observation.RawResponse);
            Assert.That(observation.Reply, Is.EqualTo("Order 4411 has shipped."));
            Assert.That(observation.RunId, Is.EqualTo("run-7"));
            Assert.That(observation.SkillCalls!.Single().Name, Is.EqualTo("lookup_order"));
            Assert.That(observation.SkillCalls!.Single().Arguments!.Value.GetProperty("orderId").GetString(), Is.EqualTo("4411"));
        }
    }

    [Test]
    public async Task SendTurnAsync_SseEventOverTwoDataLines_JoinsThemWithANewline()
    {
        // Invalid JSON on the event's second data line: the parser reports it on line 1 of the event's data, which it
        // is only when the two lines were joined with "\n" (one line per data: field, as the SSE spec says).
        StubCompletion("data: {\"choices\": [],\ndata: oops}\n\ndata: [DONE]\n\n", "text/event-stream");
        using var stack = CreateStack(stream: true);

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.InvalidResponse));
        Assert.That(observation.Error!.Message, Does.Contain("not valid JSON").And.Contain("LineNumber: 1"));
        Assert.That(observation.RawResponse, Does.StartWith("data: {\"choices\": [],\ndata: oops}"), "the observation quotes the bytes the stack sent");
    }

    [Test]
    public async Task SendTurnAsync_StreamStaysOpenAfterDone_ReturnsAtDoneWithoutWaitingForTheEnd()
    {
        // The server sends [DONE] and keeps the connection open: the adapter reads events as they come and stops at
        // [DONE]; buffering the whole body would wait for an end that never comes (and fail with the turn timeout).
        var pipe = new System.IO.Pipelines.Pipe();
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Still here.\"}}]}\n\ndata: [DONE]\n\n"));
        using var client = new HttpClient(new StreamingHandler(pipe.Reader.AsStream())) { BaseAddress = new Uri("http://127.0.0.1:9/") };
        using var stack = new OpenAiAgentStack("new", client, new StackConfig { Adapter = AdapterKind.OpenAi, Stream = true }, TimeProvider.System, TimeSpan.FromMinutes(5));

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        Assert.That(observation.Reply, Is.EqualTo("Still here."));
        await pipe.Writer.CompleteAsync();
    }

    private sealed class StreamingHandler(Stream body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new StreamContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/event-stream");
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = content });
        }
    }

    [Test]
    public async Task SendTurnAsync_SseStreamEndsWithoutDone_ReturnsInvalidResponse()
    {
        StubCompletion(
            Sse(
                """{"choices":[{"index":0,"delta":{"content":"Hel"}}]}""",
                """{"choices":[{"index":0,"delta":{"content":"lo"}}]}"""),
            "text/event-stream");
        using var stack = CreateStack(stream: true);

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.InvalidResponse));
        Assert.That(observation.Error!.Message, Does.Contain("[DONE]"));
        Assert.That(observation.Reply, Is.Null, "a truncated stream is not a reply");
    }

    [Test]
    public async Task SendTurnAsync_MalformedToolArguments_KeepsThemAsTextWithoutError()
    {
        StubCompletion(Completion("Done.", ("issue_refund", """{"orderId": "4411", "amount": """)));
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        var args = observation.SkillCalls!.Single().Arguments!.Value;
        Assert.That(args.ValueKind, Is.EqualTo(JsonValueKind.String));
        Assert.That(args.GetString(), Is.EqualTo("""{"orderId": "4411", "amount": """));
    }

    [Test]
    public async Task SendTurnAsync_ToolCallsAreSkillsFalse_ReportsSkillsNotObserved()
    {
        StubCompletion(Completion("Done.", ("issue_refund", """{"orderId":"4411"}""")));
        using var stack = CreateStack(toolCallsAreSkills: false);

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error, Is.Null);
        Assert.That(observation.Reply, Is.EqualTo("Done."));
        Assert.That(observation.SkillCalls, Is.Null);
    }

    [Test]
    public async Task SendTurnAsync_CompletionWithoutToolCalls_ReportsNoCallsAsEmptyNotNull()
    {
        StubCompletion(Completion("Hello!"));
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.SkillCalls, Is.Not.Null.And.Empty);
    }

    [Test]
    public async Task SendTurnAsync_Status502_ReturnsHttpStatusError()
    {
        Server.Given(Request.Create().WithPath(CompletionsPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(502).WithBody("bad gateway upstream"));
        using var stack = CreateStack();

        var observation = await stack.SendTurnAsync(Turn(), CancellationToken.None);

        Assert.That(observation.Error?.Kind, Is.EqualTo(ObservationErrorKind.HttpStatus));
        Assert.That(observation.Error!.Message, Does.Contain("502").And.Contain("bad gateway upstream"));
        Assert.That(observation.HttpStatus, Is.EqualTo(502));
    }
}
