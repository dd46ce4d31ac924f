using DualStack.Core.Model;

namespace DualStack.Core.Stacks;

/// <summary>One agent stack the harness talks to, through an adapter for its contract.</summary>
/// <remarks>Implementations never throw out of <see cref="SendTurnAsync"/>: every failure is an observation with an error.</remarks>
public interface IAgentStack : IDisposable
{
    /// <summary>Name used in results and reports (<c>old</c>, <c>new</c>).</summary>
    string Name { get; }

    /// <summary>Base address of the stack.</summary>
    Uri BaseAddress { get; }

    /// <summary>Sends one user turn and observes everything the stack reports about it.</summary>
    ValueTask<StackObservation> SendTurnAsync(TurnRequest request, CancellationToken cancellationToken);

    /// <summary>Asks the stack whether it is up; never throws.</summary>
    Task<StackHealth> CheckHealthAsync(CancellationToken cancellationToken);
}

/// <summary>A turn as sent to one stack: the lane's own conversation and user ids.</summary>
public sealed record TurnRequest
{
    /// <summary>Conversation id on this stack.</summary>
    public required string ConversationId { get; init; }

    /// <summary>User id on this stack.</summary>
    public required string UserId { get; init; }

    /// <summary>What the user says.</summary>
    public required string Message { get; init; }

    /// <summary>Channel; default <c>web</c>.</summary>
    public string Channel { get; init; } = "web";

    /// <summary>Zero-based turn index within the conversation.</summary>
    public int TurnIndex { get; init; }

    /// <summary>Metadata forwarded unchanged.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Earlier (user, assistant) messages of this conversation on this stack, for stateless adapters.</summary>
    public IReadOnlyList<(string User, string? Assistant)> History { get; init; } = [];
}

/// <summary>Result of a health check.</summary>
/// <param name="Healthy">True when the stack answered its health endpoint with success.</param>
/// <param name="Status">The status the stack reported, or the error.</param>
/// <param name="Version">Version the stack reported; null when unknown.</param>
/// <param name="LatencyMs">Round-trip time.</param>
public sealed record StackHealth(bool Healthy, string Status, string? Version, double LatencyMs);
