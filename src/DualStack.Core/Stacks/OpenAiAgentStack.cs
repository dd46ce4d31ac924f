using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DualStack.Core.Model;

namespace DualStack.Core.Stacks;

/// <summary>
/// Adapter for OpenAI-compatible agent servers (<c>POST /v1/chat/completions</c>): the conversation rides on
/// <c>user</c> and a session header; <c>tool_calls</c> become skill calls; memory is not observed.
/// </summary>
internal sealed class OpenAiAgentStack : IAgentStack
{
    private const string CompletionsPath = "v1/chat/completions";

    private readonly HttpClient _client;
    private readonly StackConfig _config;
    private readonly TimeProvider _time;
    private readonly StackEnvironment? _environment;

    public OpenAiAgentStack(string name, HttpClient client, StackConfig config, TimeProvider timeProvider, TimeSpan? turnTimeout = null, StackEnvironment? environment = null)
    {
        _environment = environment;
        Name = name;
        _client = client;
        _config = config;
        _time = timeProvider;
        TurnTimeout = turnTimeout ?? TimeSpan.FromSeconds(60);
    }

    public string Name { get; }

    public Uri BaseAddress => _client.BaseAddress!;

    public TimeSpan TurnTimeout { get; init; }

    public async ValueTask<StackObservation> SendTurnAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var observation = new StackObservation { Stack = Name, ConversationId = request.ConversationId, TurnIndex = request.TurnIndex, Environment = _environment };
        using var timeout = new CancellationTokenSource(TurnTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, CompletionsPath)
            {
                Content = new StringContent(BuildBody(request), Encoding.UTF8, "application/json"),
            };
            message.Headers.TryAddWithoutValidation(_config.SessionHeader, request.ConversationId);
            if (_config.Stream)
            {
                message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            }

            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var isSse = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
            if (!response.IsSuccessStatusCode)
            {
                var errorBody = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
                return observation with
                {
                    HttpStatus = status,
                    LatencyMs = _time.GetElapsedTime(started).TotalMilliseconds,
                    Error = ObservationErrors.FromStatus(status, errorBody),
                    RawResponse = ObservationErrors.Truncate(errorBody),
                };
            }

            var parsed = isSse
                ? await ReadStreamAsync(response, linked.Token).ConfigureAwait(false)
                : ParseCompletion(await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false));
            var latency = _time.GetElapsedTime(started).TotalMilliseconds;
            return parsed.Error is { } parseError
                ? observation with { HttpStatus = status, LatencyMs = latency, Error = new ObservationError(ObservationErrorKind.InvalidResponse, parseError), RawResponse = ObservationErrors.Truncate(parsed.Raw) }
                : observation with
                {
                    HttpStatus = status,
                    LatencyMs = latency,
                    Reply = parsed.Reply,
                    RunId = parsed.Id,
                    SkillCalls = _config.ToolCallsAreSkills ? parsed.ToolCalls : null,
                    Memory = null,
                    RawResponse = ObservationErrors.Truncate(parsed.Raw),
                };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return observation with
            {
                LatencyMs = _time.GetElapsedTime(started).TotalMilliseconds,
                Error = ObservationErrors.FromException(ex, timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested, TurnTimeout),
            };
        }
    }

    public async Task<StackHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _client.GetAsync("v1/models", linked.Token).ConfigureAwait(false);
            var latency = _time.GetElapsedTime(started).TotalMilliseconds;
            return new StackHealth(response.IsSuccessStatusCode, response.IsSuccessStatusCode ? "ok" : $"HTTP {(int)response.StatusCode} on /v1/models", null, latency);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var error = ObservationErrors.FromException(ex, timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested, TimeSpan.FromSeconds(10));
            return new StackHealth(false, error.Message, null, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    public void Dispose() => _client.Dispose();

    private string BuildBody(TurnRequest request)
    {
        var messages = new JsonArray();
        if (_config.SendHistory)
        {
            foreach (var (user, assistant) in request.History)
            {
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = user });
                if (assistant is not null)
                {
                    messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = assistant });
                }
            }
        }

        messages.Add(new JsonObject { ["role"] = "user", ["content"] = request.Message });
        var body = new JsonObject
        {
            ["model"] = _config.Model,
            ["messages"] = messages,
            ["user"] = request.ConversationId,
            ["stream"] = _config.Stream,
        };
        return body.ToJsonString();
    }

    internal static ParsedCompletion ParseCompletion(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                return new ParsedCompletion(null, null, body, "response has no 'choices'");
            }

            var message = choices[0].TryGetProperty("message", out var m) ? m : default;
            if (message.ValueKind != JsonValueKind.Object)
            {
                return new ParsedCompletion(null, null, body, "choices[0] has no 'message'");
            }

            var id = doc.RootElement.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            var content = message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : string.Empty;
            var calls = new List<SkillCall>();
            if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in toolCalls.EnumerateArray())
                {
                    if (call.TryGetProperty("function", out var function))
                    {
                        calls.Add(ToSkill(
                            function.TryGetProperty("name", out var n) ? n.GetString() : null,
                            function.TryGetProperty("arguments", out var a) ? (a.ValueKind == JsonValueKind.String ? a.GetString() : a.GetRawText()) : null));
                    }
                }
            }

            return new ParsedCompletion(content, calls, body, null) { Id = id };
        }
        catch (JsonException ex)
        {
            return new ParsedCompletion(null, null, body, "response is not valid JSON: " + ex.Message + ObservationErrors.BodyHint(body));
        }
    }

    // SSE framing (multi-line data joined with \n, CR, LF and CRLF line ends, comments, event/id/retry fields) is
    // System.Net.ServerSentEvents' SseParser; events are read one at a time as they arrive, never the whole stream.
    internal static async Task<ParsedCompletion> ReadStreamAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var reply = new StringBuilder();
        var toolNames = new SortedDictionary<int, string?>();
        var toolArgs = new SortedDictionary<int, StringBuilder>();
        var done = false;
        string? id = null;
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var stream = new PrefixRecordingStream(body, 64 * 1024);
        string Raw() => Encoding.UTF8.GetString(stream.Prefix);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            var data = item.Data;
            if (data.AsSpan().Trim().SequenceEqual("[DONE]"))
            {
                done = true;
                break;
            }

            try
            {
                using var chunk = JsonDocument.Parse(data);
                if (id is null && chunk.RootElement.TryGetProperty("id", out var chunkId) && chunkId.ValueKind == JsonValueKind.String)
                {
                    id = chunkId.GetString();
                }

                if (!chunk.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
                {
                    continue;
                }

                if (!choices[0].TryGetProperty("delta", out var delta))
                {
                    continue;
                }

                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    reply.Append(content.GetString());
                }

                if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        var index = call.TryGetProperty("index", out var i) && i.TryGetInt32(out var idx) ? idx : toolNames.Count;
                        if (call.TryGetProperty("function", out var function))
                        {
                            if (function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                            {
                                toolNames[index] = name.GetString();
                            }
                            else
                            {
                                toolNames.TryAdd(index, null);
                            }

                            if (function.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String)
                            {
                                if (!toolArgs.TryGetValue(index, out var sb))
                                {
                                    toolArgs[index] = sb = new StringBuilder();
                                }

                                sb.Append(args.GetString());
                            }
                        }
                    }
                }
            }
            catch (JsonException ex)
            {
                return new ParsedCompletion(null, null, Raw(), "stream event is not valid JSON: " + ex.Message);
            }
        }

        if (!done)
        {
            return new ParsedCompletion(null, null, Raw(), "event stream ended before [DONE]");
        }

        var skills = toolNames.Select(kv => ToSkill(kv.Value, toolArgs.TryGetValue(kv.Key, out var sb) ? sb.ToString() : null)).ToArray();
        return new ParsedCompletion(reply.ToString(), skills, Raw(), null) { Id = id };
    }

    private static SkillCall ToSkill(string? name, string? arguments)
    {
        JsonElement? args = null;
        if (!string.IsNullOrWhiteSpace(arguments))
        {
            try
            {
                using var doc = JsonDocument.Parse(arguments);
                args = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Models emit broken argument JSON; keep it as a string so the diff still shows it.
                args = JsonSerializer.SerializeToElement(arguments);
            }
        }

        return new SkillCall { Name = name ?? "(unnamed)", Arguments = args, Status = "requested" };
    }

    internal sealed record ParsedCompletion(string? Reply, IReadOnlyList<SkillCall>? ToolCalls, string? Raw, string? Error)
    {
        /// <summary>The completion's <c>id</c> (OpenClaw: the run id); null when absent.</summary>
        public string? Id { get; init; }
    }
}
