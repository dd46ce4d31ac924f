using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Config;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Replay;
using DualStack.Core.Results;
using DualStack.Core.Verdicts;

namespace DualStack.Core.Runs;

/// <summary>
/// One recorded turn triple from a JSONL file (<c>scenarios/detection/</c> format): the old stack's reply twice (A, A′),
/// the new stack's reply (B, optionally B′), and the inputs the turn had.
/// </summary>
public sealed record TripleRecord
{
    /// <summary>Unique id; becomes the conversation id.</summary>
    public required string Id { get; init; }

    /// <summary>Class of the difference (e.g. <c>changed-date</c>); becomes the conversation's tag.</summary>
    public required string Class { get; init; }

    /// <summary><c>ok</c> or <c>regression</c>.</summary>
    public required string Label { get; init; }

    /// <summary>Difference key a regression must be reported under (prefix match); null = any reply key.</summary>
    public string? ExpectKey { get; init; }

    /// <summary>The user's earlier messages, oldest first; empty by default.</summary>
    public IReadOnlyList<string> History { get; init; } = [];

    /// <summary>The user message of this turn.</summary>
    public required string Message { get; init; }

    /// <summary>The turn's observations per lane (A, A′, B and B′ when recorded).</summary>
    public required IReadOnlyDictionary<Lane, StackObservation> Lanes { get; init; }

    /// <summary>Source file and line, for messages.</summary>
    public required string Origin { get; init; }

    /// <summary>True when the record is labelled a regression.</summary>
    public bool IsRegression => Label == "regression";
}

/// <summary>A conversation ready to judge offline, with the lane ids its results name.</summary>
public sealed record OfflineConversation(ConversationReplay Replay, IReadOnlyDictionary<Lane, string> LaneIds);

/// <summary>
/// <c>verify --offline</c>: judges recorded turns (a JSONL of triples or a previous run's <c>results.json</c>) with the
/// same <see cref="VerdictEngine"/> a live run uses, without calling any stack.
/// </summary>
public static class OfflineTriples
{
    private static readonly HashSet<string> s_fields = new(StringComparer.Ordinal)
    {
        "id", "class", "label", "expectKey", "history", "message", "skills", "memory", "a", "a2", "b", "b2", "lanes", "domain", "note",
    };

    private static readonly string[] s_keyPrefixes = ["reply.", "skills.", "memory.", "latency", "errors", "expect."];

    private static readonly (string Name, Lane Lane)[] s_laneFields = [("a", Lane.Old), ("a2", Lane.OldRepeat), ("b", Lane.New), ("b2", Lane.NewRepeat)];

    /// <summary>
    /// Reads a JSONL file of triples; throws <see cref="ConfigException"/> listing every bad line as
    /// <c>file:line: 'field': problem (value)</c>.
    /// </summary>
    public static IReadOnlyList<TripleRecord> Load(string path)
    {
        var records = new List<TripleRecord>();
        var errors = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var where = $"{path}:{lineNumber}";
            var before = errors.Count;
            var record = Parse(line, where, errors);
            if (record is null || errors.Count > before)
            {
                continue;
            }

            if (ids.TryGetValue(record.Id, out var first))
            {
                errors.Add($"{where}: 'id': '{record.Id}' is already used on line {first}");
                continue;
            }

            ids[record.Id] = lineNumber;
            records.Add(record);
        }

        if (errors.Count == 0 && records.Count == 0)
        {
            errors.Add($"{path}: no records (expected one JSON object per line)");
        }

        return errors.Count > 0 ? throw new ConfigException(errors) : records;
    }

    /// <summary>Each record as a one-turn conversation (id = record id, tag = class, prior messages = history).</summary>
    public static OfflineConversation ToConversation(TripleRecord record)
    {
        var conversation = new Conversation
        {
            Id = record.Id,
            UserId = "offline",
            Source = ConversationSource.Recorded,
            Tags = [record.Class],
            Turns = [new Turn { Message = record.Message }],
            SourceFile = record.Origin,
        };
        var turn = new TurnReplay(0, conversation.Turns[0], record.Lanes[Lane.Old], record.Lanes.GetValueOrDefault(Lane.OldRepeat), record.Lanes[Lane.New])
        {
            NewRepeat = record.Lanes.GetValueOrDefault(Lane.NewRepeat),
            PriorMessages = record.History,
        };
        var laneIds = record.Lanes.ToDictionary(l => l.Key, l => l.Value.ConversationId);
        return new OfflineConversation(new ConversationReplay(conversation, [turn], Completed: true), laneIds);
    }

    /// <summary>A previous run's stored observations, ready to judge again; prior messages are the earlier turns' messages.</summary>
    public static IReadOnlyList<OfflineConversation> FromResults(RunResult previous) =>
        previous.Conversations.Select(c =>
        {
            var prior = new List<string>();
            var turns = new List<TurnReplay>(c.Turns.Count);
            foreach (var t in c.Turns.OrderBy(t => t.Index))
            {
                var turn = t.Index < c.Conversation.Turns.Count ? c.Conversation.Turns[t.Index] : new Turn { Message = t.Message };
                turns.Add(new TurnReplay(t.Index, turn, t.Old, t.OldRepeat, t.New) { NewRepeat = t.NewRepeat, PriorMessages = prior.ToArray() });
                prior.Add(t.Message);
            }

            return new OfflineConversation(new ConversationReplay(c.Conversation, turns, c.Completed), c.LaneIds);
        }).ToArray();

    /// <summary>
    /// Judges the conversations as one run: <see cref="VerdictEngine.JudgeConversation"/> each, then
    /// <see cref="VerdictEngine.Finish"/> on the run, exactly as a live verification does.
    /// </summary>
    public static RunResult Judge(IReadOnlyList<OfflineConversation> conversations, VerdictEngine engine, string scenario, RunStacks stacks, string? runId = null, TimeProvider? timeProvider = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        var started = time.GetUtcNow();
        var judged = conversations.Select(c => engine.JudgeConversation(c.Replay, c.LaneIds)).ToArray();
        var header = new RunHeader(runId ?? VerificationRunner.NewRunId(started), scenario, started, time.GetUtcNow(), stacks)
        {
            Cancelled = conversations.Any(c => !c.Replay.Completed),
        };
        return engine.BuildRun(header, judged);
    }

    /// <summary>Stack descriptions for a run judged from a triples file.</summary>
    public static RunStacks TripleStacks(string path) => new(new StackInfo("old", "offline:" + path, null), new StackInfo("new", "offline:" + path, null));

    /// <summary>Judges the file with a fresh engine; a convenience for one-off use (tests, tools).</summary>
    public static RunResult JudgeFile(string path, ComparisonConfig config, ITextSimilarity? semantic) =>
        Judge(Load(path).Select(ToConversation).ToArray(), new VerdictEngine(config, semantic), Path.GetFileNameWithoutExtension(path), TripleStacks(path));

    private static TripleRecord? Parse(string line, string where, List<string> errors)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            errors.Add($"{where}: not valid JSON (near byte {(ex.BytePositionInLine ?? 0) + 1} of the line)");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{where}: expected a JSON object, found {Kind(root)}");
                return null;
            }

            foreach (var property in root.EnumerateObject().Where(p => !s_fields.Contains(p.Name)))
            {
                errors.Add($"{where}: '{property.Name}': unknown field (expected one of {string.Join(", ", s_fields)})");
            }

            var id = RequiredString(root, "id", where, errors);
            var cls = RequiredString(root, "class", where, errors);
            var label = RequiredString(root, "label", where, errors);
            if (label is not null and not ("ok" or "regression"))
            {
                errors.Add($"{where}: 'label': '{label}' must be 'ok' or 'regression'");
            }

            var expectKey = OptionalString(root, "expectKey", where, errors);
            if (expectKey is not null)
            {
                if (!s_keyPrefixes.Any(p => expectKey.StartsWith(p, StringComparison.Ordinal)))
                {
                    errors.Add($"{where}: 'expectKey': '{expectKey}' is not a difference key (reply.*, skills.*, memory.*, latency, errors, expect.*)");
                }
                else if (label == "ok")
                {
                    errors.Add($"{where}: 'expectKey': '{expectKey}' is only meaningful on a record labelled 'regression'");
                }
            }

            var message = RequiredString(root, "message", where, errors);
            var history = StringArray(root, "history", where, errors);
            var skills = Skills(root, "skills", where, errors, out _);
            var memory = Memory(root, "memory", where, errors, out _);
            var lanes = new Dictionary<Lane, StackObservation>();
            JsonElement overrides = default;
            if (root.TryGetProperty("lanes", out var lanesElement))
            {
                if (lanesElement.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{where}: 'lanes': expected an object keyed by lane (a, a2, b, b2), found {Kind(lanesElement)}");
                }
                else
                {
                    overrides = lanesElement;
                    foreach (var lane in lanesElement.EnumerateObject().Where(l => !s_laneFields.Any(f => f.Name == l.Name)))
                    {
                        errors.Add($"{where}: 'lanes.{lane.Name}': unknown lane (expected a, a2, b or b2)");
                    }
                }
            }

            foreach (var (name, lane) in s_laneFields)
            {
                var reply = lane is Lane.Old or Lane.New ? RequiredString(root, name, where, errors) : OptionalString(root, name, where, errors);
                if (reply is null)
                {
                    continue;
                }

                var laneSkills = skills;
                var laneMemory = memory;
                if (overrides.ValueKind == JsonValueKind.Object && overrides.TryGetProperty(name, out var laneOverride))
                {
                    if (laneOverride.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add($"{where}: 'lanes.{name}': expected an object with 'skills' and/or 'memory', found {Kind(laneOverride)}");
                    }
                    else
                    {
                        foreach (var p in laneOverride.EnumerateObject().Where(p => p.Name is not ("skills" or "memory")))
                        {
                            errors.Add($"{where}: 'lanes.{name}.{p.Name}': unknown field (expected skills or memory)");
                        }

                        var s = Skills(laneOverride, $"lanes.{name}.skills", where, errors, out var hasSkills);
                        var m = Memory(laneOverride, $"lanes.{name}.memory", where, errors, out var hasMemory);
                        laneSkills = hasSkills ? s : laneSkills;
                        laneMemory = hasMemory ? m : laneMemory;
                    }
                }

                lanes[lane] = new StackObservation
                {
                    Stack = lane is Lane.Old or Lane.OldRepeat ? "old" : "new",
                    ConversationId = $"{id}~{name}",
                    HttpStatus = 200,
                    Reply = reply,
                    SkillCalls = laneSkills,
                    Memory = laneMemory,
                };
            }

            if (id is null || cls is null || label is null || message is null || !lanes.ContainsKey(Lane.Old) || !lanes.ContainsKey(Lane.New))
            {
                return null;
            }

            return new TripleRecord
            {
                Id = id,
                Class = cls,
                Label = label,
                ExpectKey = expectKey,
                History = history,
                Message = message,
                Lanes = lanes,
                Origin = where,
            };
        }
    }

    private static string? RequiredString(JsonElement root, string field, string where, List<string> errors)
    {
        if (!root.TryGetProperty(field, out var value))
        {
            errors.Add($"{where}: '{field}': missing");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            errors.Add($"{where}: '{field}': expected a non-empty string, found {Kind(value)}");
            return null;
        }

        return value.GetString();
    }

    private static string? OptionalString(JsonElement root, string field, string where, List<string> errors) =>
        root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? RequiredString(root, field, where, errors) : null;

    private static IReadOnlyList<string> StringArray(JsonElement root, string field, string where, List<string> errors)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{where}: '{field}': expected an array of strings, found {Kind(value)}");
            return [];
        }

        var result = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                errors.Add($"{where}: '{field}[{index}]': expected a string, found {Kind(item)}");
            }
            else
            {
                result.Add(item.GetString()!);
            }

            index++;
        }

        return result;
    }

    // Absent or [] = the stack made no skill call (observed); an explicit null = not observed.
    private static IReadOnlyList<SkillCall>? Skills(JsonElement root, string path, string where, List<string> errors, out bool present)
    {
        var field = path[(path.LastIndexOf('.') + 1)..];
        present = root.TryGetProperty(field, out var value);
        if (!present)
        {
            return [];
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{where}: '{path}': expected an array of skill calls, found {Kind(value)}");
            return [];
        }

        var calls = new List<SkillCall>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var at = $"{path}[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{where}: '{at}': expected an object with 'name', found {Kind(item)}");
                continue;
            }

            if (!item.TryGetProperty("name", out var skillName) || skillName.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(skillName.GetString()))
            {
                errors.Add($"{where}: '{at}.name': expected a non-empty string, found {(item.TryGetProperty("name", out var n) ? Kind(n) : "nothing")}");
                continue;
            }

            var status = item.TryGetProperty("status", out var s) ? s : default;
            if (status.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.String or JsonValueKind.Null))
            {
                errors.Add($"{where}: '{at}.status': expected a string, found {Kind(status)}");
                continue;
            }

            calls.Add(new SkillCall
            {
                Name = skillName.GetString()!,
                Arguments = item.TryGetProperty("arguments", out var args) && args.ValueKind != JsonValueKind.Null ? args.Clone() : null,
                Status = status.ValueKind == JsonValueKind.String ? status.GetString() : null,
                Result = item.TryGetProperty("result", out var result) && result.ValueKind != JsonValueKind.Null ? result.Clone() : null,
            });
        }

        return calls;
    }

    // Absent = no memory activity (observed, empty); an explicit null = not observed.
    private static MemoryObservation? Memory(JsonElement root, string path, string where, List<string> errors, out bool present)
    {
        var field = path[(path.LastIndexOf('.') + 1)..];
        present = root.TryGetProperty(field, out var value);
        if (!present)
        {
            return new MemoryObservation { Retrieved = [], Written = [] };
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where}: '{path}': expected an object with 'retrieved' and 'written', found {Kind(value)}");
            return null;
        }

        foreach (var p in value.EnumerateObject().Where(p => p.Name is not ("retrieved" or "written")))
        {
            errors.Add($"{where}: '{path}.{p.Name}': unknown field (expected retrieved or written)");
        }

        return new MemoryObservation { Retrieved = Hits(value, $"{path}.retrieved", where, errors), Written = Hits(value, $"{path}.written", where, errors) };
    }

    private static IReadOnlyList<MemoryHit> Hits(JsonElement memory, string path, string where, List<string> errors)
    {
        var field = path[(path.LastIndexOf('.') + 1)..];
        if (!memory.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{where}: '{path}': expected an array of entries, found {Kind(value)}");
            return [];
        }

        var hits = new List<MemoryHit>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var at = $"{path}[{index++}]";
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                errors.Add($"{where}: '{at}.text': expected a string, found {(item.ValueKind == JsonValueKind.Object && item.TryGetProperty("text", out var t) ? Kind(t) : "nothing")}");
                continue;
            }

            hits.Add(new MemoryHit
            {
                Id = item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
                Text = text.GetString()!,
                Score = item.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.Number ? score.GetDouble() : null,
            });
        }

        return hits;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"'{Shorten(value.GetString()!)}'",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;
}
