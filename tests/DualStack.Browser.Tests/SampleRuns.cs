using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Verdicts;
using DualStack.Sandbox;

namespace DualStack.Browser.Tests;

/// <summary>Deterministic run results judged by the real verdict engine from hand-made observations.</summary>
internal static class SampleRuns
{
    public const string RefundId = "refund-4411";
    public const string RewordedId = "reworded-order-status";
    public const string FailedId = "new-fails-500";
    public const string UnreachableId = "new-unreachable";

    private static readonly DateTimeOffset Started = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The demo scenario replayed to the embedded sample stacks, <paramref name="fault"/> planted in the new one (lexical judge).</summary>
    public static async Task<RunResult> DemoWithFaultAsync(string fault, CancellationToken cancellationToken)
    {
        var scenarioPath = EmbeddedStacks.FindRepoFile(Path.Combine("scenarios", "demo.json")) ?? throw new InvalidOperationException("scenarios/demo.json not found");
        var scenario = ScenarioLoader.Load(scenarioPath);
        await using var stacks = await EmbeddedStacks.StartAsync(new EmbeddedStackOptions { NewFaults = [fault] }, cancellationToken);
        using var oldStack = StackFactory.Create("old", new StackConfig { Url = stacks.OldServer.BaseAddress.AbsoluteUri });
        using var newStack = StackFactory.Create("new", new StackConfig { Url = stacks.NewServer.BaseAddress.AbsoluteUri });
        return await VerificationRunner.RunAsync(
            new VerificationRequest { Scenario = scenario, Old = oldStack, New = newStack, Conversations = scenario.Conversations, Semantic = null },
            progress: null,
            timeProvider: null,
            cancellationToken);
    }

    /// <summary>Four conversations: a refund regression (27.50 vs 25.00), a rewording (match), a 500 from new (regression), new unreachable (error).</summary>
    public static RunResult Build()
    {
        var engine = new VerdictEngine(new ComparisonConfig());
        var memory = Memory(("prefers email", 0.82));
        var conversations = new[]
        {
            Judge(engine, RefundId, "u-1001", ["refunds", "demo"],
                Step("Hi there!", "Hello! How can I help you today?", "Hello! How can I help you today?", "Hello! How can I help you today?", [], [], memory),
                Step(
                    "Please refund order 4411, the headphones arrived broken.",
                    "A refund of 25.00 USD for order 4411 has been issued.",
                    "A refund of 25.00 USD for order 4411 has been issued.",
                    "A refund of 27.50 USD for order 4411 has been issued.",
                    RefundCalls(25m),
                    RefundCalls(27.5m),
                    memory)),
            Judge(engine, RewordedId, "u-1002", ["orders"],
                Step(
                    "Where is order 7788?",
                    "Your order 7788 has shipped and will arrive on Friday.",
                    "Your order 7788 has shipped and will arrive on Friday.",
                    "Order 7788 has shipped and it will arrive on Friday.",
                    [Call("lookup_order", new { orderId = "7788" })],
                    [Call("lookup_order", new { orderId = "7788" })],
                    memory)),
            Judge(engine, FailedId, "u-1003", ["smalltalk"],
                new TurnReplayDraft(
                    "Good morning",
                    Ok("old", "Good morning! What can I do for you?", [], memory, 95),
                    Ok("old", "Good morning! What can I do for you?", [], memory, 97),
                    Failed("new", ObservationErrorKind.HttpStatus, 500, "HTTP 500: {\"title\":\"internal error\"}", "{\"title\":\"internal error\",\"status\":500}"))),
            Judge(engine, UnreachableId, "u-1004", ["orders"],
                new TurnReplayDraft(
                    "Can I change my delivery address?",
                    Ok("old", "Sure, which address should I use?", [], memory, 90),
                    Ok("old", "Sure, which address should I use?", [], memory, 92),
                    Failed("new", ObservationErrorKind.Connection, null, "connection refused (127.0.0.1:9)", null))),
        };

        var draft = new RunResult
        {
            RunId = "20261130-120000-b10c4d",
            Scenario = "browser-sample",
            StartedAt = Started,
            FinishedAt = Started.AddSeconds(12.5),
            Stacks = new RunStacks(new StackInfo("old", "http://127.0.0.1:5100/", "1.0.0"), new StackInfo("new", "http://127.0.0.1:5101/", "2.0.0")),
            Seed = 42,
            Summary = VerdictEngine.Summarize(conversations),
            Conversations = conversations,
        };
        return engine.Finish(draft);
    }

    /// <summary>One conversation of one turn whose observations are given as is (for encoding and redaction tests).</summary>
    public static RunResult Single(string id, string message, StackObservation old, StackObservation repeat, StackObservation @new)
    {
        var engine = new VerdictEngine(new ComparisonConfig());
        var conversation = Judge(engine, id, "u-9", [], new TurnReplayDraft(message, old, repeat, @new));
        return engine.Finish(new RunResult
        {
            RunId = "unit",
            Scenario = "unit",
            StartedAt = Started,
            FinishedAt = Started.AddSeconds(1),
            Stacks = new RunStacks(new StackInfo("old", "http://127.0.0.1:1/", null), new StackInfo("new", "http://127.0.0.1:2/", null)),
            Summary = VerdictEngine.Summarize([conversation]),
            Conversations = [conversation],
        });
    }

    public static StackObservation Ok(string stack, string reply, IReadOnlyList<SkillCall> calls, MemoryObservation memory, double latencyMs, string? raw = null) => new()
    {
        Stack = stack,
        ConversationId = $"conv~{stack}",
        HttpStatus = 200,
        LatencyMs = latencyMs,
        Reply = reply,
        SkillCalls = calls,
        Memory = memory,
        RawResponse = raw ?? JsonSerializer.Serialize(new { reply, skillCalls = calls, memory }, DualStackJson.Options),
    };

    public static MemoryObservation Memory(params (string Text, double Score)[] retrieved) => new()
    {
        Retrieved = retrieved.Select((r, i) => new MemoryHit { Id = $"m-{i + 1}", Text = r.Text, Score = r.Score }).ToArray(),
        Written = [],
    };

    private static StackObservation Failed(string stack, ObservationErrorKind kind, int? status, string message, string? raw) => new()
    {
        Stack = stack,
        ConversationId = $"conv~{stack}",
        HttpStatus = status,
        LatencyMs = 12,
        Error = new ObservationError(kind, message),
        RawResponse = raw,
    };

    private static TurnReplayDraft Step(string message, string oldReply, string repeatReply, string newReply, IReadOnlyList<SkillCall> oldCalls, IReadOnlyList<SkillCall> newCalls, MemoryObservation memory) =>
        new(message, Ok("old", oldReply, oldCalls, memory, 120), Ok("old", repeatReply, oldCalls, memory, 118), Ok("new", newReply, newCalls, memory, 131));

    private static SkillCall[] RefundCalls(decimal amount) =>
    [
        Call("lookup_order", new { orderId = "4411" }),
        Call("issue_refund", new { orderId = "4411", amount, currency = "USD" }),
        Call("send_email", new { to = "customer@example.com", template = "refund-issued" }),
    ];

    private static SkillCall Call(string name, object arguments) => new()
    {
        Name = name,
        Arguments = JsonSerializer.SerializeToElement(arguments, DualStackJson.Options),
        Status = "ok",
    };

    private static ConversationResult Judge(VerdictEngine engine, string id, string userId, IReadOnlyList<string> tags, params TurnReplayDraft[] turns)
    {
        var conversation = new Conversation
        {
            Id = id,
            UserId = userId,
            Tags = tags,
            Turns = turns.Select(t => new Turn { Message = t.Message }).ToArray(),
        };
        var replays = turns.Select((t, i) => new TurnReplay(
            i,
            conversation.Turns[i],
            t.Old with { TurnIndex = i, ConversationId = $"{id}~a~b10c4d" },
            t.Repeat with { TurnIndex = i, ConversationId = $"{id}~a2~b10c4d" },
            t.New with { TurnIndex = i, ConversationId = $"{id}~b~b10c4d" })).ToArray();
        var laneIds = new Dictionary<Lane, string>
        {
            [Lane.Old] = $"{id}~a~b10c4d",
            [Lane.OldRepeat] = $"{id}~a2~b10c4d",
            [Lane.New] = $"{id}~b~b10c4d",
        };
        return engine.JudgeConversation(new ConversationReplay(conversation, replays, Completed: true), laneIds);
    }

    private sealed record TurnReplayDraft(string Message, StackObservation Old, StackObservation Repeat, StackObservation New);
}
