using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

// snapshot: the whole memory of a stack to JSONL, page by page.
public sealed partial class MemorySync
{
    /// <summary>
    /// Writes every entry of <paramref name="source"/> to <paramref name="jsonl"/>, one JSON object per line
    /// (<c>id, userId, text, conversationId, createdAt</c>), in write order. Taken while the stack is written to, the
    /// file is a change log: an entry changed meanwhile appears twice and its later line is the current version
    /// (which is what <see cref="RestoreAsync"/> keeps).
    /// </summary>
    /// <returns>Lines written.</returns>
    public async Task<long> SnapshotAsync(MemoryClient source, TextWriter jsonl, IProgress<MemorySyncProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(jsonl);
        long count = 0;
        await foreach (var page in _feed.ReadPagesAsync(source, userId: null, since: null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in page.Entries)
            {
                await jsonl.WriteLineAsync(JsonSerializer.Serialize(entry, DualStackJson.Options).AsMemory(), cancellationToken).ConfigureAwait(false);
                count++;
            }

            progress?.Report(new MemorySyncProgress { Read = count, Applied = count, Cursor = page.Cursor });
        }

        await jsonl.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }
}
