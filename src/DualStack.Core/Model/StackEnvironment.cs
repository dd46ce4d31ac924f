namespace DualStack.Core.Model;

/// <summary>
/// Where a stack lives: the folders it works under and its own address. Values under these differ between two healthy
/// stacks by construction, so comparers canonicalise each side with its own environment
/// (Comparison.EnvironmentCanonicalizer) before comparing.
/// </summary>
public sealed record StackEnvironment
{
    private readonly IReadOnlyList<string> _pathRoots = [];

    /// <summary>Absolute folders owned by the stack (its <c>pathRoots</c>, plus an OpenClaw stack's workspace and state folder); empty by default.</summary>
    public IReadOnlyList<string> PathRoots
    {
        get => _pathRoots;
        init => _pathRoots = value ?? [];
    }

    /// <summary>The stack's base URL as the harness calls it (e.g. <c>http://127.0.0.1:18789/</c>); null when unknown.</summary>
    public string? BaseAddress { get; init; }

    /// <summary>Equal when the base address and the roots (in order) are equal.</summary>
    public bool Equals(StackEnvironment? other) =>
        other is not null && string.Equals(BaseAddress, other.BaseAddress, StringComparison.Ordinal) && PathRoots.SequenceEqual(other.PathRoots, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(BaseAddress, StringComparer.Ordinal);
        foreach (var root in PathRoots)
        {
            hash.Add(root, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}
