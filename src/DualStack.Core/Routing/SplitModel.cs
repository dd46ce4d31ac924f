namespace DualStack.Core.Routing;

/// <summary>Which stack serves a conversation.</summary>
public enum StackChoice
{
    /// <summary>The stack being migrated away from.</summary>
    Old,

    /// <summary>The stack being migrated to.</summary>
    New,
}

/// <summary>How a <see cref="SplitState"/> starts and how it keeps conversations on their stack.</summary>
public sealed record SplitOptions
{
    /// <summary>Share of conversations sent to the new stack at start, 0–100; default 0.</summary>
    public double InitialPercent { get; init; }

    /// <summary>
    /// A conversation stays on the stack it was first routed to until it has been idle this long; default 30 minutes.
    /// </summary>
    public TimeSpan PinIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Upper bound on remembered conversations (rounded up to a multiple of 16); default 100,000. When a slot is needed
    /// the least recently seen pin nearby is evicted (an idle one when there is one). 0 turns pinning off.
    /// </summary>
    public int MaxPins { get; init; } = 100_000;
}

/// <summary>The split at one moment; immutable.</summary>
/// <param name="Percent">Share of conversations routed to the new stack, 0–100.</param>
/// <param name="RolledBack">True after a rollback, until the next percentage change; every conversation then goes to the old stack.</param>
/// <param name="RollbackReason">Why the last rollback happened; null when not rolled back.</param>
/// <param name="RampStep">Index of the ramp step that set <paramref name="Percent"/>; -1 when set by hand.</param>
/// <param name="ChangedAt">When the split last changed (construction time for the initial state).</param>
/// <param name="Version">Incremented by every change; 0 for the initial state.</param>
/// <param name="PinCount">Conversations currently pinned to a stack (including idle ones not yet evicted).</param>
public sealed record SplitSnapshot(
    double Percent,
    bool RolledBack,
    string? RollbackReason,
    int RampStep,
    DateTimeOffset ChangedAt,
    long Version,
    int PinCount)
{
    /// <summary>True when every new conversation goes to the new stack (<see cref="Percent"/> is 100).</summary>
    public bool Promoted => Percent >= 100;
}

/// <summary>One change of the split, as written to the audit log. Never holds credentials.</summary>
/// <param name="At">When the change happened.</param>
/// <param name="Who">Who made it: a user or client name given by the host, or <c>ramp</c>.</param>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="FromPercent">Percentage before the change.</param>
/// <param name="ToPercent">Percentage after the change.</param>
/// <param name="Reason">Why, as given by the caller (gate evidence for automatic changes); empty when none was given.</param>
public sealed record AuditEntry(DateTimeOffset At, string Who, string Action, double FromPercent, double ToPercent, string Reason);

/// <summary>Values of <see cref="AuditEntry.Action"/>.</summary>
internal static class AuditActions
{
    /// <summary>Percentage set by hand.</summary>
    public const string Set = "set";

    /// <summary>Ramp moved to its next step by hand.</summary>
    public const string Advance = "advance";

    /// <summary>All traffic sent back to the old stack by hand.</summary>
    public const string Rollback = "rollback";

    /// <summary>Percentage set to 100 by hand.</summary>
    public const string Promote = "promote";

    /// <summary>Rollback by the ramp controller because a gate failed.</summary>
    public const string AutoRollback = "auto-rollback";

    /// <summary>Ramp moved to its next step because every gate passed for the hold time.</summary>
    public const string AutoAdvance = "auto-advance";
}
