using DualStack.Core.Privacy;
using System.Text;
using BenchmarkDotNet.Attributes;
using DualStack.Core.Capture;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Reports;
using DualStack.Core.Results;
using DualStack.Core.Routing;
using DualStack.Core.Runs;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Core.Synthetic;
using DualStack.Core.Verdicts;
using DualStack.Sandbox;
using DualStack.Semantic;

namespace DualStack.Benchmarks;

/// <summary>Reply comparison of ~1 KB replies: lexical (normalise + Dice + facts + word diff) and MiniLM semantic, cold and cached.</summary>
[MemoryDiagnoser]
public class ComparerBenchmarks
{
    private ReplyComparer _lexical = null!;
    private ReplyComparer _semantic = null!;
    private MiniLmSimilarity _model = null!;
    private TurnReplay _turn = null!;
    private int _cold;

    [GlobalSetup]
    public void Setup()
    {
        _turn = Turn(OldReply, NewReply);
        _lexical = new ReplyComparer(new ReplyComparisonConfig());
        _model = new MiniLmSimilarity();
        _semantic = new ReplyComparer(new ReplyComparisonConfig(), _model);
        _semantic.Compare(_turn); // warm the embedding cache
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark(Description = "reply: lexical, 1 KB")]
    public DimensionResult Lexical() => _lexical.Compare(_turn);

    [Benchmark(Description = "reply: semantic (MiniLM), 1 KB, cached embeddings")]
    public DimensionResult SemanticCached() => _semantic.Compare(_turn);

    [Benchmark(Description = "reply: semantic (MiniLM), 1 KB, cold (new text each time)")]
    public DimensionResult SemanticCold()
    {
        var n = Interlocked.Increment(ref _cold);
        return _semantic.Compare(Turn(_turn.Old.Reply + " #" + n, _turn.New.Reply + " #" + n));
    }

    /// <summary>About 1 KB: the old stack's refund confirmation, repeated.</summary>
    internal static readonly string OldReply = Reply("Your refund of 25.00 USD for order 4411 has been issued and a confirmation e-mail is on its way.");

    /// <summary>About 1 KB: the same facts, reworded.</summary>
    internal static readonly string NewReply = Reply("Good news: 25.00 USD is being refunded for order 4411, and we've e-mailed you a confirmation.");

    internal static string Reply(string sentence)
    {
        var text = new StringBuilder();
        var i = 0;
        while (text.Length < 1000)
        {
            text.Append(sentence).Append(" (item ").Append(i++).Append(") ");
        }

        return text.ToString();
    }

    internal static TurnReplay Turn(string? old, string? @new) => new(
        0,
        new Turn { Message = "refund" },
        new StackObservation { Stack = "old", ConversationId = "c~a~000000", Reply = old, SkillCalls = [], Memory = new MemoryObservation { Retrieved = [], Written = [] } },
        new StackObservation { Stack = "old", ConversationId = "c~a2~000000", Reply = old, SkillCalls = [], Memory = new MemoryObservation { Retrieved = [], Written = [] } },
        new StackObservation { Stack = "new", ConversationId = "c~b~000000", Reply = @new, SkillCalls = [], Memory = new MemoryObservation { Retrieved = [], Written = [] } });
}

/// <summary>Skill and memory comparers on a realistic refund turn.</summary>
[MemoryDiagnoser]
public class SkillMemoryBenchmarks
{
    private readonly SkillComparer _skills = new(new SkillComparisonConfig());
    private readonly MemoryComparer _memory = new(new MemoryComparisonConfig(), new TextNormalizer(new ReplyComparisonConfig()));
    private TurnReplay _turn = null!;

    [GlobalSetup]
    public void Setup()
    {
        SkillCall Call(string name, string json) => new() { Name = name, Arguments = System.Text.Json.JsonDocument.Parse(json).RootElement.Clone(), Status = "ok" };
        IReadOnlyList<SkillCall> calls(decimal amount) => [Call("lookup_order", """{"orderId":"4411"}"""), Call("issue_refund", $$"""{"orderId":"4411","amount":{{amount}},"currency":"USD","reason":"broken"}"""), Call("send_email", """{"to":"u-1","template":"refund_confirmation","orderId":"4411"}""")];
        var memory = new MemoryObservation { Retrieved = [new MemoryHit { Id = "m-1", Text = "prefer email", Score = 0.8 }, new MemoryHit { Id = "m-2", Text = "asked about order 4411", Score = 0.5 }], Written = [new MemoryHit { Id = "m-3", Text = "refund for 4411" }] };
        _turn = new TurnReplay(0, new Turn { Message = "refund" },
            new StackObservation { Stack = "old", ConversationId = "a", Reply = "x", SkillCalls = calls(25m), Memory = memory },
            new StackObservation { Stack = "old", ConversationId = "a2", Reply = "x", SkillCalls = calls(25m), Memory = memory },
            new StackObservation { Stack = "new", ConversationId = "b", Reply = "x", SkillCalls = calls(27.5m), Memory = memory });
    }

    [Benchmark(Description = "skills: 3 calls, one argument differs")]
    public DimensionResult Skills() => _skills.Compare(_turn);

    [Benchmark(Description = "memory: 2 retrieved + 1 written")]
    public DimensionResult Memory() => _memory.Compare(_turn);
}

/// <summary>Hot paths of the proxy: split decision, conversation-key extraction, redaction.</summary>
[MemoryDiagnoser]
public class ProxyPathBenchmarks
{
    private SplitState _split = null!;
    private readonly ConversationKeyExtractor _keys = new(new ConversationKeyOptions());
    private readonly Redactor _redactor = new([]);
    private readonly byte[] _body = Encoding.UTF8.GetBytes("""{"conversationId":"conv-123456","userId":"u-1","message":"Where is my order #4411?"}""");
    private const string Clean = """{"userId":"u-1","message":"Where is my order #4411? It should arrive on 2026-12-03 for 59.90 USD."}""";
    private const string Personal = """{"userId":"u-1","message":"Mail jane.doe@example.com or call +44 20 7946 0958, card 4111 1111 1111 1111"}""";
    // An answer as the shadow store keeps it: a reply with line breaks, and the body as received in a JSON string.
    private const string Escaped = """{"stack":"old","conversationId":"bench-7","turnIndex":1,"httpStatus":200,"latencyMs":1.2,"reply":"Your order 4411 has shipped.\nIt should arrive on 2026-12-03.\n\nAnything else?","skillCalls":[],"rawResponse":"{\"conversationId\":\"bench-7\",\"turnIndex\":12,\"reply\":\"Your order 4411 has shipped.\\nIt should arrive on 2026-12-03.\\n\\nAnything else?\",\"skillCalls\":[],\"memory\":{\"retrieved\":[{\"id\":\"m-1\",\"text\":\"name is Ada\",\"score\":0.9}],\"written\":[]}}"}""";
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        _split = new SplitState(new SplitOptions { InitialPercent = 25 }, TimeProvider.System);
        _split.Route("conv-pinned");
    }

    [Benchmark(Description = "split decision, pinned conversation")]
    public StackChoice SplitPinned() => _split.Route("conv-pinned");

    [Benchmark(Description = "split decision, hash only (Peek)")]
    public StackChoice SplitPeek() => _split.Peek("conv-" + (_i++ & 1023));

    [Benchmark(Description = "conversation key from route")]
    public string? KeyFromRoute() => _keys.Extract("/v1/conversations/conv-123456/turns", _ => null, default);

    [Benchmark(Description = "conversation key from JSON body")]
    public string? KeyFromBody() => _keys.Extract("/v1/chat", _ => null, _body);

    [Benchmark(Description = "redaction, nothing to redact")]
    public string RedactClean() => _redactor.Redact(Clean);

    [Benchmark(Description = "redaction, e-mail + phone + card")]
    public string RedactPersonal() => _redactor.Redact(Personal);

    [Benchmark(Description = "redaction, JSON-escaped answer, nothing to redact")]
    public string RedactEscaped() => _redactor.Redact(Escaped);
}

/// <summary>The Allure writer on a 50-conversation run.</summary>
[MemoryDiagnoser]
public class AllureWriterBenchmarks
{
    private RunResult _run = null!;
    private string _dir = null!;

    [GlobalSetup]
    public void Setup()
    {
        var engine = new VerdictEngine(new ComparisonConfig());
        var replay = ComparerBenchmarks.Turn("Order 4411 has shipped.", "Your order 4411 is on its way.");
        var lanes = new Dictionary<Lane, string> { [Lane.Old] = "a", [Lane.OldRepeat] = "a2", [Lane.New] = "b" };
        var conversations = Enumerable.Range(0, 50).Select(i => engine.JudgeConversation(new ConversationReplay(new Conversation { Id = "c-" + i, UserId = "u", Turns = [replay.Turn] }, [replay, replay with { Index = 1 }], true), lanes)).ToArray();
        _run = engine.Finish(new RunResult { RunId = "bench", Scenario = "bench", Stacks = new RunStacks(new StackInfo("old", "http://old/", null), new StackInfo("new", "http://new/", null)), Summary = VerdictEngine.Summarize(conversations), Conversations = conversations });
        _dir = Directory.CreateTempSubdirectory("allure-bench-").FullName;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Description = "Allure results for 50 conversations (2 turns each)")]
    public void WriteRun() => AllureConversion.WriteRun(new AllureWriter(_dir), _run);
}

/// <summary>Replayer throughput: 40 synthetic conversations against two in-process sample stacks (old asked twice), lexical judging.</summary>
public class ReplayBenchmarks
{
    private EmbeddedStacks _stacks = null!;
    private IAgentStack _old = null!;
    private IAgentStack _new = null!;
    private IReadOnlyList<Conversation> _conversations = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stacks = EmbeddedStacks.StartAsync(new EmbeddedStackOptions(), CancellationToken.None).GetAwaiter().GetResult();
        _old = StackFactory.Create("old", new StackConfig { Url = _stacks.OldServer.BaseAddress.AbsoluteUri });
        _new = StackFactory.Create("new", new StackConfig { Url = _stacks.NewServer.BaseAddress.AbsoluteUri });
        _conversations = SyntheticGenerator.Generate(new SyntheticConfig { Count = 40, Seed = 3 });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _old.Dispose();
        _new.Dispose();
        _stacks.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "replay + judge 40 conversations (~140 turns × 3 lanes)")]
    public Task<RunResult> Replay() => VerificationRunner.RunAsync(
        new VerificationRequest { Scenario = new Scenario { Name = "bench", SourceFile = "bench", Replay = new ReplayConfig { Concurrency = 8, Warmup = false } }, Old = _old, New = _new, Conversations = _conversations },
        null,
        null,
        CancellationToken.None);
}
