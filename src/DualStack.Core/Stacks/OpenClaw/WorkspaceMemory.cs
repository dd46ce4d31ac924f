using DualStack.Core.Model;

namespace DualStack.Core.Stacks.OpenClaw;

/// <summary>
/// The memory files of an OpenClaw workspace (<c>MEMORY.md</c> and <c>memory/**/*.md</c>) as lines per file, so that
/// what a turn wrote can be found by diffing a snapshot taken before it with one taken after it.
/// </summary>
internal sealed class WorkspaceMemory
{
    private readonly Dictionary<string, string[]> _files;

    private WorkspaceMemory(Dictionary<string, string[]> files) => _files = files;

    /// <summary>Number of memory files in the snapshot.</summary>
    public int FileCount => _files.Count;

    /// <summary>Reads every memory file under <paramref name="workspace"/>; files being rewritten are retried briefly.</summary>
    public static async Task<WorkspaceMemory> SnapshotAsync(string workspace, TimeProvider time, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var paths = new List<string>();
        var root = Path.Combine(workspace, "MEMORY.md");
        if (File.Exists(root))
        {
            paths.Add(root);
        }

        var folder = Path.Combine(workspace, "memory");
        if (Directory.Exists(folder))
        {
            paths.AddRange(Directory.EnumerateFiles(folder, "*.md", SearchOption.AllDirectories));
        }

        foreach (var path in paths)
        {
            if (await ReadLinesAsync(path, time, cancellationToken).ConfigureAwait(false) is { } lines)
            {
                files[Path.GetRelativePath(workspace, path).Replace('\\', '/')] = lines;
            }
        }

        return new WorkspaceMemory(files);
    }

    /// <summary>
    /// Lines present in <paramref name="after"/> and not in <paramref name="before"/> (per file, counted as multisets,
    /// blank lines ignored) as written memory: id = the file, text = the line. Removed lines are not reported.
    /// </summary>
    public static IReadOnlyList<MemoryHit> Written(WorkspaceMemory before, WorkspaceMemory after)
    {
        var written = new List<MemoryHit>();
        foreach (var (file, lines) in after._files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var old = before._files.TryGetValue(file, out var o) ? o : [];
            var counts = old.Where(l => l.Length > 0).GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            foreach (var line in lines.Where(l => l.Length > 0))
            {
                if (counts.TryGetValue(line, out var n) && n > 0)
                {
                    counts[line] = n - 1;
                }
                else
                {
                    written.Add(new MemoryHit { Id = file, Text = line });
                }
            }
        }

        return written;
    }

    private static async Task<string[]?> ReadLinesAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                return text.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).ToArray();
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
