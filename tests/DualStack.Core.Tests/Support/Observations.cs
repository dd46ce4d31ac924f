using System.Text.Json;
using DualStack.Core.Judgement;
using DualStack.Core.Model;

namespace DualStack.Core.Tests.Support;

/// <summary>Hand-made observations and turn replays for comparer and verdict tests.</summary>
internal static class Observations
{
    public static StackObservation Ok(
        string stack,
        string reply,
        IReadOnlyList<SkillCall>? skills = null,
        MemoryObservation? memory = null,
        double latencyMs = 100,
        bool skillsNotObserved = false) => new()
        {
            Stack = stack,
            ConversationId = "c-1~" + stack,
            HttpStatus = 200,
            LatencyMs = latencyMs,
            Reply = reply,
            SkillCalls = skillsNotObserved ? null : skills ?? [],
            Memory = memory,
        };

    public static StackObservation Failed(string stack, ObservationErrorKind kind, string message, int? status = null) => new()
    {
        Stack = stack,
        ConversationId = "c-1~" + stack,
        HttpStatus = status,
        LatencyMs = 5,
        Error = new ObservationError(kind, message),
    };

    public static SkillCall Skill(string name, string? argumentsJson = null, string status = "ok") => new()
    {
        Name = name,
        Arguments = argumentsJson is null ? null : JsonDocument.Parse(argumentsJson).RootElement.Clone(),
        Status = status,
    };

    public static MemoryObservation MemoryOf(string[] retrieved, string[] written) => new()
    {
        Retrieved = retrieved.Select((t, i) => new MemoryHit { Id = $"m-{i}", Text = t, Score = 0.9 }).ToArray(),
        Written = written.Select((t, i) => new MemoryHit { Id = $"w-{i}", Text = t }).ToArray(),
    };

    public static TurnReplay Replayed(StackObservation old, StackObservation? oldRepeat, StackObservation @new, int index = 0, string message = "hello", TurnExpectation? expect = null) =>
        new(index, new Turn { Message = message, Expect = expect }, old, oldRepeat, @new);

    /// <summary>Old, old′ and new all answering <paramref name="reply"/> with <paramref name="skills"/>.</summary>
    public static TurnReplay Same(string reply, params SkillCall[] skills) =>
        Replayed(Ok("old", reply, skills), Ok("old", reply, skills), Ok("new", reply, skills));
}
