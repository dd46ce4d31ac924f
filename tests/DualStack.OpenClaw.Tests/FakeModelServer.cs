using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DualStack.OpenClaw.Tests;

/// <summary>How the fake model behaves.</summary>
internal enum ModelBehaviour
{
    /// <summary>Order questions: memory_search for "order &lt;id&gt;" through the gateway's tool_call tool.</summary>
    A,

    /// <summary>Changed tool behaviour: order questions search memory for "recent orders" (the id is dropped).</summary>
    B,

    /// <summary>Changed skill: return-policy questions read the <c>shipping</c> skill's file instead of the <c>returns</c> skill's.</summary>
    C,
}

/// <summary>
/// A deterministic OpenAI-compatible model server for OpenClaw gateways (tests only; Kestrel on 127.0.0.1:0). It plays
/// the model inside the agent loop: it calls tools through the gateway's <c>tool_call</c> tool (memory search) or the
/// <c>write</c> tool (memory notes), answers once a tool result is back, and skips the gateway's internal-context user
/// message that follows tool results — treating it as a new question makes the agent loop without bound. For
/// return-policy questions it reads a skill's <c>SKILL.md</c> with the <c>read</c> tool at the location the gateway
/// lists in the system prompt's <c>&lt;available_skills&gt;</c> (an absolute path under that gateway's workspace).
/// </summary>
internal sealed partial class FakeModelServer : IAsyncDisposable
{
    private const string InternalContextMarker = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";
    private readonly WebApplication _app;
    private int _requests;

    private FakeModelServer(WebApplication app) => _app = app;

    /// <summary>Behaviour for the next requests; can change between runs.</summary>
    public ModelBehaviour Behaviour { get; set; }

    /// <summary>Base URL of the OpenAI-compatible API (ends in <c>/v1</c>).</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>Completions served so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<FakeModelServer> StartAsync(ModelBehaviour behaviour, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeModelServer(app) { Behaviour = behaviour };
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "fake-1", @object = "model", owned_by = "dualstack-tests" } } }));
        app.MapPost("/v1/chat/completions", server.CompleteAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/v1";
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    /// <summary>The assistant message the model produces for a chat request (public for unit tests of the fake itself).</summary>
    internal static JsonObject Decide(JsonArray messages, ModelBehaviour behaviour)
    {
        // The question is the last real user message; the gateway's internal-context messages are not questions.
        var questionIndex = -1;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i]?["role"]?.GetValue<string>() == "user" && !ContentText(messages[i]!).Contains(InternalContextMarker, StringComparison.Ordinal))
            {
                questionIndex = i;
                break;
            }
        }

        var raw = questionIndex >= 0 ? ContentText(messages[questionIndex]!) : string.Empty;
        var question = Question(raw);
        var toolAnswered = messages.Skip(questionIndex + 1).Any(m => m?["role"]?.GetValue<string>() == "tool");
        var order = OrderPattern().Match(question);
        var remember = RememberPattern().Match(question);
        var policy = PolicyPattern().IsMatch(question);
        if (toolAnswered)
        {
            return Text(order.Success ? $"Order {order.Groups[1].Value}: I checked my notes, it is on its way."
                : remember.Success ? $"Noted: {remember.Groups[1].Value.TrimEnd('.')}."
                : policy ? "I checked our policy: you can return an item within 30 days of delivery."
                : "Done.");
        }

        if (policy)
        {
            var skill = behaviour == ModelBehaviour.C ? "shipping" : "returns";
            return SkillLocation(messages, skill) is { } location
                ? ToolCall("read", new JsonObject { ["path"] = location })
                : Text($"I have no '{skill}' skill to look that up.");
        }

        if (order.Success)
        {
            var query = behaviour == ModelBehaviour.B ? "recent orders" : $"order {order.Groups[1].Value}";
            return ToolCall("tool_call", new JsonObject { ["id"] = "memory_search", ["args"] = new JsonObject { ["query"] = query } });
        }

        if (remember.Success)
        {
            // One notes file per session, so concurrent conversations never overwrite each other's notes.
            var session = SessionPattern().Match(raw) is { Success: true } s ? SlugPattern().Replace(s.Groups[1].Value, "-") : "default";
            return ToolCall("write", new JsonObject { ["path"] = $"memory/notes-{session}.md", ["content"] = $"- {remember.Groups[1].Value.TrimEnd('.')}\n" });
        }

        return Text("Hello! How can I help you today?");
    }

    private async Task CompleteAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var request = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject ?? [];
        var message = Decide(request["messages"] as JsonArray ?? [], Behaviour);
        var id = "fake-" + Guid.NewGuid().ToString("N")[..12];
        var finish = message.ContainsKey("tool_calls") ? "tool_calls" : "stop";
        var usage = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 };
        if (request["stream"]?.GetValue<bool>() == true)
        {
            context.Response.ContentType = "text/event-stream";
            var delta = new JsonObject { ["role"] = "assistant" };
            if (message["tool_calls"] is JsonArray calls)
            {
                var first = calls[0]!.DeepClone().AsObject();
                first["index"] = 0;
                delta["tool_calls"] = new JsonArray(first);
            }
            else
            {
                delta["content"] = message["content"]!.DeepClone();
            }

            await WriteEventAsync(context, Chunk(id, delta, null, null));
            await WriteEventAsync(context, Chunk(id, new JsonObject(), finish, usage));
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
            return;
        }

        var body = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = "fake-1",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
            ["usage"] = usage,
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private static JsonObject Chunk(string id, JsonObject delta, string? finish, JsonObject? usage)
    {
        var chunk = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = 1_700_000_000,
            ["model"] = "fake-1",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };
        if (usage is not null)
        {
            chunk["usage"] = usage;
        }

        return chunk;
    }

    private static async Task WriteEventAsync(HttpContext context, JsonObject chunk)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static JsonObject Text(string text) => new() { ["role"] = "assistant", ["content"] = text };

    private static JsonObject ToolCall(string name, JsonObject arguments) => new()
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["id"] = "call_" + name,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments.ToJsonString() },
        }),
    };

    private static string ContentText(JsonNode message) => message["content"] switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray parts => string.Join("\n", parts.Select(p => p?["text"]?.GetValue<string>() ?? string.Empty)),
        _ => string.Empty,
    };

    // The gateway lists skills as <skill><name>…</name>…<location>/abs/path/SKILL.md</location></skill> in the system prompt.
    private static string? SkillLocation(JsonArray messages, string skill)
    {
        foreach (var message in messages)
        {
            if (message?["role"]?.GetValue<string>() is not ("system" or "developer"))
            {
                continue;
            }

            foreach (Match match in SkillLocationPattern().Matches(ContentText(message)))
            {
                if (match.Groups[1].Value == skill)
                {
                    return match.Groups[2].Value.Replace("&amp;", "&", StringComparison.Ordinal);
                }
            }
        }

        return null;
    }

    // The gateway prefixes the user's text with "[Mon 2026-11-30 06:49 UTC] " and appends "\n\nRuntime: …".
    private static string Question(string raw)
    {
        var text = raw;
        var runtime = text.IndexOf("\n\nRuntime:", StringComparison.Ordinal);
        if (runtime >= 0)
        {
            text = text[..runtime];
        }

        return TimestampPrefix().Replace(text, string.Empty).Trim();
    }

    [GeneratedRegex(@"\border\s+#?(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex OrderPattern();

    [GeneratedRegex(@"remember that (.+)$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex RememberPattern();

    [GeneratedRegex(@"\breturn policy\b", RegexOptions.IgnoreCase)]
    private static partial Regex PolicyPattern();

    [GeneratedRegex(@"<name>([^<]+)</name>.*?<location>([^<]+)</location>", RegexOptions.Singleline)]
    private static partial Regex SkillLocationPattern();

    [GeneratedRegex(@"session=(\S+)")]
    private static partial Regex SessionPattern();

    [GeneratedRegex(@"[^A-Za-z0-9]+")]
    private static partial Regex SlugPattern();

    [GeneratedRegex(@"^\[[^\]]*\]\s*")]
    private static partial Regex TimestampPrefix();
}
