namespace DualStack.Core.Model;

/// <summary>
/// A file replaced whole or not at all: content goes to a uniquely named temp file beside the target, which is renamed
/// over the target on <see cref="CommitAsync"/>. Readers see the old file or the new one, never a part; two writers of
/// the same target never share a temp file; a write that fails or is cancelled (disposed before the commit) leaves no
/// temp file behind.
/// </summary>
public sealed class AtomicFile : IAsyncDisposable, IDisposable
{
    private readonly FileStream _stream;
    private readonly string _temp;
    private bool _committed;

    private AtomicFile(string path, string temp, FileStream stream)
    {
        Path = path;
        _temp = temp;
        _stream = stream;
    }

    /// <summary>The full path of the target.</summary>
    public string Path { get; }

    /// <summary>Where the content goes until the commit.</summary>
    public Stream Stream => _stream;

    /// <summary>
    /// Creates the target's folder when missing and the temp file beside the target; throws <see cref="IOException"/>
    /// or <see cref="UnauthorizedAccessException"/> when either cannot be created.
    /// </summary>
    public static AtomicFile Create(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(full) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 4096, FileOptions.Asynchronous);
        return new AtomicFile(full, temp, stream);
    }

    /// <summary>Writes <paramref name="path"/> atomically with <paramref name="write"/>; see the type's summary.</summary>
    /// <param name="path">The target.</param>
    /// <param name="write">Writes the content to the stream it is given.</param>
    /// <param name="cancellationToken">Cancels the write; the target is left as it was.</param>
    /// <param name="flushToDisk">Flush the operating system's buffers before the rename (checkpoints); default false.</param>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken, bool flushToDisk = false)
    {
        ArgumentNullException.ThrowIfNull(write);
        var file = Create(path);
        await using (file.ConfigureAwait(false))
        {
            await write(file.Stream, cancellationToken).ConfigureAwait(false);
            await file.CommitAsync(flushToDisk, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically.</summary>
    public static Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        WriteAsync(path, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), cancellationToken);

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically, synchronously (for synchronous callers such as test hooks).</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        using var file = Create(path);
        file._stream.Write(content);
        file.Commit(flushToDisk: false);
    }

    /// <summary>Flushes the content (to disk when <paramref name="flushToDisk"/>), closes it and renames it over the target.</summary>
    public async Task CommitAsync(bool flushToDisk, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flushToDisk)
        {
            _stream.Flush(flushToDisk: true);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        MoveIntoPlace();
    }

    /// <summary>The synchronous form of <see cref="CommitAsync"/>.</summary>
    public void Commit(bool flushToDisk)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _stream.Flush(flushToDisk);
        _stream.Dispose();
        MoveIntoPlace();
    }

    /// <summary>Closes the file; without a commit the temp file is deleted and the target left as it was.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        DeleteUncommitted();
    }

    /// <summary>The synchronous form of <see cref="DisposeAsync"/>.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        DeleteUncommitted();
    }

    private void MoveIntoPlace()
    {
        File.Move(_temp, Path, overwrite: true);
        _committed = true;
    }

    private void DeleteUncommitted()
    {
        if (!_committed)
        {
            try
            {
                File.Delete(_temp);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the failure that brought us here is the one to report.
            }
        }
    }
}
