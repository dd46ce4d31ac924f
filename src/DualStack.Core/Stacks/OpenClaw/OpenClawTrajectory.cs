using System.Text.Json;
using DualStack.Core.Model;
using Microsoft.Data.Sqlite;

namespace DualStack.Core.Stacks.OpenClaw;

/// <summary>What the trajectory store says about one run: the skill calls, or why they cannot be observed.</summary>
/// <param name="Calls">Skill calls in the order the agent made them; null when not observed.</param>
/// <param name="NotObservedReason">Why <paramref name="Calls"/> is null.</param>
internal sealed record TrajectoryRead(IReadOnlyList<SkillCall>? Calls, string? NotObservedReason);

/// <summary>
/// Reads an OpenClaw agent's skill calls for one run from its SQLite store
/// (<c>&lt;state&gt;/agents/&lt;agentId&gt;/agent/openclaw-agent.sqlite</c>, table <c>trajectory_runtime_events</c>, whose
/// <c>run_id</c> is the chat completion's <c>id</c>). Opens the database read-only (it never writes, not even a journal),
/// tolerates a busy or locked database and a trajectory still being written by retrying until a deadline.
/// </summary>
internal static class OpenClawTrajectory
{
    // The gateway's meta-tools: `tool_call` runs another tool by id (that tool's own call follows as a nested event
    // whose toolCallId starts with "tool_search_code:<wrapper id>:"); the nested call is the skill that ran.
    private const string WrapperTool = "tool_call";
    private const string NestedPrefix = "tool_search_code:";
    private const string TerminalEvent = "session.ended";

    /// <summary>The trajectory store of <paramref name="agentId"/> under <paramref name="stateDir"/>.</summary>
    public static string DatabasePath(string stateDir, string agentId) =>
        Path.Combine(stateDir, "agents", agentId, "agent", "openclaw-agent.sqlite");

    /// <summary>
    /// Reads the run's skill calls, polling until its <c>session.ended</c> event is stored or <paramref name="wait"/>
    /// has passed; never throws except on cancellation.
    /// </summary>
    public static async Task<TrajectoryRead> ReadSkillCallsAsync(string databasePath, string runId, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        string lastProblem;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(databasePath))
            {
                lastProblem = $"trajectory store {databasePath} does not exist";
            }
            else
            {
                try
                {
                    var events = await ReadEventsAsync(databasePath, runId, cancellationToken).ConfigureAwait(false);
                    if (events.Count > 0 && events.Any(e => e.Type == TerminalEvent))
                    {
                        return new TrajectoryRead(ToSkillCalls(events), null);
                    }

                    lastProblem = events.Count == 0
                        ? $"no trajectory events for run '{runId}' in {databasePath}"
                        : $"trajectory of run '{runId}' is incomplete (no {TerminalEvent} event)";
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6)
                {
                    // SQLITE_BUSY / SQLITE_LOCKED: the gateway is checkpointing or writing; try again.
                    lastProblem = $"trajectory store {databasePath} stayed locked: {ex.Message}";
                }
                catch (SqliteException ex)
                {
                    return new TrajectoryRead(null, $"cannot read trajectory store {databasePath}: {ex.Message}");
                }
            }

            if (time.GetElapsedTime(started) >= wait)
            {
                return new TrajectoryRead(null, $"{lastProblem} after {wait.TotalSeconds:0.#} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static async Task<IReadOnlyList<TrajectoryEvent>> ReadEventsAsync(string databasePath, string runId, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = 5,
        };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT event_json FROM trajectory_runtime_events WHERE run_id = $run ORDER BY created_at, session_id, seq";
        command.Parameters.AddWithValue("$run", runId);
        var events = new List<TrajectoryEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Parse(reader.GetString(0)) is { } parsed)
            {
                events.Add(parsed);
            }
        }

        return events;
    }

    internal static TrajectoryEvent? Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is null)
            {
                return null;
            }

            var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
            string? Text(string name) => data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            JsonElement? args = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("args", out var a) ? a.Clone() : null;
            bool? success = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("success", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : null;
            return new TrajectoryEvent(type, Text("toolCallId"), Text("name"), args, success);
        }
        catch (JsonException)
        {
            // One unreadable event must not hide the others; it cannot be a tool call we could report anyway.
            return null;
        }
    }

    /// <summary>Tool calls in order; a <c>tool_call</c> wrapper is replaced by the call it ran (or, when it ran none, reported as the tool it asked for).</summary>
    internal static IReadOnlyList<SkillCall> ToSkillCalls(IReadOnlyList<TrajectoryEvent> events)
    {
        var results = events.Where(e => e.Type == "tool.result" && e.ToolCallId is not null)
            .GroupBy(e => e.ToolCallId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Success, StringComparer.Ordinal);
        var calls = events.Where(e => e.Type == "tool.call" && e.Name is not null).ToArray();
        var skills = new List<SkillCall>();
        foreach (var call in calls)
        {
            var status = call.ToolCallId is { } id && results.TryGetValue(id, out var success) && success is { } ok ? (ok ? "ok" : "error") : null;
            if (call.Name == WrapperTool && call.ToolCallId is { } wrapperId)
            {
                var nested = NestedPrefix + wrapperId + ":";
                if (calls.Any(c => c.ToolCallId?.StartsWith(nested, StringComparison.Ordinal) == true))
                {
                    continue;
                }

                // The wrapper ran nothing (unknown tool id, refused): report the tool it asked for, with the wrapper's outcome.
                var requested = call.Arguments is { ValueKind: JsonValueKind.Object } wrapperArgs && wrapperArgs.TryGetProperty("id", out var target) && target.ValueKind == JsonValueKind.String
                    ? target.GetString()
                    : null;
                if (requested is not null)
                {
                    JsonElement? requestedArgs = call.Arguments!.Value.TryGetProperty("args", out var inner) ? inner.Clone() : null;
                    skills.Add(new SkillCall { Name = requested, Arguments = requestedArgs, Status = status ?? "error" });
                    continue;
                }
            }

            skills.Add(new SkillCall { Name = call.Name!, Arguments = call.Arguments, Status = status });
        }

        return skills;
    }

    internal sealed record TrajectoryEvent(string Type, string? ToolCallId, string? Name, JsonElement? Arguments, bool? Success);
}
