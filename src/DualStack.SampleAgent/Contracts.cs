using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DualStack.SampleAgent;

/// <summary>JSON settings of contract v1: camelCase, web defaults.</summary>
internal static class AgentJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

internal sealed record TurnRequest(string? UserId, string? Message, string? Channel, JsonObject? Metadata);

internal sealed record TurnResponse(
    string ConversationId,
    int TurnIndex,
    string Reply,
    IReadOnlyList<SkillCallDto> SkillCalls,
    TurnMemoryDto Memory);

internal sealed record SkillCallDto(string Name, JsonObject Arguments, string Status, JsonNode? Result)
{
    /// <summary>HTTP status of a failed integration call; absent on success or when no answer came.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? HttpStatus { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}

internal sealed record TurnMemoryDto(IReadOnlyList<RetrievedMemoryDto> Retrieved, IReadOnlyList<WrittenMemoryDto> Written);

internal sealed record RetrievedMemoryDto(string Id, string Text, double Score);

internal sealed record WrittenMemoryDto(string Id, string Text);

internal sealed record MemoryEntryDto(string Id, string UserId, string Text, string? ConversationId, DateTimeOffset CreatedAt)
{
    public static MemoryEntryDto From(MemoryEntry e) => new(e.Id, e.UserId, e.Text, e.ConversationId, e.CreatedAt);
}

internal sealed record MemoryListDto(IReadOnlyList<MemoryEntryDto> Entries, string Cursor);

internal sealed record MemoryUpsertRequest(string? UserId, string? Text, string? ConversationId, DateTimeOffset? CreatedAt);

internal sealed record HealthDto(string Status, string Version, string Profile, IReadOnlyList<string> Faults);

internal sealed record WebhookDto(string Name, string ConversationId, DateTimeOffset ReceivedAt);

internal sealed record WebhookAcceptedDto(bool Received, string ConversationId);

internal sealed record FaultsDto(IReadOnlyList<string>? Faults);
