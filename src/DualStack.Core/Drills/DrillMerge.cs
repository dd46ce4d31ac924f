using DualStack.Core.Memory;

namespace DualStack.Core.Drills;

/// <summary>The drill's automatic merge: memory written on the new stack since the drill began, merged into the old stack by <see cref="MemorySync.MergeAsync"/>.</summary>
public static class DrillMerge
{
    /// <summary>Merges <paramref name="from"/> (new) into <paramref name="into"/> (old) since <paramref name="since"/>; returns entries merged.</summary>
    public static async Task<int> MergeAsync(Uri from, Uri into, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var source = MemoryClient.Create(from.AbsoluteUri);
        using var target = MemoryClient.Create(into.AbsoluteUri);
        var result = await new MemorySync().MergeAsync(source, target, since, cancellationToken).ConfigureAwait(false);
        return (int)result.Merged;
    }
}
