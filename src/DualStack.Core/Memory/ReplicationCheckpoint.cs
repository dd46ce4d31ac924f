using System.Text.Json;
using DualStack.Core.Model;

namespace DualStack.Core.Memory;

/// <summary>
/// What <c>memory replicate</c> persists after every fully applied page: the source cursor to resume from, for one
/// source → target pair. Written atomically (temp file, flush to disk, rename over), so a crash leaves the previous
/// or the new checkpoint, never a torn one.
/// </summary>
internal sealed record ReplicationCheckpoint
{
    public int Version { get; init; } = 1;

    public required string Source { get; init; }

    public required string Target { get; init; }

    /// <summary>Source cursor after the last page applied on the target; null = from the beginning.</summary>
    public string? Cursor { get; init; }

    /// <summary>Entries applied by every run that used this checkpoint (informational).</summary>
    public long Applied { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The checkpoint at <paramref name="path"/>, or null when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or belongs to another source or target.</exception>
    public static async Task<ReplicationCheckpoint?> LoadAsync(string path, string source, string target, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        ReplicationCheckpoint? checkpoint;
        try
        {
            var stream = File.OpenRead(path);
            await using (stream.ConfigureAwait(false))
            {
                checkpoint = await JsonSerializer.DeserializeAsync<ReplicationCheckpoint>(stream, DualStackJson.Options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"checkpoint {path}: not a replication checkpoint: {ex.Message.Split(" Path:", 2)[0]}", ex);
        }

        if (checkpoint is null || checkpoint.Version != 1)
        {
            throw new InvalidDataException($"checkpoint {path}: not a version 1 replication checkpoint");
        }

        // Resuming with another pair's cursor would silently skip entries.
        if (!string.Equals(checkpoint.Source, source, StringComparison.Ordinal) || !string.Equals(checkpoint.Target, target, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"checkpoint {path} belongs to {checkpoint.Source} → {checkpoint.Target}, not {source} → {target}; use another checkpoint file or delete this one to start over");
        }

        return checkpoint;
    }

    /// <summary>Replaces the file at <paramref name="path"/> atomically.</summary>
    public async Task SaveAsync(string path, CancellationToken cancellationToken)
    {
        await AtomicFile.WriteAsync(path, (stream, ct) => JsonSerializer.SerializeAsync(stream, this, DualStackJson.Indented, ct), cancellationToken, flushToDisk: true).ConfigureAwait(false);
    }
}
