using DualStack.Core.Model;

namespace DualStack.Core.Judgement;

/// <summary>One turn as replayed on every lane.</summary>
/// <param name="Index">Zero-based turn index.</param>
/// <param name="Turn">The scripted or recorded turn.</param>
/// <param name="Old">Old stack, first run (A).</param>
/// <param name="OldRepeat">Old stack, second run (A′); null when repeats are off.</param>
/// <param name="New">New stack (B).</param>
public sealed record TurnReplay(int Index, Turn Turn, StackObservation Old, StackObservation? OldRepeat, StackObservation New)
{
    /// <summary>New stack, second run (B′); null unless the scenario's <c>replay.repeatNew</c> is on.</summary>
    public StackObservation? NewRepeat { get; init; }

    /// <summary>The user's earlier messages in this conversation, oldest first: inputs a reply may ground its facts in.</summary>
    public IReadOnlyList<string> PriorMessages { get; init; } = [];
}
