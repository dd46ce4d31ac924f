namespace DualStack.Core.Tests.Support;

/// <summary>Temporary config files and the repository's shipped ones.</summary>
internal static class SplitTestFiles
{
    /// <summary>How loaders name a file in messages: relative to the working directory when below it, else absolute.</summary>
    public static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative;
    }

    /// <summary>A file of the repository (e.g. scenarios/ramp.json), found above the test output directory.</summary>
    public static string FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {TestContext.CurrentContext.TestDirectory}");
    }
}
