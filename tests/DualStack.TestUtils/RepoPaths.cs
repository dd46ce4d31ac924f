namespace DualStack.TestUtils;

/// <summary>Locates the repository from a test's binaries.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DualStack.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("DualStack.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The folder holding DualStack.sln.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>A path relative to the repository root, or the path itself when absolute.</summary>
    public static string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(Root, path);
}
