using System.Text.Json;
using DualStack.Core.Model;

namespace DualStack.Core.Routing;

/// <summary>
/// Append-only JSONL record of split changes: one <see cref="AuditEntry"/> per line, flushed to disk before
/// <see cref="Append"/> returns; thread-safe. Keeps the latest entries in memory for dashboards. It only ever receives
/// audit entries, so no token or request content can reach the file.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly Lock _gate = new();
    private readonly FileStream _stream;
    private readonly Queue<AuditEntry> _recent;
    private readonly int _keepRecent;

    /// <summary>
    /// Opens (or creates) <paramref name="path"/> for appending, creating its directory, and loads its last
    /// <paramref name="keepRecent"/> entries (default 200) into <see cref="Recent"/>.
    /// </summary>
    public AuditLog(string path, int keepRecent = 200)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepRecent);
        Path = System.IO.Path.GetFullPath(path);
        _keepRecent = keepRecent;
        _recent = new Queue<AuditEntry>();
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        if (File.Exists(Path))
        {
            foreach (var entry in ReadAll(Path).TakeLast(keepRecent))
            {
                _recent.Enqueue(entry);
            }
        }

        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Appends one entry as a JSON line and flushes it to disk.</summary>
    public void Append(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = JsonSerializer.SerializeToUtf8Bytes(entry, DualStackJson.Options);
        lock (_gate)
        {
            _stream.Write(line);
            _stream.WriteByte((byte)'\n');
            _stream.Flush(flushToDisk: true);
            if (_keepRecent == 0)
            {
                return;
            }

            if (_recent.Count == _keepRecent)
            {
                _recent.Dequeue();
            }

            _recent.Enqueue(entry);
        }
    }

    /// <summary>The last <paramref name="n"/> entries (at most the number kept in memory), oldest first.</summary>
    public IReadOnlyList<AuditEntry> Recent(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        lock (_gate)
        {
            return _recent.Skip(Math.Max(0, _recent.Count - n)).ToArray();
        }
    }

    /// <summary>
    /// Every entry of an audit file, oldest first; an empty list when the file does not exist. Throws
    /// <see cref="InvalidDataException"/> naming the file and line of a malformed entry.
    /// </summary>
    public static IReadOnlyList<AuditEntry> ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var entries = new List<AuditEntry>();
        var lineNumber = 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                entries.Add(JsonSerializer.Deserialize<AuditEntry>(line, DualStackJson.Options)
                    ?? throw new InvalidDataException($"{path}: line {lineNumber}: entry is 'null'"));
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}: line {lineNumber}: not an audit entry: {ex.Message.Split(" Path:", 2)[0]}", ex);
            }
        }

        return entries;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stream.Dispose();
        }
    }
}
