using System.Text.Json;
using Refit;

namespace DualStack.Core.Stacks;

/// <summary>
/// Agent contract v1 (DESIGN.md §2) as a Refit client: health and memory. The turn itself
/// (<c>POST /v1/conversations/{id}/turns</c>) is sent by <see cref="NativeAgentStack"/> on the same HttpClient without
/// Refit, being the adapter's hot path.
/// </summary>
public interface INativeAgentApi
{
    /// <summary>Health of the stack.</summary>
    [Get("/v1/health")]
    Task<IApiResponse<NativeHealth>> GetHealthAsync(CancellationToken cancellationToken);

    /// <summary>One page of memory entries, optionally for one user and after a cursor.</summary>
    [Get("/v1/memory")]
    Task<IApiResponse<NativeMemoryPage>> GetMemoryAsync([AliasAs("userId")] string? userId, [AliasAs("since")] string? since, [AliasAs("limit")] int? limit, CancellationToken cancellationToken);

    /// <summary>Idempotent upsert of one memory entry.</summary>
    [Put("/v1/memory/{id}")]
    Task<IApiResponse> PutMemoryAsync(string id, [Body] NativeMemoryEntry entry, CancellationToken cancellationToken);
}

#pragma warning disable CS1591 // wire types: the contract in DESIGN.md §2 documents each field
public sealed record NativeTurnRequest(string UserId, string Message, string Channel, IReadOnlyDictionary<string, string> Metadata);

public sealed record NativeTurnResponse
{
    public string? ConversationId { get; init; }
    public int? TurnIndex { get; init; }
    public string? Reply { get; init; }
    public IReadOnlyList<NativeSkillCall>? SkillCalls { get; init; }
    public NativeMemory? Memory { get; init; }
}

public sealed record NativeSkillCall(string? Name, JsonElement? Arguments, string? Status, JsonElement? Result);

public sealed record NativeMemory(IReadOnlyList<NativeMemoryHit>? Retrieved, IReadOnlyList<NativeMemoryHit>? Written);

public sealed record NativeMemoryHit(string? Id, string? Text, double? Score);

public sealed record NativeHealth(string? Status, string? Version);

public sealed record NativeMemoryPage(IReadOnlyList<NativeMemoryEntry>? Entries, string? Cursor);

public sealed record NativeMemoryEntry
{
    public string? Id { get; init; }
    public string? UserId { get; init; }
    public string? Text { get; init; }
    public string? ConversationId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
}
#pragma warning restore CS1591
