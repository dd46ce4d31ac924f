using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DualStack.SampleAgent.Tests;

internal sealed record SkillCallResult(string Name, JsonObject Arguments, string Status, JsonNode? Result, int? HttpStatus, string? Error)
{
    /// <summary>Name and arguments, the part of a skill call a comparer looks at.</summary>
    public string Signature => $"{Name}{Arguments.ToJsonString()}";
}

internal sealed record RetrievedResult(string Id, string Text, double Score);

internal sealed record WrittenResult(string Id, string Text);

internal sealed record MemoryResult(List<RetrievedResult> Retrieved, List<WrittenResult> Written);

internal sealed record TurnResult(string ConversationId, int TurnIndex, string Reply, List<SkillCallResult> SkillCalls, MemoryResult Memory)
{
    public string[] Skills => SkillCalls.Select(s => s.Signature).ToArray();

    public string[] Retrieved => Memory.Retrieved.Select(m => m.Text).ToArray();

    public string[] Written => Memory.Written.Select(m => m.Text).ToArray();
}

/// <summary>Talks contract v1 to an agent under test.</summary>
internal sealed class AgentClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public AgentClient(Uri baseAddress)
    {
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public HttpClient Http { get; }

    public async Task<TurnResult> TurnAsync(string conversationId, string userId, string message)
    {
        using var response = await PostTurnAsync(conversationId, new { userId, message, channel = "web", metadata = new { } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        return JsonSerializer.Deserialize<TurnResult>(body, Json)!;
    }

    public Task<HttpResponseMessage> PostTurnAsync(string conversationId, object body) =>
        Http.PostAsJsonAsync($"v1/conversations/{conversationId}/turns", body, Json);

    public async Task<IReadOnlyList<TurnResult>> RunAsync(IEnumerable<string> script, string conversationId = "c-1", string userId = "u-1")
    {
        var turns = new List<TurnResult>();
        foreach (var message in script)
        {
            turns.Add(await TurnAsync(conversationId, userId, message));
        }

        return turns;
    }

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        return JsonNode.Parse(body)!.AsObject();
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>The scripted conversation every comparison test replays.</summary>
internal static class Script
{
    public const int OrderStatus = 0;
    public const int RefundStated = 1;
    public const int RefundTotal = 2;
    public const int Address = 3;
    public const int Product = 4;
    public const int Remember = 5;
    public const int RecallAll = 6;
    public const int RecallAddress = 7;
    public const int SmallTalk = 8;

    public static readonly string[] Messages =
    [
        "Where is order 4411?",
        "I want a refund of $25 for order #4411 because it arrived damaged",
        "Please refund order 7788",
        "Change my address to 12 High Street, London N1 9GU",
        "Do you have wireless headphones in stock?",
        "Remember that I prefer email",
        "What do you remember about me?",
        "What is my address?",
        "thanks, bye",
    ];

    public static bool IsRecall(int turn) => turn is RecallAll or RecallAddress;
}

/// <summary>Starts agents and disposes them with the test.</summary>
internal sealed class Agents : IAsyncDisposable
{
    private readonly List<SampleAgentServer> _servers = [];
    private readonly List<AgentClient> _clients = [];

    public async Task<AgentClient> StartAsync(SampleAgentOptions options)
    {
        var server = await SampleAgentServer.StartAsync(options);
        _servers.Add(server);
        var client = new AgentClient(server.BaseAddress);
        _clients.Add(client);
        return client;
    }

    public SampleAgentServer Last => _servers[^1];

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }
}
