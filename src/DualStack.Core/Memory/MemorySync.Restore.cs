using System.Globalization;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Stacks;

namespace DualStack.Core.Memory;

// restore: JSONL back onto a stack in batches, bad lines reported by number and skipped.
public sealed partial class MemorySync
{
    private const int MaxListedErrors = 100;

    /// <summary>
    /// Upserts every line of <paramref name="jsonl"/> (as written by <see cref="SnapshotAsync"/>) on
    /// <paramref name="target"/>, in batches of <see cref="MemorySyncOptions.PageSize"/> lines; restoring the same file
    /// twice changes nothing the second time. A malformed line, one without <c>id</c>, <c>userId</c> or <c>text</c>,
    /// or one the stack refuses with a 4xx is reported by line number and skipped; every other line is restored.
    /// </summary>
    /// <exception cref="MemorySyncException">The stack is unreachable, times out or answers 5xx; lines before the failing batch are restored.</exception>
    public async Task<MemoryRestoreResult> RestoreAsync(MemoryClient target, TextReader jsonl, IProgress<MemorySyncProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(jsonl);
        long lineNumber = 0, lines = 0, applied = 0, rejected = 0;
        var errors = new List<string>();
        var batch = new List<PendingUpsert>(_options.PageSize);

        void Reject(string message)
        {
            rejected++;
            if (errors.Count < MaxListedErrors)
            {
                errors.Add(message);
            }
        }

        async Task ApplyBatchAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var (n, refused) = await _feed.ApplyAsync(target, batch, cancellationToken).ConfigureAwait(false);
            applied += n;
            foreach (var (upsert, error) in refused)
            {
                Reject(Invariant($"line {upsert.Origin}: {error.Message}"));
            }

            batch.Clear();
            progress?.Report(new MemorySyncProgress { Read = lines, Applied = applied });
        }

        while (await jsonl.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            lines++;
            var (entry, problem) = ParseLine(line);
            if (entry is null)
            {
                Reject(Invariant($"line {lineNumber}: {problem}"));
                continue;
            }

            batch.Add(new PendingUpsert(entry, lineNumber));
            if (batch.Count >= _options.PageSize)
            {
                await ApplyBatchAsync().ConfigureAwait(false);
            }
        }

        await ApplyBatchAsync().ConfigureAwait(false);
        return new MemoryRestoreResult(lines, applied, rejected, errors);
    }

    private static (NativeMemoryEntry? Entry, string? Problem) ParseLine(string line)
    {
        NativeMemoryEntry? entry;
        try
        {
            entry = JsonSerializer.Deserialize<NativeMemoryEntry>(line, DualStackJson.Options);
        }
        catch (JsonException ex)
        {
            return (null, "not a JSON memory entry: " + ex.Message.Split(" Path:", 2)[0]);
        }

        if (entry is null)
        {
            return (null, "not a JSON memory entry: null");
        }

        var missing = new[] { ("id", entry.Id), ("userId", entry.UserId), ("text", entry.Text) }
            .Where(f => string.IsNullOrWhiteSpace(f.Item2))
            .Select(f => $"'{f.Item1}'")
            .ToArray();
        return missing.Length == 0 ? (entry, null) : (null, $"{string.Join(", ", missing)} missing or empty");
    }
}
